"""WCAG 2.1 AA: axe-core finds no serious or critical violation on the public pages and the staff queue,
in Romanian and in English, on a phone-sized screen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cityreport import demo
from cityreport.demo_data import STAFF
from cityreport.reports.models import Report
from tests.e2e.axe import blocking, describe, run_axe
from tests.e2e.test_offline import city  # noqa: F401  (a small city with one category)

pytestmark = pytest.mark.e2e

PUBLIC_PAGES = ["/", "/report", "/reports", "{report}", "/stats", "/opendata", "/staff/login", "/offline"]


@pytest.fixture()
def demo_city(committed):
    demo.load()
    committed.commit()
    report_id = committed.scalars(select(Report.id).where(Report.hidden.is_(False)).order_by(Report.id)).first()
    return {"report": f"/reports/{report_id}"}


def _sign_in(page, base: str) -> None:
    email, _name, _role, _dept, password = next(s for s in STAFF if s[2] == "city_admin")
    page.goto(base + "/staff/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button[type=submit]")
    page.wait_for_url("**/staff/**")


def test_main_pages_have_no_serious_accessibility_violations(live_server, browser, demo_city, capsys):
    found: dict[str, list] = {}
    widths: dict[str, int] = {}
    for language in ("ro", "en"):
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale=f"{language}-RO",
                                      service_workers="block")
        page = context.new_page()
        try:
            for path in PUBLIC_PAGES:
                url = path.format(**demo_city)
                page.goto(f"{live_server.url}{url}?lang={language}" if "?" not in url else url)
                assert page.evaluate("document.documentElement.lang") == language
                found[f"{language} {url}"] = run_axe(page)
                widths[f"{language} {url}"] = page.evaluate("document.documentElement.scrollWidth")
            # A form sent back with errors: the messages must be tied to their fields and announced.
            page.goto(f"{live_server.url}/report?lang={language}")
            page.click("#report-form button[type=submit]")
            page.wait_for_selector(".error-summary")
            found[f"{language} /report (errors)"] = run_axe(page)
            _sign_in(page, live_server.url)
            page.goto(live_server.url + "/staff/queue")
            found[f"{language} /staff/queue (signed in)"] = run_axe(page)
            widths[f"{language} /staff/queue"] = page.evaluate("document.documentElement.scrollWidth")
            page.goto(live_server.url + page.locator("table a[href*='/staff/reports/']").first.get_attribute("href"))
            found[f"{language} /staff/reports/<id> (signed in)"] = run_axe(page)
            widths[f"{language} /staff/reports/<id>"] = page.evaluate("document.documentElement.scrollWidth")
        finally:
            context.close()

    with capsys.disabled():
        print("\naxe-core results (WCAG 2.1 A/AA):")
        for where, violations in found.items():
            counts = {impact: sum(1 for v in violations if v["impact"] == impact)
                      for impact in ("critical", "serious", "moderate", "minor")}
            print(f"  {where}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    assert {where: w for where, w in widths.items() if w > 390} == {}, "pages wider than the phone"
    problems = "\n".join(describe(where, blocking(v)) for where, v in found.items() if blocking(v))
    assert not problems, "serious or critical accessibility violations:\n" + problems


def test_error_messages_are_tied_to_their_fields_and_announced(live_server, page):
    page.goto(live_server.url + "/report?lang=ro")
    page.click("#report-form button[type=submit]")
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert summary.get_attribute("role") == "alert"
    # The focus moves to the summary once the page's scripts have run, so it is read out first.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'",
                           timeout=5000)
    description = page.locator("#description")
    assert description.get_attribute("aria-invalid") == "true"
    described_by = description.get_attribute("aria-describedby").split()
    messages = [page.locator(f"#{ident}").inner_text() for ident in described_by]
    assert any("obligatoriu" in m for m in messages), messages


@pytest.mark.usefixtures("city")
def test_keyboard_only_resident_reports_without_the_map(live_server, page, committed):
    """Tab order follows the form, the place can be given without the map, Enter sends it."""
    page.goto(live_server.url + "/report?lang=ro")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator(".skip").bounding_box()["x"] >= 0, "the skip link must show when focused"
    page.keyboard.press("Enter")
    order = []
    for _ in range(40):
        page.keyboard.press("Tab")
        ident = page.evaluate("document.activeElement.id || document.activeElement.tagName")
        order.append(ident)
        if ident == "report-map":
            # The map works from the keyboard too: arrows pan, Enter drops the pin in the middle.
            page.keyboard.press("ArrowUp")
            page.keyboard.press("Enter")
            assert page.input_value("#lat") and page.input_value("#lon")
            assert page.locator(".leaflet-marker-icon").count() == 1
        elif ident == "lat":
            page.keyboard.press("Control+A")
            page.keyboard.type("46.7705")
        elif ident == "lon":
            page.keyboard.press("Control+A")
            page.keyboard.type("23.6210")
        elif ident == "address":
            page.keyboard.type("Strada Memorandumului 21, lângă stația de autobuz")
        elif ident == "category":
            page.keyboard.press("ArrowDown")
        elif ident == "description":
            page.keyboard.type("Groapă adâncă în dreptul trecerii de pietoni")
        elif ident == "email":
            break
    fields = [f for f in order if f in {"lat", "lon", "address", "category", "description", "photos", "name", "email"}]
    assert fields == ["lat", "lon", "address", "category", "description", "photos", "name", "email"], order
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring != "none", "the focused field must show where the focus is"
    page.keyboard.press("Enter")
    page.wait_for_url("**/reports/*", timeout=20000)
    committed.expire_all()
    report = committed.scalars(select(Report)).one()
    assert report.address.startswith("Strada Memorandumului 21")
    assert report.category.code == "pothole"
    assert "report-map" in order and order.index("report-map") < order.index("lat")

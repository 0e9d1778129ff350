"""A clerk on a phone signs in, filters the queue, opens a report with the keyboard, moves it to
in_progress with a public note, and the note appears on the public report page."""

from __future__ import annotations

import pytest

from cityreport.reports.services import NewReport, create_report
from cityreport.staff.accounts import create_staff
from tests.e2e.conftest import add_roads_city, screenshot

pytestmark = pytest.mark.e2e

PASSWORD = "parola-lunga-de-test"
NOTE = "Echipa de intervenție ajunge joi dimineață."


@pytest.fixture()
def triage_world(committed):
    db = committed
    made = add_roads_city(db, department_slug="drumuri",
                          categories={"groapa": ("Groapă în carosabil", "Pothole"),
                                      "trotuar": ("Trotuar deteriorat", "Damaged pavement")})
    pothole, pavement = made["groapa"], made["trotuar"]
    create_staff(email="clerk@city.test", name="Georgiana Pavel", role="staff", password=PASSWORD,
                 department_slug="drumuri")
    target = create_report(NewReport(category=pothole, lat=46.771, lon=23.621,
                                     description="Groapă mare lângă trecerea de pietoni", email="ana@example.ro"))
    other = create_report(NewReport(category=pavement, lat=46.772, lon=23.622, description="Dale desprinse"))
    db.commit()
    return {"target": target.id, "other": other.id, "pothole": pothole.id}


def test_clerk_changes_status_with_a_public_note_seen_by_the_public(live_server, page, triage_world):
    base = live_server.url
    page.goto(base + "/staff/queue")
    assert "/staff/login" in page.url  # sent to sign in first
    page.fill("#email", "clerk@city.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/queue")
    assert page.locator(f"a.open[href='/staff/reports/{triage_world['other']}']").count() == 1

    page.select_option("#f-category", str(triage_world["pothole"]))
    page.click("form.filter button[type=submit]")
    page.wait_for_url(f"**/staff/queue?*category={triage_world['pothole']}*")
    rows = page.locator("a.open")
    assert rows.count() == 1
    assert rows.first.inner_text() == f"#{triage_world['target']}"

    # Keyboard only: j focuses the first row, Enter opens it.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"/staff/reports/{triage_world['target']}"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/reports/{triage_world['target']}")
    assert "ana@example.ro" in page.content()  # the private contact is there for the clerk

    page.select_option("#status", "in_progress")
    page.fill("#public_note", NOTE)
    page.click("#status-form button[type=submit]")
    page.wait_for_url(f"**/staff/reports/{triage_world['target']}")
    assert page.locator("#current-status").inner_text().strip() in ("În lucru", "In progress")
    screenshot(page, "staff-triage-after-change")

    public = page.context.new_page()
    public.goto(base + f"/reports/{triage_world['target']}")
    body = public.content()
    assert NOTE in body
    assert "ana@example.ro" not in body

"""The language reaches every surface: pages (switch, cookie, Accept-Language), form and API errors, e-mails."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cityreport.core.models import Outbox
from cityreport.i18n import LANG_COOKIE
from cityreport.notifications import fanout, messages
from cityreport.reports.services import NewReport, create_report


def _lang(html: str) -> str:
    return re.search(r'<html lang="(\w+)"', html).group(1)


def test_switch_sets_a_cookie_that_wins_over_the_browser(client):
    response = client.get("/lang/en?next=/report", headers={"Accept-Language": "ro"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/report")
    cookie = client.get_cookie(LANG_COOKIE)
    assert cookie.value == "en" and cookie.max_age and cookie.max_age >= 300 * 24 * 3600
    page = client.get("/report", headers={"Accept-Language": "ro"}).get_data(as_text=True)
    assert _lang(page) == "en" and "Report a problem" in page and "Send the report" in page
    client.get("/lang/ro?next=/report")
    page = client.get("/report", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _lang(page) == "ro" and "Semnalați o problemă" in page and "Trimiteți sesizarea" in page


def test_switch_refuses_an_unknown_language_and_an_outside_target(client):
    response = client.get("/lang/de?next=//evil.example/")
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    assert client.get_cookie(LANG_COOKIE) is None


@pytest.mark.parametrize("header, lang", [("en-US,en;q=0.9", "en"), ("ro-RO", "ro"), ("", "ro"), ("fr", "ro")])
def test_accept_language_then_default(client, header, lang):
    page = client.get("/report", headers={"Accept-Language": header} if header else {}).get_data(as_text=True)
    assert _lang(page) == lang


def test_every_page_links_to_both_languages(client):
    page = client.get("/reports").get_data(as_text=True)
    assert 'href="/lang/ro?next=/reports"' in page and 'href="/lang/en?next=/reports"' in page
    assert 'lang="en" hreflang="en"' in page


def test_form_errors_come_in_the_chosen_language(client):
    page = client.post("/report?lang=ro", data={"description": ""}).get_data(as_text=True)
    assert "Vă rugăm să corectați aceste câmpuri" in page and "este obligatoriu" in page
    page = client.post("/report?lang=en", data={"description": ""}).get_data(as_text=True)
    assert "Please correct these fields" in page and "is required" in page


def test_api_errors_follow_accept_language(client):
    ro = client.post("/api/v1/reports", json={}, headers={"Accept-Language": "ro"}).get_json()
    en = client.post("/api/v1/reports", json={}, headers={"Accept-Language": "en"}).get_json()
    assert ro["error"]["message"] == "Unele câmpuri nu sunt valide."
    assert en["error"]["message"] == "Some fields are not valid."
    assert ro["error"]["fields"]["description"] == "este obligatoriu"
    assert en["error"]["fields"]["description"] == "is required"


@pytest.mark.parametrize("locale, subject, phrase", [
    ("ro", "Sesizarea #{id} a fost primită", "Vă mulțumim. Primăria a primit sesizarea dumneavoastră"),
    ("en", "Report #{id} received", "Thank you. The city hall has received your report"),
])
def test_the_acknowledgement_email_is_in_the_reporters_language(db_session, make_jurisdiction, make_category, locale,
                                                                subject, phrase):
    make_jurisdiction()
    category = make_category()
    report = create_report(NewReport(category=category, lat=46.77, lon=23.62, description="Groapă",
                                     email="rezident@example.ro", locale=locale))
    db_session.flush()
    event_row = db_session.scalars(select(Outbox).where(Outbox.kind == "report_event")
                                   .order_by(Outbox.id.desc())).first()
    emails = fanout.fan_out_report_event(event_row.payload).rows
    outbox_id, payload = next((i, p) for i, p in emails if p["template"] == "report_received")
    rendered = messages.compose(outbox_id, payload)
    assert rendered.message["Subject"] == subject.format(id=report.id)
    body = next(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                for part in rendered.message.walk() if part.get_content_type() == "text/plain")
    assert phrase in body
    assert category.name(locale) in body

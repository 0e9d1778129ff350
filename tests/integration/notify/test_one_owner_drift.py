"""Drift between copies of one rule, now one owner (issue 13): what residents read and who can be written to.

Each test failed before its fix: the intake accepted an address the mailer refused, and the same status
had three wordings on the page, in the e-mail and in the feed.
"""

from __future__ import annotations

from sqlalchemy import select

from cityreport.extensions import db
from cityreport.notifications.models import Subscription
from cityreport.reports.services import change_status


def test_an_address_the_intake_accepts_gets_its_mail(client, make_jurisdiction, make_category, smtp, drain):
    make_jurisdiction()
    category = make_category(code="pothole")
    response = client.post("/api/v1/reports", json={"category": "pothole", "lat": 46.77, "lon": 23.62,
                                                    "description": "Groapă", "email": "O'Brien@Example.ro"})
    assert response.status_code == 201, response.json
    drain()
    [message] = smtp.inbox.to("o'brien@example.ro")
    assert message["Subject"].endswith("received") or "primit" in message["Subject"]
    [sub] = db.session.scalars(select(Subscription).where(Subscription.role == "reporter")).all()
    assert sub.email == "o'brien@example.ro" and category.code == "pothole"


def test_an_address_no_mail_system_takes_is_refused_at_the_intake(client, make_jurisdiction, make_category):
    make_jurisdiction()
    make_category(code="pothole")
    for bad in ("ana@example", "ana,pop@example.ro", "<ana@example.ro>", "ana@@example.ro"):
        response = client.post("/api/v1/reports", json={"category": "pothole", "lat": 46.77, "lon": 23.62,
                                                        "description": "Groapă", "email": bad})
        assert response.status_code == 422 and "email" in response.json["error"]["fields"], bad


def test_a_status_reads_the_same_on_the_page_in_the_mail_and_in_the_feed(client, create_report, make_staff,
                                                                          smtp, drain):
    report = create_report(email="ana@example.ro", locale="ro")
    db.session.commit()
    drain()
    change_status(report, "acknowledged")
    change_status(report, "not_responsible", public_text="Drumul național ține de CNAIR.")
    db.session.commit()
    drain()
    wording = "Ține de altă instituție"
    # The body, not the subject: Python's header folding may drop a space between encoded words.
    bodies = [m.get_body(("plain",)).get_content() for m in smtp.inbox.to("ana@example.ro")]
    assert any(wording in body for body in bodies), bodies
    page = client.get(f"/reports/{report.id}", headers={"Accept-Language": "ro"}).get_data(as_text=True)
    assert wording in page
    feed = client.get(f"/feeds/reports/{report.id}.atom", headers={"Accept-Language": "ro"}).get_data(as_text=True)
    assert wording in feed
    assert "Nu este de competența primăriei" not in page + feed + " ".join(bodies)


def test_staff_keep_their_own_word_for_the_decision(client, create_report, make_staff):
    from tests.integration.staff_helpers import sign_in

    report = create_report()
    clerk = make_staff(department=report.department)
    change_status(report, "not_responsible")
    db.session.flush()
    sign_in(client, clerk)
    page = client.get(f"/staff/reports/{report.id}", headers={"Accept-Language": "ro"}).get_data(as_text=True)
    assert "Nu este de competența noastră" in page

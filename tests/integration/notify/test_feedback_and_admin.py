"""Feedback after a fix, reminders, retention, failed mail for admins, feeds, development mail."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import select, update

from cityreport.core.models import Outbox
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.notifications import jobs
from cityreport.notifications.models import Feedback
from cityreport.reports.models import Report, ReportEvent
from cityreport.reports.services import change_status


def _fixed_report(create_report, drain, **overrides):
    report = create_report(email="ana@example.org", locale="en", **overrides)
    db.session.commit()
    change_status(report, "fixed", public_text="Asfaltat.")
    db.session.commit()
    drain()
    return report


def _feedback_link(smtp, answer: str = "") -> str:
    message = smtp.inbox.to("ana@example.org")[-1]
    body = message.get_body(("plain",)).get_content()
    links = [w for w in body.split() if w.startswith("http://cityreport.test/feedback/")]
    assert links, body
    link = next((w for w in links if w.endswith(f"answer={answer}")), links[0]) if answer else links[0]
    return link.replace("http://cityreport.test", "")


def test_fixed_asks_the_reporter_and_not_fixed_reopens_and_tells_the_department(
        db_session, create_report, make_category, make_department, smtp, drain, client):
    department = make_department(email="drumuri@city.test")
    report = _fixed_report(create_report, drain, category=make_category(default_department=department))
    closing = smtp.inbox.to("ana@example.org")[-1]
    assert closing["Subject"] == f"Report #{report.id} closed: Fixed"
    [feedback] = db.session.scalars(select(Feedback).where(Feedback.report_id == report.id)).all()
    link = _feedback_link(smtp, "not_fixed")
    token = link.split("/feedback/")[1].split("?")[0]
    assert feedback.token_hash != token and len(feedback.token_hash) == 64  # only a hash is stored

    page = client.get(link)
    assert page.status_code == 200 and 'value="not_fixed" required checked' in page.get_data(as_text=True)
    assert db.session.get(Feedback, feedback.id).answer is None  # opening the link answers nothing
    response = client.post(link.split("?")[0], data={"answer": "not_fixed", "rating": "2", "comment": "Tot groapă."})
    assert response.status_code == 200
    db.session.expire_all()
    report = db.session.get(Report, report.id)
    assert (report.status, report.reopened_count, report.closed_at) == ("acknowledged", 1, None)
    kinds = [e.kind for e in db.session.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id)
                                                .order_by(ReportEvent.id))]
    assert kinds[-2:] == ["feedback", "reopened"]
    stored = db.session.get(Feedback, feedback.id)
    assert (stored.answer, stored.rating, stored.comment) == ("not_fixed", 2, "Tot groapă.")
    before = len(smtp.inbox.to("ana@example.org"))
    drain()
    [told] = smtp.inbox.to("drumuri@city.test")
    assert "Tot groapă." in told.get_body(("plain",)).get_content()
    assert len(smtp.inbox.to("ana@example.org")) == before  # the reporter is not told of their own reopening
    again = client.post(link.split("?")[0], data={"answer": "fixed"})
    assert again.status_code == 410  # a token works once


def test_feedback_api_answers_once_and_names_bad_fields(db_session, create_report, smtp, drain, client):
    report = _fixed_report(create_report, drain)
    token = _feedback_link(smtp).split("/feedback/")[1].split("?")[0]
    url = f"/api/v1/reports/{report.id}/feedback"
    bad = client.post(url, json={"token": token, "answer": "maybe", "rating": 9}, headers={"Accept-Language": "en"})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"answer", "rating"}
    assert client.post(f"/api/v1/reports/{report.id + 1}/feedback", json={"token": token,
                                                                            "answer": "fixed"}).status_code == 404
    assert client.post(url, json={"token": "1.forged", "answer": "fixed"}).status_code == 404
    ok = client.post(url, json={"token": token, "answer": "fixed", "rating": 5})
    assert ok.status_code == 200
    assert ok.get_json() == {"report_id": report.id, "answer": "fixed", "rating": 5, "report_status": "fixed"}
    used = client.post(url, json={"token": token, "answer": "fixed"})
    assert used.status_code == 410 and used.get_json()["error"]["code"] == "feedback_used"


def test_an_expired_feedback_link_is_refused(db_session, create_report, smtp, drain, client):
    report = _fixed_report(create_report, drain)
    token = _feedback_link(smtp).split("/feedback/")[1].split("?")[0]
    db.session.execute(update(Feedback).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = client.post(f"/api/v1/reports/{report.id}/feedback", json={"token": token, "answer": "fixed"})
    assert response.status_code == 410 and response.get_json()["error"]["code"] == "feedback_expired"
    assert client.get(f"/feedback/{token}").status_code == 410


def test_one_reminder_after_14_days_when_unanswered(db_session, create_report, smtp, drain):
    _fixed_report(create_report, drain)
    assert jobs.send_feedback_reminders() == 0  # too early
    db.session.execute(update(Feedback).values(requested_at=utcnow() - timedelta(days=15)))
    db.session.commit()
    assert jobs.send_feedback_reminders() == 1
    assert jobs.send_feedback_reminders() == 0  # once only
    drain()
    reminder = smtp.inbox.to("ana@example.org")[-1]
    assert reminder["Subject"].startswith("Reminder: is report #")
    assert "/feedback/" in reminder.get_body(("plain",)).get_content()


def test_retention_erases_contact_details_of_long_closed_reports_and_logs_it(db_session, create_report, app):
    old = create_report(email="vechi@example.org", name="Ion Pop", phone="0722000000")
    recent = create_report(email="nou@example.org", name="Ana Pop")
    change_status(old, "fixed")
    change_status(recent, "fixed")
    db.session.execute(update(Report).where(Report.id == old.id).values(closed_at=utcnow() - timedelta(days=760)))
    db.session.commit()
    assert app.config["RETENTION_MONTHS"] == 24
    assert jobs.apply_retention() == 1
    db.session.expire_all()
    old, recent = db.session.get(Report, old.id), db.session.get(Report, recent.id)
    assert (old.reporter_name, old.reporter_email, old.reporter_phone) == (None, None, None)
    assert (old.status, old.description) == ("fixed", "Groapă mare în carosabil")  # the report stays
    assert recent.reporter_email == "nou@example.org"
    erased = db.session.scalars(select(ReportEvent).where(ReportEvent.report_id == old.id,
                                                          ReportEvent.kind == "erased")).all()
    assert len(erased) == 1 and erased[0].actor == "system"
    assert jobs.apply_retention() == 0


def test_mail_failing_every_retry_is_shown_to_city_admins_who_can_retry_it(
        db_session, create_report, make_staff, smtp, drain, client):
    report = create_report(email="ana@example.org")
    db.session.commit()
    smtp.inbox.refuse = True
    for _ in range(6):
        drain()
        db.session.execute(update(Outbox).where(Outbox.sent_at.is_(None)).values(next_attempt_at=utcnow()))
        db.session.commit()
    [row] = db.session.scalars(select(Outbox).where(Outbox.kind == "email")).all()
    assert row.failed_at is not None and row.attempts == 5 and "451" in row.last_error
    assert smtp.inbox.refused == 5

    assert client.get("/staff/admin/outbox").status_code in (302, 401)  # signed out
    clerk = make_staff(role="staff")
    with client.session_transaction() as session:
        session["_user_id"] = clerk.get_id()
    assert client.get("/staff/admin/outbox").status_code == 403
    admin = make_staff(role="city_admin")
    with client.session_transaction() as session:
        session["_user_id"] = admin.get_id()
    page = client.get("/staff/admin/outbox")
    assert page.status_code == 200 and f"#{report.id}" in page.get_data(as_text=True)
    smtp.inbox.refuse = False
    assert client.post(f"/staff/admin/outbox/{row.id}/retry").status_code == 302
    drain()
    assert len(smtp.inbox.to("ana@example.org")) == 1


def test_atom_feeds_per_report_category_and_area_hide_personal_data(db_session, create_report, make_category,
                                                                     client):
    category = make_category(code="groapa")
    report = create_report(category=category, email="secret@example.org", name="Ion Secret")
    hidden = create_report(category=category)
    hidden.hidden = True
    change_status(report, "in_progress", public_text="Lucrăm.")
    db.session.commit()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for url in (f"/feeds/reports/{report.id}.atom", "/feeds/categories/groapa.atom",
                "/feeds/area.atom?lat=46.77&lon=23.62&radius=200&category=groapa"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "application/atom+xml"
        text = response.get_data(as_text=True)
        assert "secret@example.org" not in text and "Ion Secret" not in text
        feed = ET.fromstring(response.data)
        entries = feed.findall("a:entry", ns)
        assert entries, url
        assert all(f"/reports/{hidden.id}" not in e.find("a:link", ns).get("href") for e in entries)
    assert "Lucrăm." in client.get(f"/feeds/reports/{report.id}.atom").get_data(as_text=True)
    assert client.get(f"/feeds/reports/{hidden.id}.atom").status_code == 404
    assert client.get("/feeds/area.atom?lat=x&lon=23.6").status_code == 422


def test_development_without_smtp_writes_eml_files_listed_at_dev_mail(db_session, create_report, app, client,
                                                                       tmp_path, monkeypatch):
    from cityreport.notifications import mail

    monkeypatch.setattr(mail, "mail_directory", lambda: tmp_path)
    monkeypatch.setitem(app.config, "ENV_NAME", "development")
    create_report(email="ana@example.org")
    db.session.commit()
    ids = db.session.scalars(select(Outbox.id)).all()
    for outbox_id in ids:
        jobs.send_outbox(outbox_id)
    [eml] = list(tmp_path.glob("*.eml"))
    from cityreport.notifications import views

    monkeypatch.setattr(views, "mail_directory", lambda: tmp_path)
    listing = client.get("/dev/mail")
    assert listing.status_code == 200 and "ana@example.org" in listing.get_data(as_text=True)
    assert client.get(f"/dev/mail/{eml.name}").status_code == 200
    monkeypatch.setitem(app.config, "ENV_NAME", "testing")
    assert client.get("/dev/mail").status_code == 404

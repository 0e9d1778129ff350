"""E-mail to residents through the outbox, with a real SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cityreport.core.models import Outbox
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.notifications import rules


def test_reporter_gets_receipt_in_their_language_with_text_and_html(db_session, create_report, smtp, drain):
    report = create_report(email="Ana@Example.org", locale="en")
    db.session.commit()
    drain()
    [message] = smtp.inbox.to("ana@example.org")
    assert message["Subject"] == f"Report #{report.id} received"
    assert message.get_body(("plain",)).get_content().count(f"http://cityreport.test/reports/{report.id}") == 1
    assert "<html" in message.get_body(("html",)).get_content()
    assert str(message["List-Unsubscribe"]).strip().startswith("<http://cityreport.test/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_reporter_without_email_gets_nothing_and_nothing_fails(db_session, create_report, smtp, drain):
    create_report(email=None)
    db.session.commit()
    results = drain()
    assert results and all(r.startswith("fanned out 0") for r in results)
    assert smtp.inbox.messages == []
    assert db.session.scalar(select(Outbox.id).where(Outbox.failed_at.is_not(None))) is None


def _link(message, prefix: str) -> str:
    body = message.get_body(("plain",)).get_content()
    for word in body.split():
        if word.startswith(prefix):
            return word
    raise AssertionError(f"no link starting {prefix} in:\n{body}")


def _path(url: str) -> str:
    return url.replace("http://cityreport.test", "")


def test_status_changes_and_public_notes_reach_the_reporter_and_closing_states_the_outcome(
        db_session, create_report, smtp, drain):
    from cityreport.reports.services import add_note, change_status

    report = create_report(email="ana@example.org", locale="ro")
    db.session.commit()
    change_status(report, "in_progress")
    add_note(report, staff=None, public_text="Echipa vine mâine.", internal_text="intern")
    change_status(report, "unable_to_fix", public_text="Drum privat.")
    db.session.commit()
    drain()
    subjects = [m["Subject"] for m in smtp.inbox.to("ana@example.org")]
    assert len(subjects) == 4
    bodies = [m.get_body(("plain",)).get_content() for m in smtp.inbox.to("ana@example.org")]
    assert "Echipa vine mâine." in bodies[2] and "intern" not in bodies[2]
    assert "Drum privat." in bodies[3]
    assert all(m["Message-ID"] for m in smtp.inbox.messages)


def test_following_a_report_needs_confirmation_and_one_click_unsubscribe_stops_it(
        db_session, create_report, smtp, drain, client):
    from cityreport.reports.services import change_status

    report = create_report(email=None)
    db.session.commit()
    response = client.post(f"/reports/{report.id}/follow", data={"email": "Vecin@Example.org"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 200
    drain()
    [confirmation] = smtp.inbox.to("vecin@example.org")
    change_status(report, "acknowledged")  # not confirmed yet: nothing for them
    db.session.commit()
    drain()
    assert len(smtp.inbox.to("vecin@example.org")) == 1

    confirm_url = _path(_link(confirmation, "http://cityreport.test/follow/confirm/"))
    assert client.get(confirm_url).status_code == 200  # a link scanner's GET confirms nothing
    change_status(report, "in_progress")
    db.session.commit()
    drain()
    assert len(smtp.inbox.to("vecin@example.org")) == 1
    assert client.post(confirm_url).status_code == 200
    change_status(report, "fixed", public_text="Reparat.")
    db.session.commit()
    drain()
    update = smtp.inbox.to("vecin@example.org")[-1]
    assert "Reparat." in update.get_body(("plain",)).get_content()
    assert "/feedback/" not in update.get_body(("plain",)).get_content()  # only the reporter is asked

    unsubscribe = str(update["List-Unsubscribe"]).strip().strip("<>")
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # RFC 8058: the mail client POSTs this body with no cookie and no CSRF token.
    response = client.post(_path(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    before = len(smtp.inbox.to("vecin@example.org"))
    change_status(report, "acknowledged", actor="staff")  # reopened
    db.session.commit()
    drain()
    assert len(smtp.inbox.to("vecin@example.org")) == before


def test_following_with_a_bad_address_names_the_field(db_session, create_report, client, smtp, drain):
    report = create_report()
    db.session.commit()
    response = client.post(f"/reports/{report.id}/follow", data={"email": "not-an-address"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "enter a valid e-mail address" in response.get_data(as_text=True)
    drain()
    assert smtp.inbox.messages == []


def test_area_followers_get_one_daily_digest_of_new_reports_within_their_radius(
        db_session, create_report, make_category, smtp, drain, client):
    from sqlalchemy import update

    from cityreport.notifications import jobs
    from cityreport.reports.models import Report

    category = make_category()
    other = make_category()
    response = client.post("/follow/area", data={"email": "zona@example.org", "lat": "46.77", "lon": "23.62",
                                                 "radius": "300", "category": str(category.id)})
    assert response.status_code == 200
    drain()
    [confirmation] = smtp.inbox.to("zona@example.org")
    assert client.post(_path(_link(confirmation, "http://cityreport.test/follow/confirm/"))).status_code == 200
    near = create_report(category=category, lat=46.771, lon=23.62)   # ~110 m away
    far = create_report(category=category, lat=46.79, lon=23.62)     # ~2.2 km away
    wrong_kind = create_report(category=other, lat=46.7705, lon=23.62)
    yesterday = utcnow() - timedelta(days=1)
    db.session.execute(update(Report).where(Report.id.in_([near.id, far.id, wrong_kind.id]))
                       .values(created_at=yesterday))
    db.session.commit()
    drain()
    day = rules.previous_day(utcnow(), "Europe/Bucharest").isoformat()
    assert jobs.send_area_digests(day) == 1
    assert jobs.send_area_digests(day) == 0  # idempotent: a second run the same day adds nothing
    drain()
    [digest] = smtp.inbox.to("zona@example.org")[1:]
    body = digest.get_body(("plain",)).get_content()
    assert f"#{near.id} " in body and f"#{far.id} " not in body and f"#{wrong_kind.id} " not in body
    assert str(digest["List-Unsubscribe"]).strip().startswith("<http://cityreport.test/unsubscribe/")


def test_area_follow_form_rejects_missing_place_and_bad_radius(db_session, client):
    response = client.post("/follow/area", data={"email": "a@example.org", "radius": "10"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "choose a place on the map or a named area" in text


def test_departments_hear_of_new_reports_immediately_or_in_a_daily_digest(
        db_session, create_report, make_category, make_department, smtp, drain):
    from sqlalchemy import update

    from cityreport.notifications import jobs
    from cityreport.reports.models import Report

    now_dept = make_department(email="acum@city.test", notify_mode="immediate")
    daily_dept = make_department(email="zilnic@city.test", notify_mode="daily")
    silent = make_department(email="nu@city.test", notify_mode="none")
    first = create_report(category=make_category(default_department=now_dept))
    daily = [create_report(category=make_category(default_department=daily_dept)) for _ in range(2)]
    create_report(category=make_category(default_department=silent))
    db.session.commit()
    drain()
    [immediate] = smtp.inbox.to("acum@city.test")
    assert f"#{first.id}" in immediate["Subject"]
    assert smtp.inbox.to("zilnic@city.test") == []
    yesterday = utcnow() - timedelta(days=1)
    db.session.execute(update(Report).values(created_at=yesterday))
    db.session.commit()
    assert jobs.send_department_digests() == 1
    drain()
    [digest] = smtp.inbox.to("zilnic@city.test")
    body = digest.get_body(("plain",)).get_content()
    assert all(f"#{r.id} " in body for r in daily)
    assert smtp.inbox.to("nu@city.test") == []


def test_the_public_report_page_offers_the_follow_form_and_the_feed(db_session, create_report, client):
    report = create_report()
    db.session.commit()
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert f'action="/reports/{report.id}/follow"' in page
    assert f'href="/feeds/reports/{report.id}.atom"' in page


def test_following_a_named_service_area_lists_only_reports_inside_it(
        db_session, create_report, make_category, make_department, smtp, drain, client):
    from shapely.geometry import box
    from sqlalchemy import update

    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.notifications import jobs, subscriptions
    from cityreport.notifications.schemas import FollowAreaForm
    from cityreport.reports.models import Report
    from cityreport.routing.models import ServiceArea

    department = make_department()
    area = ServiceArea(department_id=department.id, name="Centru",
                       geom=element_from_shape(as_multipolygon(box(23.615, 46.765, 23.625, 46.775))))
    db.session.add(area)
    db.session.flush()
    by_area = FollowAreaForm(email="centru@example.org", area=area.id)
    sub = subscriptions.follow_area(by_area, "ro")
    again = subscriptions.follow_area(by_area, "ro")
    assert again.id == sub.id  # one subscription per address and area
    by_point = FollowAreaForm(email="centru@example.org", lat=46.77, lon=23.62, radius=400)
    point = subscriptions.follow_area(by_point, "ro")
    assert subscriptions.follow_area(by_point, "ro").id == point.id
    sub.confirmed_at = utcnow()
    category = make_category()
    inside = create_report(category=category, lat=46.77, lon=23.62)
    outside = create_report(category=category, lat=46.79, lon=23.65)
    db.session.execute(update(Report).values(created_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    drain()
    assert jobs.send_area_digests() == 1
    drain()
    digest = [m for m in smtp.inbox.to("centru@example.org") if "Centru" in m.get_body(("plain",)).get_content()]
    assert len(digest) == 1
    body = digest[0].get_body(("plain",)).get_content()
    assert f"#{inside.id} " in body and f"#{outside.id} " not in body
    feed = client.get(f"/feeds/service-areas/{area.id}.atom").get_data(as_text=True)
    assert f"/reports/{inside.id}<" in feed and f"/reports/{outside.id}<" not in feed

"""Staff sign-in: passwords, throttling per account and per IP, sign-out, CSRF, redirects."""

from __future__ import annotations

import pytest

from cityreport import create_app
from cityreport.extensions import db
from tests import conftest
from tests.integration.staff_helpers import (
    PASSWORD,
    english,  # noqa: F401  (autouse)
    sign_in,
)


@pytest.fixture(autouse=True)
def _clean_redis(redis_conn):
    return redis_conn


def test_sign_in_then_the_queue_opens(client, make_staff):
    user = make_staff()
    response = sign_in(client, user)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/queue")
    assert client.get("/staff/queue").status_code == 200
    assert user.last_login_at is not None


def test_anonymous_is_sent_to_sign_in_with_next(client):
    response = client.get("/staff/queue?status=closed")
    assert response.status_code == 302
    assert "/staff/login?next=" in response.headers["Location"]
    assert "status%3Dclosed" in response.headers["Location"]


def test_anonymous_json_caller_gets_401(client):
    response = client.get("/staff/queue.geojson", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_next_goes_back_to_the_page_but_never_off_site(client, make_staff):
    user = make_staff()
    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD,
                                                 "next": "/staff/queue?status=closed"})
    assert response.headers["Location"].endswith("/staff/queue?status=closed")
    client.post("/staff/logout")
    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD,
                                                 "next": "//evil.example/staff"})
    assert response.headers["Location"].endswith("/staff/queue")


def test_wrong_password_is_refused_without_saying_which_part(client, make_staff):
    user = make_staff()
    wrong = sign_in(client, user, "wrong password here")
    unknown = client.post("/staff/login", data={"email": "nobody@city.test", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert b"The e-mail or the password is wrong." in wrong.data
    assert client.get("/staff/queue").status_code == 302


def test_email_is_case_insensitive(client, make_staff):
    user = make_staff(email="Clerk@City.test")
    response = client.post("/staff/login", data={"email": "CLERK@city.TEST", "password": PASSWORD})
    assert response.status_code == 303
    assert user.email == "clerk@city.test"


def test_inactive_account_cannot_sign_in(client, make_staff):
    user = make_staff()
    user.active = False
    db.session.flush()
    assert sign_in(client, user).status_code == 401


def test_five_failures_lock_the_account_even_for_the_right_password(client, make_staff, redis_conn):
    user = make_staff()
    for _ in range(5):
        assert sign_in(client, user, "not the password!").status_code == 401
    locked = sign_in(client, user)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert b"Too many failed sign-ins" in locked.data
    # Another account from another address is not affected.
    other = make_staff()
    assert sign_in(client, other, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 303


def test_account_lock_holds_across_addresses(client, make_staff):
    user = make_staff()
    for n in range(5):
        sign_in(client, user, "not the password!", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    assert sign_in(client, user, environ_base={"REMOTE_ADDR": "10.0.1.1"}).status_code == 429


def test_twenty_failures_from_one_address_lock_that_address(client, make_staff):
    victims = [make_staff() for _ in range(5)]
    address = {"REMOTE_ADDR": "192.0.2.7"}
    for n in range(20):
        sign_in(client, victims[n % 5], "not the password!", environ_base=address)
    fresh = make_staff()
    assert sign_in(client, fresh, environ_base=address).status_code == 429
    assert sign_in(client, fresh, environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 303


def test_success_clears_the_account_failures(client, make_staff):
    user = make_staff()
    for _ in range(4):
        sign_in(client, user, "not the password!")
    assert sign_in(client, user).status_code == 303
    client.post("/staff/logout")
    for _ in range(4):
        sign_in(client, user, "not the password!")
    assert sign_in(client, user).status_code == 303


def test_sign_in_works_while_redis_is_down(app, db_session, make_staff, monkeypatch):
    from redis import Redis

    user = make_staff()
    monkeypatch.setitem(app.extensions, "redis", Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    client = app.test_client()
    assert sign_in(client, user, "not the password!").status_code == 401
    assert sign_in(client, user).status_code == 303


def test_sign_out_ends_the_session_and_old_cookies(app, client, make_staff):
    user = make_staff()
    sign_in(client, user)
    stolen = client.get_cookie("session").value
    response = client.post("/staff/logout")
    assert response.status_code == 303
    assert user.session_version == 2
    assert client.get("/staff/queue").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/staff/queue").status_code == 302


def test_sign_out_needs_post(client, make_staff):
    sign_in(client, make_staff())
    assert client.get("/staff/logout").status_code == 405
    assert client.get("/staff/queue").status_code == 200


def test_session_cookie_flags(client, make_staff):
    response = sign_in(client, make_staff())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure():
    from cityreport.config import load

    config = load(env={"CITYREPORT_ENV": "production", "SECRET_KEY": "x" * 40,
                       "DATABASE_URL": "postgresql://u@h/db"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


# ---- CSRF, with protection switched on as in production ---------------------------------------

@pytest.fixture()
def csrf_client(db_session):
    application = create_app(conftest.test_config(WTF_CSRF_ENABLED=True))
    return application.test_client()


def _token(client, path: str) -> str:
    import re

    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_sign_in_without_csrf_token_is_refused(csrf_client, make_staff):
    user = make_staff()
    response = sign_in(csrf_client, user)
    assert response.status_code == 400
    assert csrf_client.get("/staff/queue").status_code == 302
    token = _token(csrf_client, "/staff/login")
    response = csrf_client.post("/staff/login", data={"email": user.email, "password": PASSWORD,
                                                      "csrf_token": token})
    assert response.status_code == 303


def test_status_change_without_csrf_token_changes_nothing(csrf_client, make_staff, create_report):
    report = create_report()
    user = make_staff(department=report.department)
    token = _token(csrf_client, "/staff/login")
    csrf_client.post("/staff/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    form = {"status": "in_progress", "version": str(report.version), "public_note": "Echipa vine mâine."}
    refused = csrf_client.post(f"/staff/reports/{report.id}/status", data=form)
    assert refused.status_code == 400
    db.session.refresh(report)
    assert report.status == "new"
    forged = csrf_client.post(f"/staff/reports/{report.id}/status", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 400
    token = _token(csrf_client, f"/staff/reports/{report.id}")
    accepted = csrf_client.post(f"/staff/reports/{report.id}/status", data={**form, "csrf_token": token})
    assert accepted.status_code == 303
    db.session.refresh(report)
    assert report.status == "in_progress"


def test_every_staff_form_carries_a_csrf_token(csrf_client, make_staff, create_report):
    report = create_report()
    user = make_staff(role="city_admin")
    token = _token(csrf_client, "/staff/login")
    csrf_client.post("/staff/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    for path in ("/staff/queue", f"/staff/reports/{report.id}", "/staff/admin/departments",
                 "/staff/admin/categories", "/staff/admin/areas", "/staff/admin/staff", "/staff/admin/templates",
                 "/staff/admin/api-keys"):
        html = csrf_client.get(path).get_data(as_text=True)
        forms = html.count("<form")
        post_forms = html.count('method="post"')
        assert post_forms >= 1, path
        assert html.count('name="csrf_token"') >= post_forms, path
        assert forms >= post_forms

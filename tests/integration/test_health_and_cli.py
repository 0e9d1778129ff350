import re

from sqlalchemy import func, select

from cityreport.extensions import db
from cityreport.staff.models import StaffUser


def test_healthz_reports_database_postgis_and_redis(client, redis_conn):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["postgis"]["version"].startswith("3.")
    assert body["checks"]["redis"]["ok"] is True


def test_healthz_is_503_when_redis_is_down(app, client):
    from redis import Redis

    saved = app.extensions["redis"]
    app.extensions["redis"] = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        response = client.get("/healthz")
    finally:
        app.extensions["redis"] = saved
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["ok"] is False


def test_home_page_renders_in_romanian_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert re.search(r'<html lang="ro"[ >]', response.get_data(as_text=True))


def test_create_staff_command_reads_password_from_stdin(runner, make_department):
    make_department(slug="drumuri")
    result = runner.invoke(args=["create-staff", "--email", "Clerk@City.test", "--name", "Ana", "--role", "staff",
                                 "--department", "drumuri", "--password-stdin"], input="a long enough pass\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == "clerk@city.test")).one()
    assert user.password_hash.startswith("$argon2")
    assert "a long enough pass" not in user.password_hash


def test_create_staff_command_rejects_short_password_naming_the_field(runner, make_department):
    make_department(slug="drumuri")
    result = runner.invoke(args=["create-staff", "--email", "x@city.test", "--name", "X", "--department", "drumuri",
                                 "--password-stdin"], input="short\n")
    assert result.exit_code == 2
    assert "password" in result.output
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0

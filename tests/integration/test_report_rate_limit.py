"""Per-IP rate limit on report creation, counted in Redis, shared by the form and the API."""

from __future__ import annotations

import pytest

from cityreport import create_app
from cityreport.extensions import limiter
from tests.conftest import test_config as config_for_tests


@pytest.fixture()
def limited_app(app, db_session, redis_conn):
    # The limiter object is shared by every app in the process; put its switch back afterwards.
    previous = limiter.enabled
    limited = create_app(config_for_tests(RATELIMIT_ENABLED=True, RATELIMIT_REPORTS="3 per minute"))
    try:
        yield limited
    finally:
        limiter.enabled = previous


def test_fourth_report_in_a_minute_from_one_address_gets_429_with_retry_after(limited_app, redis_conn):
    client = limited_app.test_client()
    body = {"category": "no-such", "lat": 46.77, "lon": 23.6, "description": "x"}
    here = {"REMOTE_ADDR": "203.0.113.7"}
    statuses = [client.post("/api/v1/reports", json=body, environ_base=here).status_code for _ in range(2)]
    statuses.append(client.post("/report", data=body, environ_base=here).status_code)  # the form shares the budget
    blocked = client.post("/api/v1/reports", json=body, environ_base=here)
    assert statuses == [422, 422, 422]
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.json["error"]["code"] == "too_many_requests"
    assert any(key.decode().startswith("LIMITS") for key in redis_conn.keys("*"))
    # Another address has its own budget; reads are never limited.
    assert client.post("/api/v1/reports", json=body, environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 422
    assert client.get("/api/v1/categories", environ_base=here).status_code == 200

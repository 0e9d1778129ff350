"""Helpers shared by the staff tests (imported, not collected)."""

from __future__ import annotations

from typing import Any

import pytest

PASSWORD = "correct horse battery"


def sign_in(client, user, password: str = PASSWORD, **kwargs: Any):
    return client.post("/staff/login", data={"email": user.email, "password": password}, **kwargs)


def set_status(report, status: str) -> None:
    """Put a report straight into ``status`` (test set-up, bypassing the machine, but in a state it allows:
    an invalid report is hidden)."""
    from cityreport.extensions import db
    from cityreport.models_base import utcnow
    from cityreport.reports.rules import hides, is_closed

    report.status = status
    report.hidden = hides(status)
    if status != "new" and report.acknowledged_at is None:
        report.acknowledged_at = utcnow()
    report.closed_at = utcnow() if is_closed(status) else None
    db.session.flush()


@pytest.fixture(autouse=True)
def english(app, monkeypatch):
    """The staff tests read English messages; the app's default language is Romanian."""
    make_client = app.test_client

    def english_client(*args: Any, **kwargs: Any):
        client = make_client(*args, **kwargs)
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    monkeypatch.setattr(app, "test_client", english_client)

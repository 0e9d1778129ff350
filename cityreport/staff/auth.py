"""Loading the signed-in staff member from the session cookie."""

from __future__ import annotations

from flask import Flask, g

from cityreport.departments.models import StaffUser
from cityreport.extensions import db, login


def load_user(session_id: str) -> StaffUser | None:
    # The id carries the session version; signing out bumps it, so old cookies stop working.
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def init_app(app: Flask) -> None:
    login.user_loader(load_user)
    # The staff blueprint registers after this runs; the endpoint name is what matters.
    login.login_view = "staff.login"
    login.login_message = None
    # "strong" would drop the session whenever a phone changes networks; the session version
    # (bumped on sign-out and password change) is what ends sessions.
    login.session_protection = "basic"

    @app.before_request
    def _forget_cached_user() -> None:
        # Flask-Login caches the user on `g`, which lives as long as the app context. A request
        # normally gets a fresh one, but one that reuses an outer context (tests, scripts) must
        # still read the user from its own cookie.
        g.pop("_login_user", None)

"""Signing in: the throttle on failed attempts (in Redis), checking a password, and loading the signed-in
account from the session cookie (Flask-Login).

Functions flush and never commit; the request commits once.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache

from flask import Flask, g
from redis.exceptions import RedisError
from sqlalchemy import select

from cityreport.core.contact import normalise_email
from cityreport.extensions import db, login
from cityreport.models_base import utcnow
from cityreport.queue import get_redis
from cityreport.staff import rules
from cityreport.staff.accounts import hash_password, verify_password
from cityreport.staff.models import StaffUser

log = logging.getLogger(__name__)

THROTTLE = rules.ThrottlePolicy()
_KEY = "cityreport:login-failures"


@cache
def _dummy_hash() -> str:
    # Verifying against this when the e-mail is unknown makes both answers take the same time.
    return hash_password("not a real password, only for timing")


def _throttle_keys(email: str, ip: str) -> tuple[str, str]:
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"{_KEY}:account:{account}", f"{_KEY}:ip:{ip}"


def login_wait(email: str, ip: str, policy: rules.ThrottlePolicy = THROTTLE) -> int:
    """Seconds before this account or IP may try again; 0 when allowed.

    If Redis is unreachable sign-in stays possible (argon2 still makes each guess slow): staff
    must be able to work while the queue server is being repaired.
    """
    account_key, ip_key = _throttle_keys(email, ip)
    try:
        pipe = get_redis().pipeline()
        pipe.get(account_key).ttl(account_key).get(ip_key).ttl(ip_key)
        account, account_ttl, ip_count, ip_ttl = pipe.execute()
    except RedisError as exc:
        log.warning("sign-in throttle unavailable: %s", exc)
        return 0
    return rules.throttle_wait(int(account or 0), int(account_ttl), int(ip_count or 0), int(ip_ttl), policy)


def record_login_failure(email: str, ip: str, policy: rules.ThrottlePolicy = THROTTLE) -> None:
    account_key, ip_key = _throttle_keys(email, ip)
    try:
        pipe = get_redis().pipeline()
        for key in (account_key, ip_key):
            pipe.incr(key)
            pipe.expire(key, policy.window_seconds, nx=True)
        pipe.execute()
    except RedisError as exc:
        log.warning("sign-in failure not recorded: %s", exc)


def clear_login_failures(email: str, ip: str) -> None:
    # Only the account's count: clearing the IP's would let one valid account launder
    # guesses at every other account from the same address.
    account_key, _ip_key = _throttle_keys(email, ip)
    try:
        get_redis().delete(account_key)
    except RedisError as exc:
        log.warning("sign-in failures not cleared: %s", exc)


def authenticate(email: str, password: str) -> StaffUser | None:
    address = normalise_email(email) or email.strip().lower()
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == address)).first()
    if user is None:
        verify_password(StaffUser(password_hash=_dummy_hash()), password)
        return None
    if not verify_password(user, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.flush()
    return user


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

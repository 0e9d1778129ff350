"""Pure rules of the staff side: passwords, the sign-in throttle and the queue.

Who may do what is not here: that is the authorization matrix in core/permissions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cityreport.reports.rules import OPEN_STATUSES, awaits_acknowledgement

MIN_PASSWORD_LENGTH = 12
TOO_SHORT, BLANK = "too_short", "blank"


def password_problem(password: str) -> str | None:
    """Why a password is unacceptable (TOO_SHORT, BLANK), or None. Length is what matters (NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return TOO_SHORT
    if password.strip() == "":
        return BLANK
    return None


# ---- sign-in throttle -------------------------------------------------------------------------

@dataclass(frozen=True)
class ThrottlePolicy:
    """Failures allowed within ``window_seconds`` before sign-in is refused for the rest of the window.

    Per account it stops guessing one password; per IP it stops spraying many accounts from one place.
    """

    account_limit: int = 5
    ip_limit: int = 20
    window_seconds: int = 15 * 60


def throttle_wait(account_failures: int, account_ttl: int, ip_failures: int, ip_ttl: int,
                  policy: ThrottlePolicy = ThrottlePolicy()) -> int:
    """Seconds the caller must wait before trying again, 0 when a try is allowed."""
    waits = [0]
    if account_failures >= policy.account_limit:
        waits.append(account_ttl if account_ttl > 0 else policy.window_seconds)
    if ip_failures >= policy.ip_limit:
        waits.append(ip_ttl if ip_ttl > 0 else policy.window_seconds)
    return max(waits)


# ---- the queue ---------------------------------------------------------------------------------

SORTS = ("oldest", "overdue", "newest")
PAGE_SIZE = 50


def due_at(status: str, created_at: datetime, ack_target_hours: int, resolve_target_days: int) -> datetime:
    """When a report is due: a new one must be acknowledged, an open one resolved, within its category's targets."""
    if awaits_acknowledgement(status):
        return created_at + timedelta(hours=ack_target_hours)
    return created_at + timedelta(days=resolve_target_days)


def is_overdue(status: str, due: datetime | None, now: datetime) -> bool:
    return due is not None and status in OPEN_STATUSES and due < now


def overdue_by(status: str, due: datetime | None, now: datetime) -> timedelta | None:
    """How late an open report is, or None when it is not late (closed reports are never late)."""
    if not is_overdue(status, due, now):
        return None
    return now - due  # type: ignore[operator]

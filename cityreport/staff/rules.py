"""Pure rules of the staff side: who may do what, and the sign-in throttle.

Authorization lives here and only here; views ask ``can(user, action, department_id=...)``
(through ``cityreport.staff.access``) and never compare roles themselves.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cityreport.reports.rules import OPEN_STATUSES

ROLES = ("staff", "dept_admin", "city_admin")

# Actions on one department's reports. A department-scoped action asked with a department id
# is allowed only for the user's own department (city admins: every department).
REPORT_ACTIONS = ("view_queue", "view_report", "change_status", "add_note", "reassign", "mark_duplicate",
                  "mark_invalid", "reopen", "bulk_change")
DEPT_ADMIN_ACTIONS = ("manage_staff", "manage_templates")
CITY_ADMIN_ACTIONS = ("manage_departments", "manage_categories", "manage_areas", "manage_api_keys", "view_outbox",
                      "view_all_departments")
ACTIONS = REPORT_ACTIONS + DEPT_ADMIN_ACTIONS + CITY_ADMIN_ACTIONS
DEPARTMENT_SCOPED = frozenset(REPORT_ACTIONS + DEPT_ADMIN_ACTIONS)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "staff": frozenset(REPORT_ACTIONS),
    "dept_admin": frozenset(REPORT_ACTIONS + DEPT_ADMIN_ACTIONS),
    "city_admin": frozenset(ACTIONS),
}


class UnknownAction(ValueError):
    """A view asked about an action the matrix does not know: a programming error, never a 'no'."""


def can(user: Any, action: str, *, department_id: int | None = None) -> bool:
    """May ``user`` (a StaffUser, an anonymous user or None) do ``action``, in ``department_id`` if given?"""
    if action not in ACTIONS:
        raise UnknownAction(action)
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    role = getattr(user, "role", None)
    if action not in ROLE_ACTIONS.get(role, frozenset()):
        return False
    if role == "city_admin":
        return True
    if action in DEPARTMENT_SCOPED and department_id is not None:
        return department_id == user.department_id
    return True


def roles_allowed(action: str) -> tuple[str, ...]:
    return tuple(role for role in ROLES if action in ROLE_ACTIONS[role])


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
    if status == "new":
        return created_at + timedelta(hours=ack_target_hours)
    return created_at + timedelta(days=resolve_target_days)


def is_overdue(status: str, due: datetime | None, now: datetime) -> bool:
    return due is not None and status in OPEN_STATUSES and due < now


def overdue_by(status: str, due: datetime | None, now: datetime) -> timedelta | None:
    """How late an open report is, or None when it is not late (closed reports are never late)."""
    if not is_overdue(status, due, now):
        return None
    return now - due  # type: ignore[operator]


class CursorError(ValueError):
    pass


def encode_cursor(sort: str, key: datetime, report_id: int) -> str:
    """An opaque keyset cursor: the sort key and id of the last row shown."""
    raw = json.dumps([sort, key.isoformat(), report_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_sort, key, report_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(key)
        if not isinstance(report_id, int) or when.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise CursorError("not a cursor from this queue") from None
    if cursor_sort != sort:
        raise CursorError("the cursor belongs to another sort order")
    return when, report_id

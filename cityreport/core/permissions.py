"""Who may do what: the one authorization matrix (pure; docs/architecture.md, "Access").

Every page asks ``can(user, action, department_id=...)`` (through ``cityreport.core.access``) and never
compares roles itself. A department-scoped action asked with a department id is allowed only in the
user's own department; a city admin may do everything everywhere.
"""

from __future__ import annotations

from typing import Any

ROLES = ("staff", "dept_admin", "city_admin")

# Actions on one department's reports.
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
    """A page asked about an action the matrix does not know: a programming error, never a 'no'."""


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


def assignable_roles(user: Any) -> tuple[str, ...]:
    """The roles ``user`` may give a new account: a department admin cannot make a city admin."""
    return ROLES if can(user, "view_all_departments") else tuple(r for r in ROLES if r != "city_admin")

"""Enforcing the authorization rules at the HTTP boundary: view decorators and report loading.

Anonymous visitors of an HTML page are sent to the sign-in page (JSON callers get 401); signed-in
staff without the right get 403. A report of another department answers 404, so its existence is
not revealed to someone probing ids (IDOR).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import Unauthorized

from cityreport.errors import Forbidden, NotFound, wants_json
from cityreport.extensions import db
from cityreport.reports.models import Report
from cityreport.staff.rules import ACTIONS, ROLES, UnknownAction, can, roles_allowed

__all__ = ["can", "current_staff", "report_for", "require", "require_role", "staff_required", "ACTIONS", "ROLES",
           "roles_allowed"]

F = TypeVar("F", bound=Callable[..., Any])


def current_staff():
    """The signed-in StaffUser, or None."""
    user = current_user._get_current_object() if current_user else None
    if user is None or not user.is_authenticated:
        return None
    return user


def _unauthenticated():
    if wants_json() or "staff.login" not in current_app.view_functions:
        raise Unauthorized()
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("staff.login", next=target))


def _guard(allowed: Callable[[Any], bool]) -> Callable[[F], F]:
    """A view decorator: anonymous visitors go to sign in; signed-in staff not ``allowed`` get 403."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            user = current_staff()
            if user is None:
                return _unauthenticated()
            if not allowed(user):
                raise Forbidden()
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorate


def staff_required(view: F) -> F:
    """Any active, signed-in staff member."""
    return _guard(lambda user: True)(view)


def require_role(*roles: str) -> Callable[[F], F]:
    """Signed-in staff whose role is one of ``roles``. Prefer ``require(action)``, which reads the matrix."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return _guard(lambda user: user.role in roles)


def require(action: str) -> Callable[[F], F]:
    """Signed-in staff allowed ``action`` by the matrix (department checks are made on the object)."""
    if action not in ACTIONS:
        raise UnknownAction(action)
    return _guard(lambda user: can(user, action))


def check(action: str, *, department_id: int | None = None) -> None:
    """Raise 403 unless the signed-in user may do ``action`` (in ``department_id``)."""
    if not can(current_staff(), action, department_id=department_id):
        raise Forbidden()


def report_for(user: Any, report_id: int, action: str = "view_report", *, for_update: bool = False) -> Report:
    """The report ``report_id`` if ``user`` may do ``action`` on it; 404 otherwise (never 403: no probing)."""
    if not can(user, action):
        # A role that may never do this at all: the answer does not depend on the report.
        raise Forbidden() if user is not None and user.is_authenticated else NotFound()
    stmt = db.select(Report).where(Report.id == report_id)
    if for_update:
        stmt = stmt.with_for_update(of=Report)
    report = db.session.scalars(stmt).first()
    if report is None or not can(user, action, department_id=report.department_id):
        raise NotFound()
    return report

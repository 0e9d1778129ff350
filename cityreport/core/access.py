"""Enforcing the authorization matrix (core/permissions.py) at the HTTP boundary: view decorators.

Anonymous visitors of an HTML page are sent to the sign-in page (JSON callers get 401); signed-in
staff without the right get 403. Every package's pages use these, which is why they sit in core.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import Unauthorized

from cityreport.core.permissions import ACTIONS, ROLES, UnknownAction, can
from cityreport.errors import Forbidden, wants_json

F = TypeVar("F", bound=Callable[..., Any])

# The sign-in page's endpoint (cityreport/staff/views.py); named, not imported, so core imports no page.
LOGIN_ENDPOINT = "staff.login"


def current_staff() -> Any:
    """The signed-in StaffUser, or None."""
    user = current_user._get_current_object() if current_user else None
    if user is None or not user.is_authenticated:
        return None
    return user


def allowed(action: str, department_id: int | None = None) -> bool:
    """May the signed-in user do ``action`` (in ``department_id``)? For pages and templates."""
    return can(current_staff(), action, department_id=department_id)


def _unauthenticated():
    if wants_json() or LOGIN_ENDPOINT not in current_app.view_functions:
        raise Unauthorized()
    target = request.full_path if request.query_string else request.path
    return redirect(url_for(LOGIN_ENDPOINT, next=target))


def _guard(permitted: Callable[[Any], bool]) -> Callable[[F], F]:
    """A view decorator: anonymous visitors go to sign in; signed-in staff not ``permitted`` get 403."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            user = current_staff()
            if user is None:
                return _unauthenticated()
            if not permitted(user):
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


def require_any(*actions: str) -> Callable[[F], F]:
    """Signed-in staff allowed at least one of ``actions`` (the administration index)."""
    unknown = set(actions) - set(ACTIONS)
    if unknown:
        raise UnknownAction(", ".join(sorted(unknown)))
    return _guard(lambda user: any(can(user, action) for action in actions))


def check(action: str, *, department_id: int | None = None) -> None:
    """Raise 403 unless the signed-in user may do ``action`` (in ``department_id``)."""
    if not allowed(action, department_id=department_id):
        raise Forbidden()

"""Staff accounts: creating them, their passwords, switching them on and off, ending their sessions.

Functions flush and never commit: the request or the command does.
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from cityreport.core.inputs import check, read, refusal
from cityreport.core.permissions import assignable_roles, can
from cityreport.departments.models import Department
from cityreport.departments.services import department_by_slug, departments_by_name
from cityreport.errors import NotFound, ValidationError
from cityreport.extensions import db
from cityreport.staff.models import StaffUser
from cityreport.staff.schemas import AdminAccountForm, StaffAccountForm

_hasher = PasswordHasher()
# The test suite hashes hundreds of passwords; the KDF's cost is argon2's to test, not ours.
_test_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _current_hasher() -> PasswordHasher:
    if has_app_context() and current_app.config.get("ENV_NAME") == "testing":
        return _test_hasher
    return _hasher


def hash_password(password: str) -> str:
    return _current_hasher().hash(password)


def verify_password(user: StaffUser, password: str) -> bool:
    hasher = _current_hasher()
    try:
        ok = hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return ok


def create_staff(*, email: str, name: str, role: str, password: str, department_slug: str | None) -> StaffUser:
    """A new account, checked by schemas.StaffAccountForm and here; names every problem at once."""
    checked = check(StaffAccountForm, {"email": email, "name": name, "role": role, "password": password,
                                       "department": department_slug})
    department = None
    if department_slug:
        department = department_by_slug(department_slug)
        if department is None:
            checked.fail("department", _("no department %(slug)s", slug=department_slug))
    elif checked.values.get("role", role) != "city_admin":
        checked.fail("department", _("is required for staff and department admins"))
    address = checked.values.get("email")
    if address and db.session.scalars(select(StaffUser.id).where(StaffUser.email == address)).first():
        checked.fail("email", _("an account with this e-mail exists"))
    if checked.fields:
        raise refusal(StaffAccountForm, checked)
    data = StaffAccountForm.model_validate(checked.values)
    user = StaffUser(email=data.email, name=data.name, role=data.role, password_hash=hash_password(data.password),
                     department_id=department.id if department else None)
    db.session.add(user)
    db.session.flush()
    return user


def set_staff_active(user: StaffUser, active: bool) -> None:
    """Deactivating ends every session the account has open at once."""
    if user.active and not active:
        user.session_version += 1
    user.active = active
    db.session.flush()


def end_sessions(user: StaffUser) -> None:
    """Every session cookie issued so far stops working (sign-out, deactivation, password change)."""
    user.session_version += 1
    db.session.flush()


# ---- administration -------------------------------------------------------------------------------

def accounts_visible_to(user: StaffUser) -> list[StaffUser]:
    """The accounts an admin manages: every one for a city admin, their department's for a department admin."""
    stmt = select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name)
    if not can(user, "view_all_departments"):
        stmt = stmt.where(StaffUser.department_id == user.department_id)
    return list(db.session.scalars(stmt))


def departments_for_new_accounts(user: StaffUser) -> list[Department]:
    departments = departments_by_name(active_only=True)
    if can(user, "view_all_departments"):
        return departments
    return [d for d in departments if d.id == user.department_id]


def account_managed_by(user: StaffUser, account_id: int) -> StaffUser:
    """An account ``user`` may manage; 404 for any other (its existence is not revealed)."""
    person = db.session.get(StaffUser, account_id)
    if person is None or not can(user, "manage_staff", department_id=person.department_id) or (
            person.role == "city_admin" and not can(user, "view_all_departments")):
        raise NotFound()
    return person


def create_staff_by(user: StaffUser, form: Any) -> StaffUser:
    """An admin creates an account: only roles they may give, only in departments they manage."""
    given = read(AdminAccountForm, form)
    email, name, role, password = given.email, given.name, given.role, given.password
    department = db.session.get(Department, given.department) if given.department else None
    if role not in assignable_roles(user):
        raise ValidationError(fields={"role": _("you may not create this role")})
    if department is not None and not can(user, "manage_staff", department_id=department.id):
        raise ValidationError(fields={"department": _("you may only add staff to your department")})
    return create_staff(email=email, name=name, role=role, password=password,
                        department_slug=department.slug if department else None)


def set_active_by(user: StaffUser, person: StaffUser, active: bool) -> None:
    if person.id == user.id and not active:
        raise ValidationError(fields={"active": _("you cannot deactivate your own account")})
    set_staff_active(person, active)

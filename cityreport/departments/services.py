"""Departments, categories and staff accounts."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from cityreport.departments import rules
from cityreport.departments.models import ROLES, Department, StaffUser
from cityreport.errors import ValidationError
from cityreport.extensions import db

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: StaffUser, password: str) -> bool:
    try:
        ok = _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok


def department_by_slug(slug: str) -> Department | None:
    return db.session.scalars(select(Department).where(Department.slug == slug)).first()


def create_staff(*, email: str, name: str, role: str, password: str, department_slug: str | None) -> StaffUser:
    fields: dict[str, str] = {}
    email = rules.normalise_email(email)
    if not rules.is_email(email):
        fields["email"] = "not a valid e-mail address"
    if role not in ROLES:
        fields["role"] = f"must be one of {', '.join(ROLES)}"
    problem = rules.password_problem(password)
    if problem:
        fields["password"] = problem
    department = None
    if department_slug:
        department = department_by_slug(department_slug)
        if department is None:
            fields["department"] = f"no department {department_slug!r}"
    elif role != "city_admin":
        fields["department"] = "required for staff and dept_admin"
    if db.session.scalars(select(StaffUser.id).where(StaffUser.email == email)).first():
        fields["email"] = "an account with this e-mail exists"
    if fields:
        raise ValidationError(fields=fields)
    user = StaffUser(email=email, name=name.strip(), role=role, password_hash=hash_password(password),
                     department_id=department.id if department else None)
    db.session.add(user)
    db.session.flush()
    return user

"""Departments and categories: looking them up, and saving them from the administration pages.

Functions flush and never commit: the request or the command does.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from cityreport.core.contact import is_email
from cityreport.departments.models import Category, Department
from cityreport.errors import NotFound, ValidationError
from cityreport.extensions import db
from cityreport.models_base import upsert


def department_by_slug(slug: str) -> Department | None:
    return db.session.scalars(select(Department).where(Department.slug == slug)).first()


def departments_by_name(*, active_only: bool = False) -> list[Department]:
    stmt = select(Department).order_by(Department.name_ro)
    if active_only:
        stmt = stmt.where(Department.active.is_(True))
    return list(db.session.scalars(stmt))


def categories_by_group() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.group_ro, Category.name_ro)))


def department_or_404(department_id: int | None) -> Department:
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        raise NotFound()
    return department


def category_or_404(category_id: int | None) -> Category:
    category = db.session.get(Category, category_id) if category_id else None
    if category is None:
        raise NotFound()
    return category


# ---- administration (the staff admin pages) -----------------------------------------------------

NOTIFY_MODES = ("immediate", "daily", "none")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _text(data: dict[str, Any], name: str, fields: dict[str, str], *, required: bool = True,
          limit: int = 200) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        fields[name] = _("is required")
    elif len(value) > limit:
        fields[name] = _("at most %(n)s characters", n=limit)
    return value


def _number(data: dict[str, Any], name: str, fields: dict[str, str], *, low: int, high: int) -> int:
    raw = str(data.get(name) or "").strip()
    try:
        value = int(raw)
    except ValueError:
        fields[name] = _("must be a whole number")
        return low
    if not low <= value <= high:
        fields[name] = _("must be between %(low)s and %(high)s", low=low, high=high)
    return value


def _flag(data: dict[str, Any], name: str) -> bool:
    return str(data.get(name) or "").lower() in {"1", "true", "on", "yes"}


def save_department(data: dict[str, Any], department: Department | None = None) -> Department:
    """Create (``department`` None) or update a department from form data."""
    fields: dict[str, str] = {}
    slug = _text(data, "slug", fields, limit=80).lower()
    if slug and not SLUG_RE.match(slug):
        fields["slug"] = _("lower-case letters, digits and dashes only")
    values = {"slug": slug, "name_ro": _text(data, "name_ro", fields), "name_en": _text(data, "name_en", fields),
              "email": _text(data, "email", fields, required=False, limit=254) or None,
              "notify_mode": str(data.get("notify_mode") or "daily"), "is_fallback": _flag(data, "is_fallback"),
              "active": _flag(data, "active")}
    if values["email"] and not is_email(values["email"]):
        fields["email"] = _("not a valid e-mail address")
    if values["notify_mode"] not in NOTIFY_MODES:
        fields["notify_mode"] = _("must be one of: %(choices)s", choices=", ".join(NOTIFY_MODES))
    clash = db.session.scalars(select(Department.id).where(Department.slug == slug)).first()
    if slug and clash is not None and (department is None or clash != department.id):
        fields["slug"] = _("another department has this slug")
    if fields:
        raise ValidationError(fields=fields)
    if values["is_fallback"]:
        # One dispatcher: naming a new fallback department retires the old one.
        for other in db.session.scalars(select(Department).where(Department.is_fallback.is_(True))):
            if department is None or other.id != department.id:
                other.is_fallback = False
    return upsert(Department, department, values)


def save_category(data: dict[str, Any], category: Category | None = None) -> Category:
    fields: dict[str, str] = {}
    code = _text(data, "code", fields, limit=40).lower()
    if code and not SLUG_RE.match(code):
        fields["code"] = _("lower-case letters, digits and dashes only")
    values: dict[str, Any] = {
        "code": code, "name_ro": _text(data, "name_ro", fields), "name_en": _text(data, "name_en", fields),
        "group_ro": _text(data, "group_ro", fields, limit=120), "group_en": _text(data, "group_en", fields, limit=120),
        "ack_target_hours": _number(data, "ack_target_hours", fields, low=1, high=24 * 90),
        "resolve_target_days": _number(data, "resolve_target_days", fields, low=1, high=3650),
        "active": _flag(data, "active"),
    }
    raw_department = str(data.get("default_department") or "").strip()
    values["default_department_id"] = None
    if raw_department:
        department = db.session.get(Department, int(raw_department)) if raw_department.isdigit() else None
        if department is None:
            fields["default_department"] = _("no such department")
        else:
            values["default_department_id"] = department.id
    clash = db.session.scalars(select(Category.id).where(Category.code == code)).first()
    if code and clash is not None and (category is None or clash != category.id):
        fields["code"] = _("another category has this code")
    if fields:
        raise ValidationError(fields=fields)
    return upsert(Category, category, values)

"""Departments and categories: looking them up, and saving them from the administration pages.

Functions flush and never commit: the request or the command does.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from cityreport.core.inputs import check, refusal
from cityreport.departments.models import Category, Department
from cityreport.departments.schemas import CategoryForm, DepartmentForm
from cityreport.errors import NotFound
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


# ---- administration -------------------------------------------------------------------------------

def save_department(form: Any, department: Department | None = None) -> Department:
    """Create (``department`` None) or update a department from its form; names every problem at once."""
    checked = check(DepartmentForm, form)
    slug = checked.values.get("slug")
    clash = db.session.scalars(select(Department.id).where(Department.slug == slug)).first() if slug else None
    if clash is not None and (department is None or clash != department.id):
        checked.fail("slug", _("another department has this slug"))
    if checked.fields:
        raise refusal(DepartmentForm, checked)
    data = DepartmentForm.model_validate(checked.values)
    if data.is_fallback:
        # One dispatcher: naming a new fallback department retires the old one.
        for other in db.session.scalars(select(Department).where(Department.is_fallback.is_(True))):
            if department is None or other.id != department.id:
                other.is_fallback = False
    return upsert(Department, department, data.model_dump())


def save_category(form: Any, category: Category | None = None) -> Category:
    checked = check(CategoryForm, form)
    values = {k: v for k, v in checked.values.items() if k != "default_department"}
    values["default_department_id"] = None
    department_id = checked.values.get("default_department")
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None:
            checked.fail("default_department", _("no such department"))
        else:
            values["default_department_id"] = department.id
    code = checked.values.get("code")
    clash = db.session.scalars(select(Category.id).where(Category.code == code)).first() if code else None
    if clash is not None and (category is None or clash != category.id):
        checked.fail("code", _("another category has this code"))
    if checked.fields:
        raise refusal(CategoryForm, checked)
    return upsert(Category, category, values)

"""Response templates: canned public notes a department (or the whole city) keeps for common answers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    or_,
    select,
)

from cityreport.core.inputs import check, refusal
from cityreport.core.permissions import can
from cityreport.departments.models import Category, Department
from cityreport.errors import Forbidden, NotFound
from cityreport.extensions import db
from cityreport.models_base import upsert
from cityreport.reports.models import Report
from cityreport.staff.models import ResponseTemplate, StaffUser
from cityreport.staff.schemas import TemplateForm


def templates_for(report: Report) -> list[ResponseTemplate]:
    """The active templates that suit a report: its category's or any category's, its department's or the city's."""
    stmt = (select(ResponseTemplate)
            .where(ResponseTemplate.active.is_(True),
                   or_(ResponseTemplate.category_id.is_(None), ResponseTemplate.category_id == report.category_id),
                   or_(ResponseTemplate.department_id.is_(None),
                       ResponseTemplate.department_id == report.department_id))
            .order_by(ResponseTemplate.title, ResponseTemplate.id))
    return list(db.session.scalars(stmt))


def template_for_editing(user: StaffUser, template_id: int) -> ResponseTemplate:
    """A template ``user`` may edit: city-wide ones are the city admin's; others, their department's."""
    template = db.session.get(ResponseTemplate, template_id)
    if template is None:
        raise NotFound()
    if template.department_id is None and not can(user, "view_all_departments"):
        raise Forbidden()
    if template.department_id is not None and not can(user, "manage_templates", department_id=template.department_id):
        raise NotFound()
    return template


def templates_visible_to(user: StaffUser) -> list[ResponseTemplate]:
    stmt = select(ResponseTemplate).order_by(ResponseTemplate.active.desc(), ResponseTemplate.title)
    if not can(user, "view_all_departments"):
        stmt = stmt.where(or_(ResponseTemplate.department_id == user.department_id,
                              ResponseTemplate.department_id.is_(None)))
    return list(db.session.scalars(stmt))


def save_template(user: StaffUser, form: Any, template: ResponseTemplate | None = None) -> ResponseTemplate:
    """Create or update a template from its form. A department admin's templates always belong to their
    department; names every problem at once."""
    checked = check(TemplateForm, form)
    values = checked.values
    category_id = values.get("category")
    if category_id is not None and db.session.get(Category, category_id) is None:
        checked.fail("category", _("no such category"))
    if can(user, "view_all_departments"):
        department_id = values.get("department")
        if department_id is not None and db.session.get(Department, department_id) is None:
            checked.fail("department", _("no such department"))
    else:
        department_id = user.department_id
    if checked.fields:
        raise refusal(TemplateForm, checked)
    data = TemplateForm.model_validate(values)
    return upsert(ResponseTemplate, template, {"title": data.title, "text_ro": data.text_ro, "text_en": data.text_en,
                                               "status": data.status, "category_id": category_id,
                                               "department_id": department_id, "active": data.active})

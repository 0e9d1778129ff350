"""Response templates: canned public notes a department (or the whole city) keeps for common answers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    or_,
    select,
)

from cityreport.core.permissions import can
from cityreport.departments.models import Category, Department
from cityreport.errors import Forbidden, NotFound, ValidationError
from cityreport.extensions import db
from cityreport.models_base import upsert
from cityreport.reports import rules as report_rules
from cityreport.reports.models import Report
from cityreport.staff.models import ResponseTemplate, StaffUser


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


def save_template(user: StaffUser, data: Any, template: ResponseTemplate | None = None) -> ResponseTemplate:
    """Create or update a template. A department admin's templates always belong to their department."""
    fields: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    text_ro = str(data.get("text_ro") or "").replace("\r\n", "\n").strip()
    text_en = str(data.get("text_en") or "").replace("\r\n", "\n").strip()
    if not title:
        fields["title"] = _("is required")
    elif len(title) > 120:
        fields["title"] = _("at most %(n)s characters", n=120)
    if not text_ro:
        fields["text_ro"] = _("is required")
    for name, value in (("text_ro", text_ro), ("text_en", text_en)):
        if len(value) > 5000:
            fields[name] = _("at most %(n)s characters", n=5000)
    status = str(data.get("status") or "").strip() or None
    if status is not None and status not in report_rules.STATUSES:
        fields["status"] = _("unknown status")
    category_id = None
    raw = str(data.get("category") or "").strip()
    if raw:
        category = db.session.get(Category, int(raw)) if raw.isdigit() else None
        if category is None:
            fields["category"] = _("no such category")
        else:
            category_id = category.id
    if can(user, "view_all_departments"):
        raw = str(data.get("department") or "").strip()
        department_id = None
        if raw:
            department = db.session.get(Department, int(raw)) if raw.isdigit() else None
            if department is None:
                fields["department"] = _("no such department")
            else:
                department_id = department.id
    else:
        department_id = user.department_id
    if fields:
        raise ValidationError(fields=fields)
    values = {"title": title, "text_ro": text_ro, "text_en": text_en, "status": status,
              "category_id": category_id, "department_id": department_id,
              "active": str(data.get("active") or "").lower() in {"1", "on", "true", "yes"}}
    return upsert(ResponseTemplate, template, values)

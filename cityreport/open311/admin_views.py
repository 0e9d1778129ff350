"""Staff pages for Open311, under /staff/admin: the per-category questions (service attributes) and the
API keys that let client applications post requests (city admins).

Also gives templates `open311_details(report)`, which the staff report page includes through
`open311/_report_attributes.html` to show the answers and what an Open311 client sent.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cityreport.core.access import require
from cityreport.core.pages import admin_page
from cityreport.core.transaction import commits
from cityreport.departments.models import Category
from cityreport.errors import AppError, NotFound, ValidationError
from cityreport.extensions import db
from cityreport.i18n import current_language
from cityreport.open311 import services
from cityreport.open311.models import ATTRIBUTE_DATATYPES, ServiceAttribute

bp = Blueprint("open311_admin", __name__, url_prefix="/staff/admin")


def _category(code: str) -> Category:
    category = services.category_by_code(code, active_only=False)
    if category is None:
        raise NotFound()
    return category


def _attribute(category: Category, attribute_id: int) -> ServiceAttribute:
    attribute = db.session.get(ServiceAttribute, attribute_id)
    if attribute is None or attribute.category_id != category.id:
        raise NotFound()
    return attribute


def parse_values(text: str) -> list[dict[str, str]]:
    """One choice a line: ``key | Romanian name | English name`` (the English name may be left out)."""
    values = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        key = parts[0]
        name_ro = parts[1] if len(parts) > 1 and parts[1] else key
        name_en = parts[2] if len(parts) > 2 and parts[2] else name_ro
        values.append({"key": key, "name_ro": name_ro[:200], "name_en": name_en[:200]})
    return values


def values_text(values: list[dict[str, str]]) -> str:
    return "\n".join(f"{v['key']} | {v.get('name_ro', '')} | {v.get('name_en', '')}" for v in values or [])


def _page(category: Category, status: int = 200, **context: Any):
    context.setdefault("error", None)
    context.setdefault("fields", {})
    context.setdefault("form", {})
    editing = None
    edit_id = request.args.get("edit", type=int)
    if edit_id:
        editing = _attribute(category, edit_id)
    return render_template("open311/attributes.html", category=category, editing=editing,
                           attributes=services.attributes_for(category.id, active_only=False),
                           datatypes=ATTRIBUTE_DATATYPES, lang=current_language(), values_text=values_text,
                           categories_url=url_for("departments_admin.categories_list")
                           if "departments_admin.categories_list" in current_app.view_functions else None,
                           **context), status


@bp.get("/categories/<code>/attributes")
@require("manage_categories")
def attributes(code: str):
    return _page(_category(code))


def _refused_attribute(exc: AppError, code: str):
    if not isinstance(exc, ValidationError):
        raise exc
    return _page(_category(code), exc.status, error=exc.message, fields=exc.fields, form=request.form.to_dict())


@bp.post("/categories/<code>/attributes")
@require("manage_categories")
@commits(refused=_refused_attribute)
def attribute_save(code: str) -> Response:
    category = _category(code)
    form = request.form
    attribute_id = form.get("id", type=int)
    attribute = _attribute(category, attribute_id) if attribute_id else None
    position = form.get("position", type=int)
    data = services.AttributeInput(
        code=form.get("code", "").strip(), datatype=form.get("datatype", ""),
        description_ro=form.get("description_ro", ""), description_en=form.get("description_en", ""),
        datatype_description_ro=form.get("datatype_description_ro", ""),
        datatype_description_en=form.get("datatype_description_en", ""),
        required=form.get("required") == "1", position=position if position is not None else -1,
        values=parse_values(form.get("values", "")), active=form.get("active") == "1")
    services.save_attribute(category, data, attribute)
    return redirect(url_for("open311_admin.attributes", code=category.code), 303)


@bp.post("/categories/<code>/attributes/<int:attribute_id>/delete")
@require("manage_categories")
@commits
def attribute_delete(code: str, attribute_id: int) -> Response:
    category = _category(code)
    services.delete_attribute(_attribute(category, attribute_id))
    return redirect(url_for("open311_admin.attributes", code=category.code), 303)


# ---- API keys --------------------------------------------------------------------------------

@bp.get("/api-keys")
@require("manage_api_keys")
def api_keys():
    return admin_page("api_keys.html", keys=services.list_api_keys(), new_key=None)


@bp.post("/api-keys")
@require("manage_api_keys")
@commits
def api_key_create():
    name = (request.form.get("name") or "").strip()
    if not name or len(name) > 120:
        return admin_page("api_keys.html", 422, keys=services.list_api_keys(), new_key=None,
                          error=_("Some fields are not valid."),
                          fields={"name": _("is required") if not name else _("at most %(n)s characters", n=120)})
    key, plaintext = services.create_api_key(name)
    # Shown in this response only; the database keeps its SHA-256. No redirect, so it is never in a URL.
    page, _status = admin_page("api_keys.html", keys=services.list_api_keys(), new_key=plaintext,
                               new_key_name=key.name)
    return page, 201, {"Cache-Control": "no-store"}


@bp.post("/api-keys/<int:key_id>/revoke")
@require("manage_api_keys")
@commits
def api_key_revoke(key_id: int) -> Response:
    services.revoke_api_key(key_id)
    flash(_("The key was revoked; applications using it can no longer post."))
    return redirect(url_for("open311_admin.api_keys"), 303)


def open311_details(report: Any) -> dict[str, Any]:
    """The answers (labelled in the page's language) and the Open311 submission of a report, for staff."""
    lang = current_language()
    questions = {a.code: a for a in services.attributes_for(report.category_id, active_only=False)}
    answers = []
    for code, value in (report.attributes or {}).items():
        question = questions.get(code)
        label = question.description(lang) if question else code
        if question is not None and question.datatype in ("singlevaluelist", "multivaluelist"):
            keys = value if isinstance(value, list) else [value]
            shown = ", ".join(question.value_name(str(k), lang) for k in keys)
        else:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        answers.append({"code": code, "label": label, "value": shown,
                        "position": question.position if question else 10_000})
    answers.sort(key=lambda a: (a["position"], a["code"]))
    return {"answers": answers, "submission": services.submission_for(report.id),
            "unanswered_label": _("No answer")}

"""Staff pages for Open311, under /staff/admin: the per-category questions (service attributes) and the
API keys that let client applications post requests (city admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cityreport.core.access import require
from cityreport.core.inputs import read
from cityreport.core.pages import admin_page, refused_form
from cityreport.core.transaction import commits
from cityreport.departments.models import Category
from cityreport.errors import AppError, ValidationError
from cityreport.i18n import current_language
from cityreport.open311 import rules, schemas, services
from cityreport.open311.models import ATTRIBUTE_DATATYPES

bp = Blueprint("open311_admin", __name__, url_prefix="/staff/admin")


def _page(category: Category, status: int = 200, **context: Any):
    context.setdefault("error", None)
    context.setdefault("fields", {})
    context.setdefault("form", {})
    edit_id = request.args.get("edit", type=int)
    editing = services.attribute_of(category, edit_id) if edit_id else None
    return render_template("open311/attributes.html", category=category, editing=editing,
                           attributes=services.attributes_for(category.id, active_only=False),
                           datatypes=ATTRIBUTE_DATATYPES, lang=current_language(), values_text=rules.values_text,
                           categories_url=url_for("departments_admin.categories_list")
                           if "departments_admin.categories_list" in current_app.view_functions else None,
                           **context), status


@bp.get("/categories/<code>/attributes")
@require("manage_categories")
def attributes(code: str):
    return _page(services.category_or_404(code))


def _refused_attribute(exc: AppError, code: str):
    if not isinstance(exc, ValidationError):
        raise exc
    return _page(services.category_or_404(code), exc.status, error=exc.message, fields=exc.fields,
                 form=request.form.to_dict())


@bp.post("/categories/<code>/attributes")
@require("manage_categories")
@commits(refused=_refused_attribute)
def attribute_save(code: str) -> Response:
    category = services.category_or_404(code)
    attribute_id = request.form.get("id", type=int)
    attribute = services.attribute_of(category, attribute_id) if attribute_id else None
    services.save_attribute(category, services.AttributeInput.of(read(schemas.AttributeForm, request.form)),
                            attribute)
    return redirect(url_for("open311_admin.attributes", code=category.code), 303)


@bp.post("/categories/<code>/attributes/<int:attribute_id>/delete")
@require("manage_categories")
@commits
def attribute_delete(code: str, attribute_id: int) -> Response:
    category = services.category_or_404(code)
    services.delete_attribute(services.attribute_of(category, attribute_id))
    return redirect(url_for("open311_admin.attributes", code=category.code), 303)


# ---- API keys --------------------------------------------------------------------------------

@bp.get("/api-keys")
@require("manage_api_keys")
def api_keys():
    return _keys_page()


def _keys_page(status_code: int = 200, **context: Any):
    return admin_page("api_keys.html", status_code, keys=services.list_api_keys(), new_key=None, **context)


@bp.post("/api-keys")
@require("manage_api_keys")
@commits(refused=refused_form(_keys_page))
def api_key_create():
    key, plaintext = services.create_api_key(read(schemas.ApiKeyForm, request.form).name)
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

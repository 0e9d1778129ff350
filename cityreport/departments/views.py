"""Administration of departments and categories, under /staff/admin (city admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cityreport.core.access import require
from cityreport.core.pages import admin_page, refused_form
from cityreport.core.transaction import commits
from cityreport.departments import services
from cityreport.i18n import current_language

bp = Blueprint("departments_admin", __name__, url_prefix="/staff/admin")


# ---- departments -------------------------------------------------------------------------------

def _departments_page(status_code: int = 200, **context: Any):
    edit_id = request.args.get("edit", type=int)
    editing = services.department_or_404(edit_id) if edit_id is not None else None
    return admin_page("departments.html", status_code, departments=services.departments_by_name(), editing=editing,
                      **context)


@bp.get("/departments")
@require("manage_departments")
def departments_list():
    return _departments_page()


@bp.post("/departments")
@require("manage_departments")
@commits(refused=refused_form(_departments_page))
def department_save() -> Response:
    department_id = request.form.get("id", type=int)
    department = services.department_or_404(department_id) if department_id else None
    saved = services.save_department(request.form, department)
    flash(_("Department “%(name)s” saved.", name=saved.name(current_language())))
    return redirect(url_for("departments_admin.departments_list"), 303)


# ---- categories --------------------------------------------------------------------------------

def _categories_page(status_code: int = 200, **context: Any):
    edit_id = request.args.get("edit", type=int)
    editing = services.category_or_404(edit_id) if edit_id is not None else None
    return admin_page("categories.html", status_code, categories=services.categories_by_group(), editing=editing,
                      departments=services.departments_by_name(), **context)


@bp.get("/categories")
@require("manage_categories")
def categories_list():
    return _categories_page()


@bp.post("/categories")
@require("manage_categories")
@commits(refused=refused_form(_categories_page))
def category_save() -> Response:
    category_id = request.form.get("id", type=int)
    category = services.category_or_404(category_id) if category_id else None
    saved = services.save_category(request.form, category)
    flash(_("Category “%(name)s” saved.", name=saved.name(current_language())))
    return redirect(url_for("departments_admin.categories_list"), 303)

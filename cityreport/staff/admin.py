"""Administration under /staff/admin: departments, categories, service areas, staff accounts,
response templates and Open311 API keys. Each page asks the authorization matrix first."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from cityreport.core.transaction import commits
from cityreport.departments import services as departments
from cityreport.departments.models import ROLES, Category, Department, StaffUser
from cityreport.errors import AppError, Forbidden, NotFound, ValidationError
from cityreport.extensions import db
from cityreport.i18n import current_language
from cityreport.open311 import services as open311
from cityreport.reports.rules import STATUSES
from cityreport.routing import services as routing
from cityreport.routing.importer import AreaImportError, read_areas
from cityreport.routing.models import ServiceArea
from cityreport.staff import services
from cityreport.staff.access import current_staff, require, staff_required
from cityreport.staff.models import ResponseTemplate
from cityreport.staff.rules import can

bp = Blueprint("staff_admin", __name__, url_prefix="/staff/admin")


@bp.context_processor
def _labels() -> dict[str, object]:
    from flask import current_app

    from cityreport.staff.views import staff_labels

    return {**staff_labels(), "has_endpoint": lambda name: name in current_app.view_functions}

MAX_GEOJSON_BYTES = 5 * 1024 * 1024


def _page(template: str, status_code: int = 200, **context: Any):
    context.setdefault("error", None)
    context.setdefault("fields", {})
    context.setdefault("form", {})
    return render_template(f"staff/admin/{template}", lang=current_language(), **context), status_code


def _refused(page: Any) -> Any:
    """A refusal handler for ``commits``: the page again, with the problems and the form as typed."""
    def answer(exc: AppError, *_args: Any, **_kwargs: Any):
        if not isinstance(exc, ValidationError):
            raise exc
        form = request.form.to_dict()
        form.pop("password", None)  # never echoed back into the page
        return page(exc.status, error=exc.message, fields=exc.fields, form=form)
    return answer


@bp.get("/")
@staff_required
def index():
    user = current_staff()
    if not (can(user, "manage_staff") or can(user, "manage_templates")):
        raise Forbidden()
    return _page("index.html")


# ---- departments -------------------------------------------------------------------------------

def _departments_page(status_code: int = 200, **context: Any):
    rows = list(db.session.scalars(select(Department).order_by(Department.name_ro)))
    editing = None
    edit_id = request.args.get("edit", type=int)
    if edit_id is not None:
        editing = db.session.get(Department, edit_id) or _not_found()
    return _page("departments.html", status_code, departments=rows, editing=editing, **context)


def _not_found():
    raise NotFound()


@bp.get("/departments")
@require("manage_departments")
def departments_list():
    return _departments_page()


@bp.post("/departments")
@require("manage_departments")
@commits(refused=_refused(_departments_page))
def department_save() -> Response:
    department_id = request.form.get("id", type=int)
    department = db.session.get(Department, department_id) if department_id else None
    if department_id and department is None:
        raise NotFound()
    saved = departments.save_department(request.form, department)
    flash(_("Department “%(name)s” saved.", name=saved.name(current_language())))
    return redirect(url_for("staff_admin.departments_list"), 303)


# ---- categories --------------------------------------------------------------------------------

def _categories_page(status_code: int = 200, **context: Any):
    rows = list(db.session.scalars(select(Category).order_by(Category.group_ro, Category.name_ro)))
    editing = None
    edit_id = request.args.get("edit", type=int)
    if edit_id is not None:
        editing = db.session.get(Category, edit_id) or _not_found()
    department_rows = list(db.session.scalars(select(Department).order_by(Department.name_ro)))
    return _page("categories.html", status_code, categories=rows, editing=editing, departments=department_rows,
                 **context)


@bp.get("/categories")
@require("manage_categories")
def categories_list():
    return _categories_page()


@bp.post("/categories")
@require("manage_categories")
@commits(refused=_refused(_categories_page))
def category_save() -> Response:
    category_id = request.form.get("id", type=int)
    category = db.session.get(Category, category_id) if category_id else None
    if category_id and category is None:
        raise NotFound()
    saved = departments.save_category(request.form, category)
    flash(_("Category “%(name)s” saved.", name=saved.name(current_language())))
    return redirect(url_for("staff_admin.categories_list"), 303)


# ---- service areas -----------------------------------------------------------------------------

def _areas_page(status_code: int = 200, **context: Any):
    rows = db.session.execute(select(ServiceArea.id, ServiceArea.name, ServiceArea.priority, ServiceArea.area_m2,
                                     ServiceArea.department_id, ServiceArea.category_id)
                              .order_by(ServiceArea.name)).all()
    lookups = services.lookups()
    return _page("areas.html", status_code, areas=rows, lookups=lookups,
                 geojson=json.dumps(routing.areas_feature_collection()), **context)


@bp.get("/areas")
@require("manage_areas")
def areas_list():
    return _areas_page()


@bp.post("/areas")
@require("manage_areas")
@commits(refused=_refused(_areas_page))
def area_upload():
    department = db.session.get(Department, request.form.get("department", type=int) or 0)
    fields: dict[str, str] = {}
    if department is None:
        fields["department"] = _("choose a department")
    category_id = request.form.get("category", type=int)
    if category_id and db.session.get(Category, category_id) is None:
        fields["category"] = _("no such category")
    priority = request.form.get("priority", default=0, type=int)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        fields["file"] = _("choose a GeoJSON file")
    if fields:
        raise ValidationError(fields=fields)
    data = upload.read(MAX_GEOJSON_BYTES + 1)
    if len(data) > MAX_GEOJSON_BYTES:
        raise ValidationError(fields={"file": _("at most 5 MB")})
    try:
        document = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict):
            raise AreaImportError(_("the file is not a GeoJSON object"))
        areas = read_areas(document, name_property=request.form.get("name_property") or "name",
                           default_name=upload.filename.rsplit(".", 1)[0])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError(fields={"file": _("not a JSON file")}) from None
    except AreaImportError as exc:
        raise ValidationError(fields={"file": str(exc)}) from None
    for area in areas:
        routing.add_service_area(department_id=department.id, category_id=category_id or None, name=area.name,
                                 geometry=area.geometry, priority=priority)
    flash(_("%(n)s areas imported.", n=len(areas)))
    return redirect(url_for("staff_admin.areas_list"), 303)


@bp.post("/areas/<int:area_id>/delete")
@require("manage_areas")
@commits
def area_delete(area_id: int) -> Response:
    area = db.session.get(ServiceArea, area_id)
    if area is None:
        raise NotFound()
    db.session.delete(area)
    flash(_("Area “%(name)s” deleted.", name=area.name))
    return redirect(url_for("staff_admin.areas_list"), 303)


# ---- staff accounts ----------------------------------------------------------------------------

def _assignable_roles(user: StaffUser) -> tuple[str, ...]:
    return ROLES if can(user, "view_all_departments") else ("staff", "dept_admin")


def _staff_page(status_code: int = 200, **context: Any):
    user = current_staff()
    stmt = select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name)
    if not can(user, "view_all_departments"):
        stmt = stmt.where(StaffUser.department_id == user.department_id)
    department_rows = list(db.session.scalars(select(Department).where(Department.active.is_(True))
                                              .order_by(Department.name_ro)))
    if not can(user, "view_all_departments"):
        department_rows = [d for d in department_rows if d.id == user.department_id]
    return _page("staff.html", status_code, people=list(db.session.scalars(stmt)), departments=department_rows,
                 roles=_assignable_roles(user), **context)


@bp.get("/staff")
@require("manage_staff")
def staff_list():
    return _staff_page()


@bp.post("/staff")
@require("manage_staff")
@commits(refused=_refused(_staff_page))
def staff_create():
    user = current_staff()
    role = request.form.get("role") or "staff"
    department = db.session.get(Department, request.form.get("department", type=int) or 0)
    if role not in _assignable_roles(user):
        raise ValidationError(fields={"role": _("you may not create this role")})
    if department is not None and not can(user, "manage_staff", department_id=department.id):
        raise ValidationError(fields={"department": _("you may only add staff to your department")})
    created = departments.create_staff(email=request.form.get("email") or "", name=request.form.get("name") or "",
                                       role=role, password=request.form.get("password") or "",
                                       department_slug=department.slug if department else None)
    flash(_("Account for %(email)s created.", email=created.email))
    return redirect(url_for("staff_admin.staff_list"), 303)


@bp.post("/staff/<int:user_id>/active")
@require("manage_staff")
@commits
def staff_active(user_id: int) -> Response:
    me = current_staff()
    person = db.session.get(StaffUser, user_id)
    if person is None or not can(me, "manage_staff", department_id=person.department_id) or (
            person.role == "city_admin" and not can(me, "view_all_departments")):
        raise NotFound()
    active = request.form.get("active") == "1"
    if person.id == me.id and not active:
        raise ValidationError(fields={"active": _("you cannot deactivate your own account")})
    departments.set_staff_active(person, active)
    flash(_("%(email)s is active again.", email=person.email) if active
          else _("%(email)s is deactivated and signed out everywhere.", email=person.email))
    return redirect(url_for("staff_admin.staff_list"), 303)


# ---- response templates ------------------------------------------------------------------------

def _template_or_404(template_id: int) -> ResponseTemplate:
    template = db.session.get(ResponseTemplate, template_id)
    user = current_staff()
    if template is None:
        raise NotFound()
    if template.department_id is None and not can(user, "view_all_departments"):
        raise Forbidden()  # city-wide templates are the city admin's
    if template.department_id is not None and not can(user, "manage_templates", department_id=template.department_id):
        raise NotFound()
    return template


def _templates_page(status_code: int = 200, **context: Any):
    user = current_staff()
    editing = None
    edit_id = request.args.get("edit", type=int)
    if edit_id is not None:
        editing = _template_or_404(edit_id)
    lookups = services.lookups()
    return _page("templates.html", status_code, templates=services.templates_visible_to(user), editing=editing,
                 lookups=lookups, statuses=STATUSES, **context)


@bp.get("/templates")
@require("manage_templates")
def templates_list():
    return _templates_page()


@bp.post("/templates")
@require("manage_templates")
@commits(refused=_refused(_templates_page))
def template_save() -> Response:
    template_id = request.form.get("id", type=int)
    template = _template_or_404(template_id) if template_id else None
    saved = services.save_template(current_staff(), request.form, template)
    flash(_("Template “%(title)s” saved.", title=saved.title))
    return redirect(url_for("staff_admin.templates_list"), 303)


# ---- Open311 API keys --------------------------------------------------------------------------

@bp.get("/api-keys")
@require("manage_api_keys")
def api_keys():
    return _page("api_keys.html", keys=open311.list_api_keys(), new_key=None)


@bp.post("/api-keys")
@require("manage_api_keys")
@commits
def api_key_create():
    name = (request.form.get("name") or "").strip()
    if not name or len(name) > 120:
        return _page("api_keys.html", 422, keys=open311.list_api_keys(), new_key=None,
                     error=_("Some fields are not valid."),
                     fields={"name": _("is required") if not name else _("at most %(n)s characters", n=120)})
    key, plaintext = open311.create_api_key(name)
    # Shown in this response only; the database keeps its SHA-256. No redirect, so it is never in a URL.
    response = render_template("staff/admin/api_keys.html", keys=open311.list_api_keys(), new_key=plaintext,
                               new_key_name=key.name, lang=current_language(), error=None, fields={}, form={})
    return response, 201, {"Cache-Control": "no-store"}


@bp.post("/api-keys/<int:key_id>/revoke")
@require("manage_api_keys")
@commits
def api_key_revoke(key_id: int) -> Response:
    open311.revoke_api_key(key_id)
    flash(_("The key was revoked; applications using it can no longer post."))
    return redirect(url_for("staff_admin.api_keys"), 303)

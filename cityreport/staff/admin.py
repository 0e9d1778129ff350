"""Administration under /staff/admin that is the staff package's: the index, staff accounts and response
templates. The other administration pages live with what they administer: departments and categories in
departments/views.py, service areas in routing/admin_views.py, Open311 questions and API keys in
open311/admin_views.py, e-mail that could not be sent in notifications/admin_views.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cityreport.core.access import current_staff, require, require_any
from cityreport.core.pages import admin_page, refused_form
from cityreport.core.permissions import assignable_roles
from cityreport.core.transaction import commits
from cityreport.reports.rules import STATUSES
from cityreport.staff import accounts, responses, worklist

bp = Blueprint("staff_admin", __name__, url_prefix="/staff/admin")


@bp.get("/")
@require_any("manage_staff", "manage_templates")
def index():
    return admin_page("index.html")


# ---- staff accounts ----------------------------------------------------------------------------

def _staff_page(status_code: int = 200, **context: Any):
    user = current_staff()
    return admin_page("staff.html", status_code, people=accounts.accounts_visible_to(user),
                      departments=accounts.departments_for_new_accounts(user), roles=assignable_roles(user),
                      **context)


@bp.get("/staff")
@require("manage_staff")
def staff_list():
    return _staff_page()


@bp.post("/staff")
@require("manage_staff")
@commits(refused=refused_form(_staff_page))
def staff_create():
    created = accounts.create_staff_by(current_staff(), request.form)
    flash(_("Account for %(email)s created.", email=created.email))
    return redirect(url_for("staff_admin.staff_list"), 303)


@bp.post("/staff/<int:user_id>/active")
@require("manage_staff")
@commits
def staff_active(user_id: int) -> Response:
    me = current_staff()
    person = accounts.account_managed_by(me, user_id)
    active = request.form.get("active") == "1"
    accounts.set_active_by(me, person, active)
    flash(_("%(email)s is active again.", email=person.email) if active
          else _("%(email)s is deactivated and signed out everywhere.", email=person.email))
    return redirect(url_for("staff_admin.staff_list"), 303)


# ---- response templates ------------------------------------------------------------------------

def _templates_page(status_code: int = 200, **context: Any):
    user = current_staff()
    edit_id = request.args.get("edit", type=int)
    editing = responses.template_for_editing(user, edit_id) if edit_id is not None else None
    return admin_page("templates.html", status_code, templates=responses.templates_visible_to(user),
                      editing=editing, lookups=worklist.lookups(), statuses=STATUSES, **context)


@bp.get("/templates")
@require("manage_templates")
def templates_list():
    return _templates_page()


@bp.post("/templates")
@require("manage_templates")
@commits(refused=refused_form(_templates_page))
def template_save() -> Response:
    template_id = request.form.get("id", type=int)
    user = current_staff()
    template = responses.template_for_editing(user, template_id) if template_id else None
    saved = responses.save_template(user, request.form, template)
    flash(_("Template “%(title)s” saved.", title=saved.title))
    return redirect(url_for("staff_admin.templates_list"), 303)

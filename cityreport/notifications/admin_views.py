"""Administration of e-mail that could not be sent, under /staff/admin/outbox (city admins): the rows the
sender gave up on, and a button to try one again."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from cityreport.core import outbox
from cityreport.core.access import require
from cityreport.core.transaction import commits

bp = Blueprint("notifications_admin", __name__, url_prefix="/staff/admin/outbox")


@bp.get("")
@require("view_outbox")
def outbox_page():
    return render_template("notifications/admin_outbox.html", rows=outbox.failed_rows(),
                           counts=outbox.outbox_counts())


@bp.post("/<int:outbox_id>/retry")
@require("view_outbox")
@commits
def outbox_retry(outbox_id: int):
    outbox.retry_failed(outbox_id)
    flash(_("Message %(id)s will be sent again.", id=outbox_id), "success")
    return redirect(url_for("notifications_admin.outbox_page"))

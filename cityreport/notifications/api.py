"""JSON API of the notifications: the reporter's answer to "is it really fixed?"."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from cityreport.core.transaction import commits
from cityreport.errors import ValidationError
from cityreport.extensions import db
from cityreport.notifications import services

bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1")
csrf_exempt = True  # authenticated by the feedback token in the body, not by a session cookie


@bp.post("/reports/<int:report_id>/feedback")
@commits
def report_feedback(report_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError(_("Send a JSON object."), status=400, code="malformed")
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise ValidationError(fields={"token": _("the token from the e-mail is required")})
    feedback = services.answer_feedback(token, body.get("answer"), body.get("rating"), body.get("comment"),
                                        report_id=report_id)
    from cityreport.reports.models import Report

    report = db.session.get(Report, report_id)
    return jsonify({"report_id": report_id, "answer": feedback.answer, "rating": feedback.rating,
                    "report_status": report.status if report else None})

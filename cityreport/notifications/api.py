"""JSON API of the notifications: the reporter's answer to "is it really fixed?"."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from cityreport.core.inputs import read
from cityreport.core.transaction import commits
from cityreport.notifications import feedback, schemas
from cityreport.reports.services import report_by_id

bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1")
csrf_exempt = True  # authenticated by the feedback token in the body, not by a session cookie


@bp.post("/reports/<int:report_id>/feedback")
@commits
def report_feedback(report_id: int):
    body = read(schemas.FeedbackBody, request.get_json(silent=True))
    answered = feedback.answer_feedback(body.token, body, report_id=report_id)
    report = report_by_id(report_id)
    return jsonify({"report_id": report_id, "answer": answered.answer, "rating": answered.rating,
                    "report_status": report.status if report else None})

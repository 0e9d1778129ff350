"""What the staff report page shows of Open311: the answers to the category's questions and what an Open311
client sent. Templates call ``open311_details(report)`` (registered by cityreport/templating.py) from
open311/_report_attributes.html."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from cityreport.i18n import current_language
from cityreport.open311 import services


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

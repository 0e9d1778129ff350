"""What statuses and events are called, in ro and en: one table for every page, e-mail, feed and API.

Residents read the same words everywhere (the report page, the e-mails, the Atom feeds, the JSON API).
Staff see other words for two statuses only, where their wording must really differ: for them
``not_responsible`` is a decision they take ("not our responsibility") and ``invalid`` a category of
spam and non-problems, while a resident is told whose job it is and that it was not a problem.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from cityreport.reports.rules import (
    ACKNOWLEDGED,
    DUPLICATE,
    FIXED,
    IN_PROGRESS,
    INVALID,
    NEW,
    NOT_RESPONSIBLE,
    UNABLE_TO_FIX,
)

PUBLIC = "public"
STAFF = "staff"
AUDIENCES = (PUBLIC, STAFF)

_STATUS = {
    NEW: _l("New"),
    ACKNOWLEDGED: _l("Acknowledged"),
    IN_PROGRESS: _l("In progress"),
    FIXED: _l("Fixed"),
    DUPLICATE: _l("Duplicate"),
    NOT_RESPONSIBLE: _l("Another institution's job"),
    UNABLE_TO_FIX: _l("Unable to fix"),
    INVALID: _l("Not a problem"),
}
_STAFF_STATUS = {
    NOT_RESPONSIBLE: _l("Not our responsibility"),
    INVALID: _l("Invalid"),
}

# The kinds of the staff timeline (reports/rules.py EVENT_KINDS), as a clerk reads them.
_EVENT = {
    "created": _l("reported"),
    "routed": _l("routed"),
    "status": _l("status changed"),
    "reassigned": _l("sent to another department"),
    "note": _l("note"),
    "duplicate": _l("closed as duplicate"),
    "feedback": _l("reporter's feedback"),
    "reopened": _l("reopened"),
    "erased": _l("personal data erased"),
}


def status_label(status: str | None, audience: str = PUBLIC) -> str:
    """The status in the current language, worded for ``audience`` (``public`` or ``staff``)."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    if status is None:
        return ""
    label = (_STAFF_STATUS.get(status) if audience == STAFF else None) or _STATUS.get(status)
    return str(label) if label is not None else status


def status_labels(audience: str = PUBLIC) -> dict[str, str]:
    """Every status's label, made once (a page of 50 rows looks each up many times)."""
    return {status: status_label(status, audience) for status in _STATUS}


def event_labels() -> dict[str, str]:
    return {kind: str(label) for kind, label in _EVENT.items()}

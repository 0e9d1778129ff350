"""What a report is: its statuses, the status machine, its public events and who may see it (pure).

This module is the one owner of these rules (docs/status-machine.md). Other packages use its names and
functions; none writes a status name or the visibility condition itself (tests/unit/test_architecture.py).
SQL text over reports takes the same rules from reports/sql.py, which is generated from this module.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

NEW, ACKNOWLEDGED, IN_PROGRESS = "new", "acknowledged", "in_progress"
FIXED, DUPLICATE, NOT_RESPONSIBLE, UNABLE_TO_FIX = "fixed", "duplicate", "not_responsible", "unable_to_fix"
INVALID = "invalid"  # spam or not a problem: hidden from the public

OPEN_STATUSES = (NEW, ACKNOWLEDGED, IN_PROGRESS)
CLOSED_STATUSES = (FIXED, DUPLICATE, NOT_RESPONSIBLE, UNABLE_TO_FIX, INVALID)
STATUSES = OPEN_STATUSES + CLOSED_STATUSES
# The statuses the public can meet: an invalid report is hidden (see ``hides``).
PUBLIC_STATUSES = tuple(s for s in STATUSES if s != INVALID)
# Reopening always lands here.
REOPEN_TO = ACKNOWLEDGED
# What many reports can be moved to at once: not back to new, and not to duplicate, which needs an original.
BULK_TARGETS = tuple(s for s in STATUSES if s not in (NEW, DUPLICATE))

SOURCES = ("web", "api", "open311", "import")
ACTORS = ("staff", "system", "reporter")
# What a report_events row records. Closing as a duplicate has its own kind, spelled like the status.
EVENT_CREATED, EVENT_ROUTED, EVENT_STATUS, EVENT_REASSIGNED, EVENT_NOTE = "created", "routed", "status", "reassigned", "note"
EVENT_DUPLICATE, EVENT_FEEDBACK, EVENT_REOPENED, EVENT_ERASED = "duplicate", "feedback", "reopened", "erased"
EVENT_KINDS = (EVENT_CREATED, EVENT_ROUTED, EVENT_STATUS, EVENT_REASSIGNED, EVENT_NOTE, EVENT_DUPLICATE, EVENT_FEEDBACK,
               EVENT_REOPENED, EVENT_ERASED)
# Events a resident may see on the report's page, its feed and Open311, and hears of by e-mail.
PUBLIC_EVENT_KINDS = ("created", "status", "duplicate", "reopened", "note")


class TransitionError(ValueError):
    """A status change the machine does not allow."""

    def __init__(self, from_status: str, to_status: str, reason: str):
        super().__init__(reason)
        self.from_status = from_status
        self.to_status = to_status
        self.reason = reason


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def awaits_acknowledgement(status: str) -> bool:
    """A new report is due for acknowledgement; any other open one for resolution."""
    return status == NEW


def open311_status(status: str) -> str:
    return "open" if is_open(status) else "closed"


def hides(status: str) -> bool:
    """A report closed as invalid is hidden from the public (and stays hidden until it is reopened)."""
    return status == INVALID


HIDING_STATUSES = tuple(s for s in STATUSES if hides(s))


def is_publicly_visible(report: Any) -> bool:
    """May the public see this report? Its ``hidden`` flag decides; the status machine keeps the flag
    true for every invalid report (``plan_transition``), and a CHECK constraint holds it there."""
    return not report.hidden


def is_public_event(kind: str, to_status: str | None, public_text: str | None) -> bool:
    """May the public see this event of a visible report? Its kind is public; a note only with public text;
    never the move to invalid of a report that was reopened since."""
    if kind not in PUBLIC_EVENT_KINDS:
        return False
    if kind == "note" and not public_text:
        return False
    return not (to_status is not None and hides(to_status))


@dataclass(frozen=True)
class Transition:
    """Everything a status change does to a report, applied in one place (reports/services.change_status)."""

    from_status: str
    to_status: str
    acknowledged_at: datetime | None
    closed_at: datetime | None
    reopened: bool
    hidden: bool | None  # the new value of the hidden flag; None leaves it as it is
    clears_duplicate: bool  # reopening a duplicate makes it stand on its own again
    event_kind: str  # the kind of the report_events row it writes

    @property
    def needs_original(self) -> bool:
        return self.to_status == DUPLICATE


def plan_transition(from_status: str, to_status: str, at: datetime,
                    acknowledged_at: datetime | None, closed_at: datetime | None) -> Transition:
    """Check a change against the machine and work out all it changes.

    Staff move freely between open statuses and from open to closed. A closed report only moves by
    reopening, which always lands on ``acknowledged``, shows an invalid report again and detaches a
    duplicate from its original. Closing as invalid hides the report.
    """
    if to_status not in STATUSES:
        raise TransitionError(from_status, to_status, f"unknown status {to_status!r}")
    if to_status == from_status:
        raise TransitionError(from_status, to_status, "the report already has this status")
    if is_closed(from_status) and to_status != REOPEN_TO:
        raise TransitionError(from_status, to_status,
                              "a closed report can only be reopened (to acknowledged)")
    if to_status == NEW:
        raise TransitionError(from_status, to_status, "a report cannot go back to new")
    reopened = is_closed(from_status)
    new_ack = acknowledged_at if acknowledged_at is not None else at
    new_closed = at if is_closed(to_status) else None
    if hides(to_status):
        hidden: bool | None = True
    elif reopened:
        hidden = False
    else:
        hidden = None
    kind = "reopened" if reopened else "duplicate" if to_status == DUPLICATE else "status"
    return Transition(from_status=from_status, to_status=to_status, acknowledged_at=new_ack, closed_at=new_closed,
                      reopened=reopened, hidden=hidden, clears_duplicate=reopened, event_kind=kind)


def allowed_targets(from_status: str) -> tuple[str, ...]:
    if is_closed(from_status):
        return (REOPEN_TO,)
    return tuple(s for s in STATUSES if s not in (NEW, from_status))


def form_targets(from_status: str) -> tuple[str, ...]:
    """The statuses a status form offers: a duplicate is marked with its own form, naming the original."""
    return tuple(s for s in allowed_targets(from_status) if s != DUPLICATE)


def acknowledged_by_note(acknowledged_at: datetime | None, at: datetime, public: bool) -> datetime | None:
    """The first public staff note counts as the acknowledgement (docs/status-machine.md)."""
    if acknowledged_at is None and public:
        return at
    return acknowledged_at


# ---- keyset cursors for report lists -----------------------------------------------------------

class CursorError(ValueError):
    pass


def encode_cursor(scope: str, key: datetime, report_id: int) -> str:
    """An opaque cursor: the list (and sort) it belongs to, and the sort key and id of the last row shown.

    The key is written as ISO 8601 text, so it comes back to the microsecond (a float timestamp would not).
    """
    raw = json.dumps([scope, key.isoformat(), report_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, scope: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_scope, key, report_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(key)
        if not isinstance(report_id, int) or isinstance(report_id, bool) or when.tzinfo is None \
                or not 0 < report_id <= 2**63 - 1:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise CursorError("not a cursor from this list") from None
    if cursor_scope != scope:
        raise CursorError("the cursor belongs to another list or sort order")
    return when, report_id

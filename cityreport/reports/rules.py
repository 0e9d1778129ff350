"""The report status machine (DESIGN.md §4) as pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OPEN_STATUSES = ("new", "acknowledged", "in_progress")
CLOSED_STATUSES = ("fixed", "duplicate", "not_responsible", "unable_to_fix", "invalid")
STATUSES = OPEN_STATUSES + CLOSED_STATUSES
SOURCES = ("web", "api", "open311", "import")
ACTORS = ("staff", "system", "reporter")
EVENT_KINDS = ("created", "routed", "status", "reassigned", "note", "duplicate", "feedback", "reopened", "erased")
REOPEN_TO = "acknowledged"


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


def open311_status(status: str) -> str:
    return "open" if is_open(status) else "closed"


@dataclass(frozen=True)
class Transition:
    """What a status change does to a report's timestamps and counters."""

    to_status: str
    acknowledged_at: datetime | None
    closed_at: datetime | None
    reopened: bool


def plan_transition(from_status: str, to_status: str, at: datetime,
                    acknowledged_at: datetime | None, closed_at: datetime | None) -> Transition:
    """Check a change against the machine and work out the timestamps it sets.

    Staff move freely between open statuses and from open to closed. A closed report only
    moves by reopening, which always lands on ``acknowledged``.
    """
    if to_status not in STATUSES:
        raise TransitionError(from_status, to_status, f"unknown status {to_status!r}")
    if to_status == from_status:
        raise TransitionError(from_status, to_status, "the report already has this status")
    if is_closed(from_status) and to_status != REOPEN_TO:
        raise TransitionError(from_status, to_status,
                              "a closed report can only be reopened (to acknowledged)")
    if to_status == "new":
        raise TransitionError(from_status, to_status, "a report cannot go back to new")
    reopened = is_closed(from_status)
    new_ack = acknowledged_at if acknowledged_at is not None else at
    new_closed = at if is_closed(to_status) else None
    return Transition(to_status=to_status, acknowledged_at=new_ack, closed_at=new_closed, reopened=reopened)


def allowed_targets(from_status: str) -> tuple[str, ...]:
    if is_closed(from_status):
        return (REOPEN_TO,)
    return tuple(s for s in STATUSES if s not in ("new", from_status))


def acknowledged_by_note(acknowledged_at: datetime | None, at: datetime, public: bool) -> datetime | None:
    """The first public staff note counts as the acknowledgement (DESIGN.md §4)."""
    if acknowledged_at is None and public:
        return at
    return acknowledged_at

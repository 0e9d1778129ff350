"""Pure rules of the notifications: who hears of what, feedback terms, tokens, digest windows.

The outbox's retry schedule is core's (core/outbox.py); e-mail addresses are checked by core/contact.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cityreport.reports.rules import FIXED, PUBLIC_EVENT_KINDS


class Template(StrEnum):
    """The e-mails there are: each has templates/email/<name>.txt and .html, and a context in messages.py."""

    REPORT_RECEIVED = "report_received"
    REPORT_UPDATE = "report_update"
    FEEDBACK_REMINDER = "feedback_reminder"
    CONFIRM_SUBSCRIPTION = "confirm_subscription"
    AREA_DIGEST = "area_digest"
    DEPARTMENT_NEW_REPORT = "department_new_report"
    DEPARTMENT_DIGEST = "department_digest"
    DEPARTMENT_NOT_FIXED = "department_not_fixed"


FEEDBACK_TTL = timedelta(days=30)
FEEDBACK_REMINDER_AFTER = timedelta(days=14)
# "Is it really fixed?": yes, no, or don't know.
ANSWER_FIXED, ANSWER_NOT_FIXED, ANSWER_DONT_KNOW = "fixed", "not_fixed", "dont_know"
FEEDBACK_ANSWERS = (ANSWER_FIXED, ANSWER_NOT_FIXED, ANSWER_DONT_KNOW)
CONFIRM_RESEND_AFTER = timedelta(minutes=10)
RADIUS_MIN_M, RADIUS_MAX_M = 50, 5000


def tells_reporter(event_kind: str, actor: str) -> bool:
    """The reporter hears of every public event except one they caused themselves (their own "not fixed")."""
    return event_kind in PUBLIC_EVENT_KINDS and not (event_kind == "reopened" and actor == "reporter")


def tells_followers(event_kind: str) -> bool:
    return event_kind in PUBLIC_EVENT_KINDS and event_kind != "created"


def tells_department_now(event_kind: str, notify_mode: str, has_email: bool) -> bool:
    return event_kind == "created" and notify_mode == "immediate" and has_email


def asks_feedback(event_kind: str, to_status: str | None) -> bool:
    return event_kind == "status" and to_status == FIXED


# ---- tokens: derived from SECRET_KEY, so the database stores none of them ------------------------------

def sign(secret: str, purpose: str, subject: int | str) -> str:
    """An unguessable, URL-safe token for ``purpose`` and ``subject``; the same inputs give the same token."""
    mac = hmac.new(secret.encode(), f"cityreport:{purpose}:{subject}".encode(), hashlib.sha256).digest()
    return f"{subject}.{base64.urlsafe_b64encode(mac[:18]).decode().rstrip('=')}"


def verify(secret: str, purpose: str, token: str) -> int | None:
    """The integer subject of a valid token, or None."""
    subject, _, _mac = token.partition(".")
    if not subject.isdigit() or len(subject) > 18:
        return None
    expected = sign(secret, purpose, int(subject))
    return int(subject) if hmac.compare_digest(expected, token) else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---- digests ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    day: date
    start: datetime  # UTC
    end: datetime  # UTC


def day_window(day: date, tz: str) -> Window:
    """The calendar day ``day`` in the city's time zone, as a UTC half-open interval (DST-safe)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time.min, zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    return Window(day=day, start=start, end=end)


def previous_day(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date() - timedelta(days=1)

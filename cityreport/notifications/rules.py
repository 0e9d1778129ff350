"""Pure rules of the notifications: retry backoff, who hears of what, tokens, digest windows."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Delay before attempt n+1 after n failed attempts; after the last one the row is marked failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A row the web process enqueued after commit is normally sent within seconds; the relay leaves it
# alone this long so that it does not enqueue a second (harmless, but wasted) job for it.
RELAY_GRACE = timedelta(seconds=30)
# A row the relay enqueued that is still unsent after this long is assumed lost with its job.
RELAY_STALE = timedelta(minutes=5)

FEEDBACK_TTL = timedelta(days=30)
FEEDBACK_REMINDER_AFTER = timedelta(days=14)
FEEDBACK_ANSWERS = ("fixed", "not_fixed", "dont_know")
CONFIRM_RESEND_AFTER = timedelta(minutes=10)
RADIUS_MIN_M, RADIUS_MAX_M = 50, 5000

# Event kinds of a report that its reporter and followers hear of.
PUBLIC_KINDS = frozenset({"created", "status", "note", "duplicate", "reopened"})

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def next_attempt(attempts_failed: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts_failed`` failures; None means give up (mark failed)."""
    if attempts_failed < 1 or attempts_failed > len(BACKOFF):
        return None
    return now + BACKOFF[attempts_failed - 1]


def is_permanent_smtp_code(code: int | None) -> bool:
    """5xx replies mean the server will never take this message; 4xx and network errors may pass later."""
    return code is not None and 500 <= code < 600


def tells_reporter(event_kind: str, actor: str) -> bool:
    """The reporter hears of every public event except one they caused themselves (their own "not fixed")."""
    return event_kind in PUBLIC_KINDS and not (event_kind == "reopened" and actor == "reporter")


def tells_followers(event_kind: str) -> bool:
    return event_kind in PUBLIC_KINDS and event_kind != "created"


def tells_department_now(event_kind: str, notify_mode: str, has_email: bool) -> bool:
    return event_kind == "created" and notify_mode == "immediate" and has_email


def asks_feedback(event_kind: str, to_status: str | None) -> bool:
    return event_kind == "status" and to_status == "fixed"


def normalise_email(raw: str | None) -> str | None:
    """A lower-cased address if it looks deliverable, else None."""
    value = (raw or "").strip().lower()
    if not value or len(value) > 254 or not EMAIL_RE.match(value):
        return None
    return value


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


def clamp_radius(radius: int) -> int:
    return max(RADIUS_MIN_M, min(RADIUS_MAX_M, radius))

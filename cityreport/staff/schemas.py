"""Reading the staff pages' query strings and forms into typed values, naming every bad field."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from cityreport.errors import ValidationError
from cityreport.reports.rules import CLOSED_STATUSES, OPEN_STATUSES, STATUSES, CursorError, decode_cursor
from cityreport.staff import rules

# Status filter choices: the groups first, then each status.
STATUS_CHOICES = ("open", "closed", "all") + STATUSES
AGE_CHOICES = (1, 3, 7, 30, 90)
MAX_TEXT = 100


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"
    category_id: int | None = None
    department_id: int | None = None  # city admins choose; others are pinned to their own
    area_id: int | None = None
    age_days: int | None = None  # older than this many days
    overdue: bool = False
    text: str = ""
    sort: str = "oldest"
    cursor: tuple[datetime, int] | None = None

    @property
    def statuses(self) -> tuple[str, ...]:
        if self.status == "open":
            return OPEN_STATUSES
        if self.status == "closed":
            return CLOSED_STATUSES
        if self.status == "all":
            return STATUSES
        return (self.status,)

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The filter as query-string arguments (defaults left out), for links and forms."""
        current = replace(self, **changes) if changes else self
        args: dict[str, str] = {}
        if current.status != "open":
            args["status"] = current.status
        for name in ("category_id", "department_id", "area_id", "age_days"):
            value = getattr(current, name)
            if value is not None:
                args[name.removesuffix("_id") if name != "age_days" else "age"] = str(value)
        if current.overdue:
            args["overdue"] = "1"
        if current.text:
            args["q"] = current.text
        if current.sort != "oldest":
            args["sort"] = current.sort
        return args

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.query_args(**changes))


def _int(args: MultiDict, name: str, fields: dict[str, str], *, minimum: int = 1) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        fields[name] = _("must be a whole number")
        return None
    if value < minimum:
        fields[name] = _("must be at least %(n)s", n=minimum)
        return None
    return value


def parse_queue_filter(args: MultiDict) -> QueueFilter:
    fields: dict[str, str] = {}
    status = (args.get("status") or "open").strip()
    if status not in STATUS_CHOICES:
        fields["status"] = _("unknown status")
        status = "open"
    sort = (args.get("sort") or "oldest").strip()
    if sort not in rules.SORTS:
        fields["sort"] = _("must be one of: %(choices)s", choices=", ".join(rules.SORTS))
        sort = "oldest"
    age = _int(args, "age", fields)
    text = (args.get("q") or "").strip()
    if len(text) > MAX_TEXT:
        fields["q"] = _("at most %(n)s characters", n=MAX_TEXT)
    overdue = (args.get("overdue") or "").strip().lower() in {"1", "true", "on", "yes"}
    cursor = None
    raw_cursor = (args.get("after") or "").strip()
    if raw_cursor:
        try:
            cursor = decode_cursor(raw_cursor, sort)
        except CursorError:
            fields["after"] = _("not a valid page cursor; go back to the first page")
    result = QueueFilter(status=status, category_id=_int(args, "category", fields),
                         department_id=_int(args, "department", fields), area_id=_int(args, "area", fields),
                         age_days=age, overdue=overdue, text=text, sort=sort, cursor=cursor)
    if fields:
        raise ValidationError(_("The queue filter is not valid."), fields=fields, status=400)
    return result


def form_text(form: MultiDict, name: str, *, limit: int = 5000) -> str:
    value = (form.get(name) or "").replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise ValidationError(fields={name: _("at most %(n)s characters", n=limit)})
    return value


def form_int(form: MultiDict, name: str, *, required: bool = True) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            raise ValidationError(fields={name: _("is required")})
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(fields={name: _("must be a whole number")}) from None

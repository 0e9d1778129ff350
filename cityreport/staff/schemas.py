"""What the staff pages accept (core/inputs.py): the queue's filter, the triage forms, the administration's
forms for staff accounts and response templates. Whether a report, a department or an account exists,
and who may touch it, is the services' question."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from cityreport.core.inputs import (
    Choice,
    Email,
    Flag,
    Ident,
    Input,
    Integer,
    Text,
    check,
    malformed,
    refusal,
    unacceptable,
)
from cityreport.core.permissions import ROLES
from cityreport.reports.rules import CLOSED_STATUSES, OPEN_STATUSES, STATUSES, CursorError, decode_cursor
from cityreport.staff import rules

# Status filter choices: the groups first, then each status.
STATUS_CHOICES = ("open", "closed", "all") + STATUSES
AGE_CHOICES = (1, 3, 7, 30, 90)
MAX_TEXT = 100
NOTE_MAX = 5000


# ---- the queue ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: the value the queue's SQL is built from (staff/worklist.py)."""

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


class QueueQuery(Input):
    """The queue page's query string."""

    refusal_message = _l("The queue filter is not valid.")
    refusal_status = 400
    messages = {"status": _l("unknown status"),
                "after": _l("not a valid page cursor; go back to the first page")}

    status: Choice(*STATUS_CHOICES) = "open"
    category: Ident | None = None
    department: Ident | None = None
    area: Ident | None = None
    age: Ident | None = None
    overdue: Flag = False
    q: Text(MAX_TEXT) = ""
    sort: Choice(*rules.SORTS) = "oldest"
    after: Text(400) | None = None

    def to_filter(self) -> QueueFilter:
        return QueueFilter(status=self.status, category_id=self.category, department_id=self.department,
                           area_id=self.area, age_days=self.age, overdue=self.overdue, text=self.q, sort=self.sort,
                           cursor=decode_cursor(self.after, self.sort) if self.after else None)


def queue_filter(args: Any) -> QueueFilter:
    """The queue's filter from its query string; every bad value is named, the page cursor's included
    (a cursor belongs to one sort order)."""
    checked = check(QueueQuery, args)
    after = checked.values.get("after")
    if after is not None:
        try:
            decode_cursor(after, checked.values.get("sort", "oldest"))
        except CursorError:
            checked.fail("after", _("not a valid page cursor; go back to the first page"), malformed=True)
    if checked.fields:
        raise refusal(QueueQuery, checked)
    return QueueQuery.model_validate(checked.values).to_filter()


# ---- the triage forms --------------------------------------------------------------------------

Note = Text(NOTE_MAX, multiline=True)


class StatusForm(Input):
    """Change the status, or add a note (the same status), with notes or a response template."""

    malformed_status = 422

    version: Integer(0)
    status: Text(40) = ""
    public_note: Note = ""
    internal_note: Note = ""
    template: Ident | None = None


class ReassignForm(Input):
    malformed_status = 422

    version: Integer(0)
    department: Ident
    reason: Note = ""


class DuplicateForm(Input):
    malformed_status = 422

    version: Integer(0)
    # The nearby radio buttons and the number box share a name; the first one filled in counts.
    duplicate_of: list[Ident] = Field(min_length=1)
    public_note: Note = ""

    @property
    def original_id(self) -> int:
        return self.duplicate_of[0]


def _selection(value: Any) -> tuple[int, int]:
    if isinstance(value, tuple):
        return value
    try:
        report_id, version = (int(part) for part in str(value).split(":", 1))
    except ValueError:
        raise malformed(_("not a report selection")) from None
    return report_id, version


# A report ticked in the queue: "<id>:<version>", so a batch refuses reports changed since the page was shown.
Selection = Annotated[tuple[int, int], BeforeValidator(_selection), WithJsonSchema({"type": "string"})]


class BulkForm(Input):
    malformed_status = 422
    messages = {"report": _l("not a report selection")}

    status: Text(40) = ""
    report: list[Selection] = []
    public_note: Note = ""
    internal_note: Note = ""


# ---- administration ----------------------------------------------------------------------------

def _password(value: str) -> str:
    problem = rules.password_problem(value)
    if problem == rules.TOO_SHORT:
        raise unacceptable(_("must be at least %(count)d characters", count=rules.MIN_PASSWORD_LENGTH))
    if problem == rules.BLANK:
        raise unacceptable(_("must not be blank"))
    return value


# A new password, as typed (never trimmed: spaces are part of it).
Password = Annotated[str, BeforeValidator(lambda v: v if isinstance(v, str) else str(v)), AfterValidator(_password)]


class StaffAccountForm(Input):
    """A new staff account: from the administration page, the CLI, or the demo city."""

    malformed_status = 422

    email: Email
    name: Text(200)
    role: Choice(*ROLES) = "staff"
    password: Password
    department: Text(80) | None = None  # the department's slug


class AdminAccountForm(Input):
    """The administration page's form for a new account: the department by its id (checked by the service)."""

    malformed_status = 422

    email: Text(254) = ""
    name: Text(200) = ""
    role: Text(20) = "staff"
    password: str = ""
    department: Ident | None = None


class TemplateForm(Input):
    malformed_status = 422
    messages = {"status": _l("unknown status")}

    title: Text(120)
    text_ro: Note
    text_en: Note = ""
    status: Choice(*STATUSES) | None = None
    category: Ident | None = None
    department: Ident | None = None  # a city admin's choice; a department admin's templates are their own
    active: Flag = False

"""What the departments' administration forms accept (core/inputs.py). Whether a slug or a code is already
taken, or a department exists, is the service's question."""

from __future__ import annotations

import re
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema

from cityreport.core.inputs import Choice, Email, Flag, Ident, Input, Integer, Text, unacceptable

NOTIFY_MODES = ("immediate", "daily", "none")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise unacceptable(_("lower-case letters, digits and dashes only"))
    return value


def Slug(max_length: int) -> Any:
    """A key in URLs and files: lower-case letters, digits and dashes (typed capitals are lowered)."""
    return Annotated[str, BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
                     StringConstraints(max_length=max_length), AfterValidator(_slug),
                     WithJsonSchema({"type": "string", "pattern": SLUG_RE.pattern, "maxLength": max_length})]


class DepartmentForm(Input):
    malformed_status = 422

    slug: Slug(80)
    name_ro: Text(200)
    name_en: Text(200)
    email: Email | None = None
    notify_mode: Choice(*NOTIFY_MODES) = "daily"
    is_fallback: Flag = False
    active: Flag = False


class CategoryForm(Input):
    malformed_status = 422

    code: Slug(40)
    name_ro: Text(200)
    name_en: Text(200)
    group_ro: Text(120)
    group_en: Text(120)
    ack_target_hours: Integer(1, 24 * 90)
    resolve_target_days: Integer(1, 3650)
    default_department: Ident | None = None
    active: Flag = False

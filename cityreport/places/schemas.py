"""Reading the address search's query string; errors name the field, in the request's language."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

from cityreport.errors import ValidationError
from cityreport.places import rules


def parse_search_args(args: Mapping[str, str]) -> tuple[str, int]:
    """(q, limit) from ?q=…&limit=…, or a 400 naming the bad parameter."""
    problems: dict[str, str] = {}
    q = " ".join(str(args.get("q") or "").split())
    if not q:
        problems["q"] = _("is required")
    elif len(q) < rules.QUERY_MIN_LENGTH:
        problems["q"] = _("must be at least %(count)d characters", count=rules.QUERY_MIN_LENGTH)
    elif len(q) > rules.QUERY_MAX_LENGTH:
        problems["q"] = _("must be at most %(count)d characters", count=rules.QUERY_MAX_LENGTH)
    limit = rules.LIMIT_DEFAULT
    raw = args.get("limit")
    if raw not in (None, ""):
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= rules.LIMIT_MAX:
            problems["limit"] = _("must be between %(low)s and %(high)s", low=1, high=rules.LIMIT_MAX)
    if problems:
        raise ValidationError(_("Some fields are not valid."), fields=problems, status=400)
    return q, limit

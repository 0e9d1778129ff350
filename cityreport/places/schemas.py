"""What the address search accepts (read by core/inputs.py); errors name the field, in the request's language."""

from __future__ import annotations

from flask_babel import gettext as _
from pydantic import field_validator

from cityreport.core.inputs import Input, Integer, Text, unacceptable
from cityreport.places import rules


class GeocodeQuery(Input):
    """?q=…&limit=…: the typed search text (spaces collapsed) and how many candidates to return."""

    refusal_status = 400  # a query string: every problem is the client's to fix

    q: Text(rules.QUERY_MAX_LENGTH * 4)
    limit: Integer(1, rules.LIMIT_MAX) = rules.LIMIT_DEFAULT

    @field_validator("q")
    @classmethod
    def _collapse(cls, value: str) -> str:
        # Lengths are checked after collapsing runs of spaces: what counts is what the resident typed.
        value = " ".join(value.split())
        if len(value) < rules.QUERY_MIN_LENGTH:
            raise unacceptable(_("must be at least %(count)d characters", count=rules.QUERY_MIN_LENGTH))
        if len(value) > rules.QUERY_MAX_LENGTH:
            raise unacceptable(_("must be at most %(count)d characters", count=rules.QUERY_MAX_LENGTH))
        return value

"""What the indicators' API accepts (core/inputs.py): a month."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, Field, WithJsonSchema

from cityreport.core.inputs import Input, malformed
from cityreport.indicators import rules


def _month(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return rules.parse_month(value if isinstance(value, str) else None)
    except rules.MonthError:
        raise malformed(_("expected a month as YYYY-MM, e.g. 2026-03")) from None


Month = Annotated[date, BeforeValidator(_month), WithJsonSchema({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"})]


class MonthQuery(Input):
    refusal_message = _l("The month is not valid.")
    missing_is_malformed = True
    messages = {"month": _l("expected a month as YYYY-MM, e.g. 2026-03")}

    month: Month = Field(description="YYYY-MM, in the city's time zone.")

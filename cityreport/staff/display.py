"""How staff pages show things: status and event labels in the staff's wording, local times, durations.

Made once per page rather than once per row: a clerk's queue shows 50 rows, and gettext or Babel's date
formatting per cell is most of a page's time. Registered for every page under /staff by
cityreport/templating.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from cityreport.reports.labels import STAFF, event_labels, status_labels


def page_helpers() -> dict[str, Any]:
    tz = ZoneInfo(current_app.config["CITY_TIMEZONE"])
    day_unit, hour_unit, minute_unit = _("%(n)s d"), _("%(n)s h"), _("%(n)s min")

    def local_time(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else ""

    def duration(delta: timedelta | None) -> str:
        if delta is None:
            return ""
        days, hours, minutes = delta.days, delta.seconds // 3600, delta.seconds % 3600 // 60
        if days:
            return (day_unit % {"n": days}) + (" " + hour_unit % {"n": hours} if hours and days < 3 else "")
        if hours:
            return hour_unit % {"n": hours}
        return minute_unit % {"n": max(1, minutes)}

    return {"labels": status_labels(STAFF), "event_labels": event_labels(), "local_time": local_time,
            "duration": duration, "overdue_label": _("Overdue by"), "select_label": _("Select report")}

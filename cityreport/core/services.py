from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from cityreport.extensions import db
from cityreport.reports.models import Report
from cityreport.reports.rules import OPEN_STATUSES
from cityreport.routing.models import Jurisdiction


def home_summary() -> dict[str, Any]:
    visible = Report.status != "invalid"
    open_count = db.session.scalar(select(func.count()).where(visible, Report.status.in_(OPEN_STATUSES),
                                                             Report.hidden.is_(False)))
    fixed_count = db.session.scalar(select(func.count()).where(Report.status == "fixed",
                                                              Report.hidden.is_(False)))
    city = db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.id).limit(1)).first()
    return {"city": city.name if city else None, "open": open_count or 0, "fixed": fixed_count or 0}

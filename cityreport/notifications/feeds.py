"""The Atom feeds' reads: the newest public reports of a category, near a place, or in a named area.

Read-only. Which reports the public may see is the reports package's rule (publicly_visible).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from cityreport.departments.models import Category
from cityreport.errors import NotFound, ValidationError
from cityreport.extensions import db
from cityreport.geo import SRID, point_element
from cityreport.notifications import rules
from cityreport.reports.models import Report
from cityreport.reports.public import publicly_visible
from cityreport.routing.models import ServiceArea

FEED_SIZE = 50
DEFAULT_RADIUS_M = 500


def category_by_code(code: str) -> Category:
    category = db.session.scalars(select(Category).where(Category.code == code)).first()
    if category is None:
        raise NotFound()
    return category


def area_or_404(area_id: int) -> ServiceArea:
    area = db.session.get(ServiceArea, area_id)
    if area is None:
        raise NotFound()
    return area


def _newest(query, category_code: str | None = None) -> list[Report]:
    if category_code:
        category = db.session.scalars(select(Category).where(Category.code == category_code)).first()
        if category is None:
            raise ValidationError(fields={"category": _("unknown category")})
        query = query.where(Report.category_id == category.id)
    return list(db.session.scalars(query.where(publicly_visible())
                                   .order_by(Report.created_at.desc(), Report.id.desc()).limit(FEED_SIZE)))


def of_category(category: Category) -> list[Report]:
    return _newest(select(Report).where(Report.category_id == category.id))


def near(lat: float | None, lon: float | None, radius_m: int | None, category_code: str | None) -> list[Report]:
    """Public reports within ``radius_m`` of a point; names what is wrong with the place or the radius."""
    fields: dict[str, str] = {}
    radius = radius_m or DEFAULT_RADIUS_M
    if lat is None or lon is None:
        fields["lat"] = _("give lat and lon")
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        fields["lat"] = _("the coordinates are not valid")
    if not rules.RADIUS_MIN_M <= radius <= rules.RADIUS_MAX_M:
        fields["radius"] = _("the radius must be between %(min)s and %(max)s metres",
                             min=rules.RADIUS_MIN_M, max=rules.RADIUS_MAX_M)
    if fields:
        raise ValidationError(fields=fields)
    center = func.Geography(func.ST_GeomFromText(point_element(lat, lon).data, SRID))  # type: ignore[arg-type]
    return _newest(select(Report).where(func.ST_DWithin(func.Geography(Report.location), center, radius)),
                   category_code)


def in_area(area: ServiceArea, category_code: str | None) -> list[Report]:
    return _newest(select(Report).where(select(ServiceArea.id).where(
        ServiceArea.id == area.id, func.ST_Covers(ServiceArea.geom, Report.location)).exists()), category_code)

"""Following a report or an area (double opt-in), confirming, unsubscribing, and the tokens in those links.

Functions flush and never commit: the request does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from cityreport.departments.models import Category
from cityreport.errors import AppError, NotFound, ValidationError
from cityreport.extensions import db
from cityreport.geo import point_element
from cityreport.models_base import utcnow
from cityreport.notifications import rules
from cityreport.notifications.emails import add_email
from cityreport.notifications.models import Subscription
from cityreport.notifications.rules import Template
from cityreport.notifications.schemas import FollowAreaForm
from cityreport.reports.models import Report
from cityreport.reports.public import is_publicly_visible
from cityreport.routing.models import ServiceArea


def _ask_confirmation(sub: Subscription, now: datetime) -> bool:
    if sub.active:
        return False
    if sub.confirm_sent_at is not None and now - sub.confirm_sent_at < rules.CONFIRM_RESEND_AFTER \
            and sub.unsubscribed_at is None:
        return False  # one confirmation mail per address and target every few minutes, whoever asks
    sub.confirm_sent_at = now
    sub.confirmed_at = None
    sub.unsubscribed_at = None
    db.session.flush()
    add_email(Template.CONFIRM_SUBSCRIPTION, f"confirm:{sub.id}:{int(now.timestamp())}", subscription_id=sub.id)
    return True


def categories_to_follow() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.code)))


def areas_to_follow() -> list[ServiceArea]:
    return list(db.session.scalars(select(ServiceArea).order_by(ServiceArea.name)))


def follow_report(report: Report, email: str, locale: str) -> Subscription:
    """``email`` is checked already (schemas.FollowReportForm)."""
    if not is_publicly_visible(report):
        raise NotFound()
    sub = db.session.scalars(select(Subscription).where(
        Subscription.report_id == report.id, Subscription.email == email)).first()
    if sub is None:
        sub = Subscription(email=email, kind="report", role="follower", report_id=report.id, locale=locale)
        db.session.add(sub)
        db.session.flush()
    _ask_confirmation(sub, utcnow())
    return sub


def follow_area(form: FollowAreaForm, locale: str) -> Subscription:
    """Follow new reports around a place or in a named area. Names every problem the form could not see."""
    fields: dict[str, str] = {}
    email, lat, lon, radius_m = form.email, form.lat, form.lon, form.radius
    service_area_id, category_id = form.area, form.category
    if service_area_id is not None:
        if db.session.get(ServiceArea, service_area_id) is None:
            fields["area"] = _("choose one of the listed areas")
    elif lat is None or lon is None:
        fields["location"] = _("choose a place on the map or a named area")
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        fields["location"] = _("the coordinates are not valid")
    if service_area_id is None and radius_m is not None and not (
            rules.RADIUS_MIN_M <= radius_m <= rules.RADIUS_MAX_M):
        fields["radius"] = _("the radius must be between %(min)s and %(max)s metres",
                             min=rules.RADIUS_MIN_M, max=rules.RADIUS_MAX_M)
    if category_id is not None and db.session.get(Category, category_id) is None:
        fields["category"] = _("choose one of the listed categories")
    if fields:
        raise ValidationError(fields=fields)
    query = select(Subscription).where(Subscription.kind == "area", Subscription.email == email,
                                       Subscription.category_id.is_(None) if category_id is None
                                       else Subscription.category_id == category_id)
    if service_area_id is not None:
        query = query.where(Subscription.service_area_id == service_area_id)
        values: dict[str, Any] = {"service_area_id": service_area_id}
    else:
        radius = radius_m or 500
        center = point_element(lat, lon)  # type: ignore[arg-type]
        query = query.where(Subscription.radius_m == radius,
                            func.ST_Equals(Subscription.center, func.ST_GeomFromText(center.data, 4326)))
        values = {"center": center, "radius_m": radius}
    sub = db.session.scalars(query).first()
    if sub is None:
        sub = Subscription(email=email, kind="area", role="follower", category_id=category_id, locale=locale,
                           **values)
        db.session.add(sub)
        db.session.flush()
    _ask_confirmation(sub, utcnow())
    return sub


def subscription_from_token(purpose: str, token: str) -> Subscription:
    sub_id = rules.verify(current_app.config["SECRET_KEY"], purpose, token)
    sub = db.session.get(Subscription, sub_id) if sub_id is not None else None
    if sub is None:
        raise NotFound(_("This link is not valid."))
    return sub


def confirm(token: str) -> Subscription:
    sub = subscription_from_token("confirm", token)
    if sub.unsubscribed_at is not None:
        raise AppError(_("You unsubscribed after this link was sent. Follow again to get a new link."),
                       status=410, code="unsubscribed")
    if sub.confirmed_at is None:
        sub.confirmed_at = utcnow()
        db.session.flush()
    return sub


def unsubscribe(token: str) -> Subscription:
    sub = subscription_from_token("unsubscribe", token)
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = utcnow()
        db.session.flush()
    return sub


def confirm_token(sub_id: int) -> str:
    return rules.sign(current_app.config["SECRET_KEY"], "confirm", sub_id)


def unsubscribe_token(sub_id: int) -> str:
    return rules.sign(current_app.config["SECRET_KEY"], "unsubscribe", sub_id)

"""Open311 database work: API keys for POST, and per-category service attributes.

Functions flush and never commit: the request or command boundary does.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.orm import aliased

from cityreport.departments.models import Category, Department
from cityreport.errors import NotFound, ValidationError
from cityreport.extensions import db
from cityreport.geo import SRID
from cityreport.media.models import Photo
from cityreport.models_base import utcnow
from cityreport.open311.models import ATTRIBUTE_DATATYPES, ApiKey, Open311Submission, ServiceAttribute
from cityreport.open311.rules import (
    CODE_RE,
    LIST_DATATYPES,
    MAX_PAGE_SIZE,
    AttributeSpec,
    parse_values,
    validate_answers,
)
from cityreport.reports.models import Report, ReportEvent
from cityreport.reports.public import public_events, publicly_visible
from cityreport.reports.rules import CLOSED_STATUSES, OPEN_STATUSES
from cityreport.routing.models import Jurisdiction

PREFIX_LENGTH = 8


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_api_key(name: str) -> tuple[ApiKey, str]:
    """Make a key; the plaintext is returned once and only its SHA-256 is stored."""
    plaintext = secrets.token_urlsafe(32)
    key = ApiKey(name=name.strip()[:120], key_hash=hash_key(plaintext), prefix=plaintext[:PREFIX_LENGTH],
                 active=True)
    db.session.add(key)
    db.session.flush()
    return key, plaintext


def revoke_api_key(key_id: int) -> None:
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound()
    if key.active:
        key.active = False
        key.revoked_at = utcnow()
    db.session.flush()


def list_api_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))


def serves_jurisdiction(slug: str) -> bool:
    return db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == slug)) is not None


def verify_api_key(plaintext: str | None) -> ApiKey | None:
    """The active key matching ``plaintext``, or None.

    The lookup is by SHA-256, so the comparison never runs over the secret itself: an attacker
    timing the database lookup learns about a hash of their guess, not about the stored key.
    """
    if not plaintext or len(plaintext) > 200:
        return None
    digest = hash_key(plaintext)
    key = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    if key is None or not key.active or not secrets.compare_digest(key.key_hash, digest):
        return None
    key.last_used_at = utcnow()
    db.session.flush()
    return key


# ---- services and their attributes ---------------------------------------------------------------

def active_categories() -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.group_ro, Category.name_ro,
                                                                   Category.code)))


def category_by_code(code: str, *, active_only: bool = True) -> Category | None:
    query = select(Category).where(Category.code == code)
    if active_only:
        query = query.where(Category.active.is_(True))
    return db.session.scalars(query).first()


def attributes_for(category_id: int, *, active_only: bool = True) -> list[ServiceAttribute]:
    query = select(ServiceAttribute).where(ServiceAttribute.category_id == category_id)
    if active_only:
        query = query.where(ServiceAttribute.active.is_(True))
    return list(db.session.scalars(query.order_by(ServiceAttribute.position, ServiceAttribute.id)))


def categories_with_attributes() -> set[int]:
    return set(db.session.scalars(
        select(ServiceAttribute.category_id).where(ServiceAttribute.active.is_(True)).distinct()))


def validate_attributes(category: Category, raw: dict[str, list[str]], zone: tzinfo
                        ) -> tuple[dict[str, Any], dict[str, str]]:
    return validate_answers([spec_of(a) for a in attributes_for(category.id)], raw, zone)


def spec_of(attribute: ServiceAttribute) -> AttributeSpec:
    return AttributeSpec(code=attribute.code, datatype=attribute.datatype, required=attribute.required,
                         keys=tuple(v["key"] for v in attribute.values or []))


def category_or_404(code: str) -> Category:
    category = category_by_code(code, active_only=False)
    if category is None:
        raise NotFound()
    return category


def attribute_of(category: Category, attribute_id: int) -> ServiceAttribute:
    attribute = db.session.get(ServiceAttribute, attribute_id)
    if attribute is None or attribute.category_id != category.id:
        raise NotFound()
    return attribute


@dataclass
class AttributeInput:
    code: str
    datatype: str
    description_ro: str
    description_en: str
    datatype_description_ro: str = ""
    datatype_description_en: str = ""
    required: bool = False
    position: int = 1
    values: list[dict[str, str]] = field(default_factory=list)
    active: bool = True

    @classmethod
    def of(cls, form: Any) -> AttributeInput:
        """From the administration's form (open311/schemas.AttributeForm)."""
        return cls(code=form.code or "", datatype=form.datatype or "", description_ro=form.description_ro or "",
                   description_en=form.description_en or "",
                   datatype_description_ro=form.datatype_description_ro or "",
                   datatype_description_en=form.datatype_description_en or "", required=form.required,
                   position=form.position if form.position is not None else -1,
                   values=parse_values(form.values or ""), active=form.active)


def save_attribute(category: Category, data: AttributeInput, attribute: ServiceAttribute | None = None
                   ) -> ServiceAttribute:
    """Create or update a question; raises ValidationError naming the bad fields."""

    problems: dict[str, str] = {}
    if not CODE_RE.match(data.code or ""):
        problems["code"] = _("use 1 to 40 letters, digits, dots, dashes or underscores")
    if data.datatype not in ATTRIBUTE_DATATYPES:
        problems["datatype"] = _("must be one of: %(choices)s", choices=", ".join(ATTRIBUTE_DATATYPES))
    if not data.description_ro.strip():
        problems["description_ro"] = _("is required")
    if data.position < 0 or data.position > 10_000:
        problems["position"] = _("must be between %(low)s and %(high)s", low="0", high="10000")
    if data.datatype in LIST_DATATYPES:
        keys = [v["key"] for v in data.values]
        if not data.values:
            problems["values"] = _("a list question needs at least one value")
        elif len(set(keys)) != len(keys) or not all(CODE_RE.match(k) for k in keys):
            problems["values"] = _("each value needs a distinct key of letters, digits, dots, dashes or "
                                   "underscores")
        elif not all(v.get("name_ro") for v in data.values):
            problems["values"] = _("each value needs a Romanian name")
    clash = db.session.scalars(select(ServiceAttribute).where(
        ServiceAttribute.category_id == category.id, ServiceAttribute.code == data.code)).first()
    if clash is not None and clash is not attribute:
        problems["code"] = _("another question of this category already uses this code")
    if problems:
        raise ValidationError(fields=problems)
    if attribute is None:
        attribute = ServiceAttribute(category_id=category.id)
        db.session.add(attribute)
    attribute.code = data.code
    attribute.datatype = data.datatype
    attribute.description_ro = data.description_ro.strip()
    attribute.description_en = data.description_en.strip()
    attribute.datatype_description_ro = data.datatype_description_ro.strip()[:300]
    attribute.datatype_description_en = data.datatype_description_en.strip()[:300]
    attribute.required = data.required
    attribute.position = data.position
    attribute.values = data.values if data.datatype in LIST_DATATYPES else []
    attribute.active = data.active
    db.session.flush()
    return attribute


def delete_attribute(attribute: ServiceAttribute) -> None:
    """Remove a question. Answers already stored on reports stay there, shown under their code."""
    db.session.delete(attribute)
    db.session.flush()


# ---- submissions ---------------------------------------------------------------------------------

def record_submission(report: Report, api_key: ApiKey | None, media_url: str | None) -> Open311Submission:
    submission = Open311Submission(report_id=report.id, token=secrets.token_urlsafe(18),
                                   api_key_id=api_key.id if api_key else None, media_url=media_url)
    db.session.add(submission)
    db.session.flush()
    return submission


def submission_for(report_id: int) -> Open311Submission | None:
    return db.session.get(Open311Submission, report_id)


def report_id_for_token(token: str) -> int | None:
    """The visible report behind a token; None for an unknown token or a hidden report."""
    return db.session.scalar(
        select(Open311Submission.report_id).join(Report, Report.id == Open311Submission.report_id)
        .where(Open311Submission.token == token, publicly_visible()))


# ---- reading requests ----------------------------------------------------------------------------

@dataclass
class RequestQuery:
    ids: list[int] | None = None
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: set[str] | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def _updates():
    """Public events that change a request after it was made (Open311 has no "created" update)."""
    return and_(public_events(), ReportEvent.kind != "created")


def _latest_public_text():
    return (select(ReportEvent.public_text)
            .where(ReportEvent.report_id == Report.id, ReportEvent.public_text.is_not(None),
                   ReportEvent.public_text != "", _updates())
            .order_by(ReportEvent.at.desc(), ReportEvent.id.desc()).limit(1).scalar_subquery())


def _first_photo_key():
    return (select(Photo.storage_key).where(Photo.report_id == Report.id)
            .order_by(Photo.position, Photo.id).limit(1).scalar_subquery())


def find_requests(query: RequestQuery) -> list[dict[str, Any]]:
    """Visible reports matching ``query`` as plain rows, newest first; no personal data is selected."""
    stmt = (select(Report.id, Report.status, Report.description, Report.address, Report.created_at,
                   Report.updated_at, Report.acknowledged_at, Report.closed_at, Report.reopened_count,
                   Report.duplicate_of_id, Report.attributes,
                   func.ST_Y(Report.location).label("lat"), func.ST_X(Report.location).label("lon"),
                   Category.id.label("category_id"), Category.code, Category.name_ro, Category.name_en,
                   Category.group_ro, Category.group_en, Category.resolve_target_days,
                   Department.slug.label("department_slug"), Department.name_ro.label("department_ro"),
                   Department.name_en.label("department_en"),
                   _latest_public_text().label("status_notes"), _first_photo_key().label("photo_key"))
            .join(Category, Category.id == Report.category_id)
            .join(Department, Department.id == Report.department_id)
            .where(publicly_visible()))
    if query.ids is not None:
        stmt = stmt.where(Report.id.in_(query.ids))
    else:
        if query.service_codes:
            stmt = stmt.where(Category.code.in_(query.service_codes))
        if query.start is not None:
            stmt = stmt.where(Report.created_at >= query.start)
        if query.end is not None:
            stmt = stmt.where(Report.created_at <= query.end)
        if query.statuses and query.statuses != {"open", "closed"}:
            wanted = OPEN_STATUSES if "open" in query.statuses else CLOSED_STATUSES
            stmt = stmt.where(Report.status.in_(wanted))
        if query.updated_after is not None:
            stmt = stmt.where(Report.updated_at > query.updated_after)
        if query.updated_before is not None:
            stmt = stmt.where(Report.updated_at < query.updated_before)
        if query.bbox is not None:
            west, south, east, north = query.bbox
            stmt = stmt.where(Report.location.op("&&")(func.ST_MakeEnvelope(west, south, east, north, SRID)))
    stmt = (stmt.order_by(Report.created_at.desc(), Report.id.desc())
            .limit(query.page_size).offset((query.page - 1) * query.page_size))
    return [dict(row._mapping) for row in db.session.execute(stmt)]


def public_history(report_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The public timeline of each report: status changes and public notes, oldest first."""
    history: dict[int, list[dict[str, Any]]] = {rid: [] for rid in report_ids}
    if not report_ids:
        return history
    rows = db.session.execute(
        select(ReportEvent.report_id, ReportEvent.id, ReportEvent.at, ReportEvent.kind, ReportEvent.to_status,
               ReportEvent.public_text)
        .where(ReportEvent.report_id.in_(report_ids), public_events())
        .order_by(ReportEvent.report_id, ReportEvent.at, ReportEvent.id))
    for row in rows:
        history[row.report_id].append({"id": row.id, "at": row.at, "kind": row.kind, "to_status": row.to_status,
                                       "text": row.public_text})
    return history


def photo_keys(report_ids: list[int]) -> dict[int, list[str]]:
    keys: dict[int, list[str]] = {rid: [] for rid in report_ids}
    if report_ids:
        for row in db.session.execute(select(Photo.report_id, Photo.storage_key)
                                      .where(Photo.report_id.in_(report_ids))
                                      .order_by(Photo.report_id, Photo.position, Photo.id)):
            keys[row.report_id].append(row.storage_key)
    return keys


def attribute_specs(category_ids: set[int]) -> dict[int, list[AttributeSpec]]:
    specs: dict[int, list[AttributeSpec]] = {cid: [] for cid in category_ids}
    if category_ids:
        for attribute in db.session.scalars(select(ServiceAttribute)
                                            .where(ServiceAttribute.category_id.in_(category_ids))
                                            .order_by(ServiceAttribute.position, ServiceAttribute.id)):
            specs[attribute.category_id].append(spec_of(attribute))
    return specs


def find_updates(start: datetime, end: datetime | None, page: int, page_size: int) -> list[dict[str, Any]]:
    """Public changes (status, reopen, duplicate, public note) of visible reports in [start, end], oldest first.

    Each carries the report's detailed status as it stood right after the change.
    """
    earlier = aliased(ReportEvent)
    status_then = (select(earlier.to_status)
                   .where(earlier.report_id == ReportEvent.report_id, earlier.to_status.is_not(None),
                          tuple_(earlier.at, earlier.id) <= tuple_(ReportEvent.at, ReportEvent.id))
                   .order_by(earlier.at.desc(), earlier.id.desc()).limit(1).scalar_subquery())
    stmt = (select(ReportEvent.id, ReportEvent.report_id, ReportEvent.at, ReportEvent.kind, ReportEvent.public_text,
                   status_then.label("status"))
            .join(Report, Report.id == ReportEvent.report_id)
            .where(publicly_visible(), _updates(), ReportEvent.at >= start))
    if end is not None:
        stmt = stmt.where(ReportEvent.at <= end)
    stmt = (stmt.order_by(ReportEvent.at, ReportEvent.id).limit(page_size).offset((page - 1) * page_size))
    return [dict(row._mapping) for row in db.session.execute(stmt)]

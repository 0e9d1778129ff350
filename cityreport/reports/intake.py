"""A resident's report from any front door (the form, the JSON API, Open311): checked, then stored.

Functions flush and never commit: the request does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cityreport.core.inputs import check
from cityreport.core.transaction import attempt
from cityreport.departments.models import Category
from cityreport.errors import ValidationError
from cityreport.extensions import db
from cityreport.media import services as media
from cityreport.media.services import ProcessedPhoto
from cityreport.reports import schemas
from cityreport.reports.models import Report
from cityreport.reports.services import NewReport, create_report, report_by_idempotency_key
from cityreport.routing import services as routing


def active_category(code: str) -> Category | None:
    return db.session.scalars(select(Category).where(Category.code == code, Category.active.is_(True))).first()


def _photo_bytes(item: Any) -> bytes | None:
    """Multipart FileStorage, raw bytes, or (from JSON) base64 text; None for an empty file input."""
    if item is None:
        return None
    if isinstance(item, bytes | bytearray | memoryview):
        return bytes(item) or None
    if isinstance(item, str):
        try:
            return base64.b64decode(item, validate=True) or None
        except (binascii.Error, ValueError):
            raise ValueError(_("must be a file or base64-encoded image data")) from None
    if hasattr(item, "read"):
        return item.read(current_app.config["PHOTO_MAX_BYTES"] + 1) or None
    raise ValueError(_("must be a file or base64-encoded image data"))


def intake(data: Mapping[str, Any], files: Sequence[Any] | None, *, source: str, locale: str) -> NewReport:
    """A resident's report from any front door (form, JSON, Open311), checked: raises one ValidationError
    naming every bad field, the database's and the photos' problems included.

    ``data`` maps field names to values (strings from a form, typed values from JSON). ``files`` are the
    photos: FileStorage objects, bytes, or base64 strings. A photo's GPS stands in for a missing place.
    """
    checked = check(schemas.ReportInput, data)
    values = checked.values

    category = None
    if values.get("category"):
        category = active_category(values["category"])
        if category is None:
            checked.fail("category", _("is not a category this city handles"))

    blobs: list[bytes] = []
    for item in list(files or []):
        try:
            blob = _photo_bytes(item)
        except ValueError as exc:
            checked.fail("photos", str(exc), malformed=True)
            continue
        if blob is not None:
            blobs.append(blob)
    limit = current_app.config["PHOTO_MAX_COUNT"]
    photos: list[ProcessedPhoto] = []
    if len(blobs) > limit:
        checked.fail("photos", _("at most %(count)d photos per report", count=limit))
    elif "photos" not in checked.fields:
        for blob in blobs:
            try:
                photos.append(media.process_upload(blob, field="photos"))
            except ValidationError as exc:
                for name, message in exc.fields.items():
                    checked.fail(name, message, malformed=exc.status == 400)
                break

    lat, lon = values.get("lat"), values.get("lon")
    from_photo = False
    if "lat" not in checked.fields and "lon" not in checked.fields:
        if lat is None and lon is None:
            gps = next((p.gps for p in photos if p.gps), None)
            if gps is not None:
                (lat, lon), from_photo = gps, True
            else:
                missing = _("is required (or attach a photo that carries its location)")
                checked.fail("lat", missing)
                checked.fail("lon", missing)
        elif lat is None or lon is None:
            checked.fail("lat" if lat is None else "lon", _("is required"))
        if lat is not None and lon is not None and routing.jurisdiction_at(lat, lon) is None:
            checked.fail("location", _("the photo's location is outside the area this city serves") if from_photo
                         else _("outside the area this city serves"))

    if checked.fields:
        message = (_("The place is outside the area this city serves.") if set(checked.fields) == {"location"}
                   else _("Some fields are not valid."))
        raise ValidationError(message, fields=dict(checked.fields), status=400 if checked.malformed else 422)
    assert category is not None and lat is not None and lon is not None
    return NewReport(category=category, lat=float(lat), lon=float(lon), description=values["description"],
                     address=values["address"], name=values["name"], email=values["email"], phone=values["phone"],
                     locale=locale, source=source, idempotency_key=values["idempotency_key"], photos=photos,
                     location_from_photo=from_photo)


def submit_report(data: NewReport) -> Report:
    """Store a checked report: route it, keep its photos, write the outbox rows. Flush only.

    A report carrying an idempotency key that is already stored returns that report: a phone that
    retries an upload after a dropped connection does not file the problem twice.
    """
    if data.idempotency_key:
        existing = report_by_idempotency_key(data.idempotency_key)
        if existing is not None:
            return existing
        # Two copies of the same retry can race; the unique key lets exactly one of them win.
        try:
            with attempt():
                report = create_report(data)
        except IntegrityError:
            existing = report_by_idempotency_key(data.idempotency_key)
            if existing is None:
                raise
            return existing
    else:
        report = create_report(data)
    if data.photos:
        media.store_photos(report.id, list(data.photos))
        db.session.flush()
    return report

"""Open-data exports, streamed straight from PostgreSQL in constant memory.

The CSV is PostgreSQL's own ``COPY ... TO STDOUT (FORMAT csv)``; the GeoJSON features are built by
``json_build_object`` and read through a server-side cursor. Python only forwards bytes, so a
million rows cost what the database spends on them and a few buffers of memory.

Only reports the public may see are exported (reports/sql.py), and only public columns: never a
reporter's name, e-mail or phone, never internal notes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from psycopg import sql
from sqlalchemy import select, text

from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.indicators.models import IndicatorSnapshot
from cityreport.indicators.rules import METRIC_KEYS, csv_value
from cityreport.opendata.rules import COLUMN_NAMES, INDICATOR_LEAD_COLUMNS, SCHEMA_VERSION, Period, etag
from cityreport.reports import sql as report_sql
from cityreport.routing.models import Jurisdiction

CHUNK = 64 * 1024
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

# One query for both formats. The photo is the first by position; one pass over photos joined by hash
# or merge costs far less than a lookup per report (bench/README.md).
_REPORTS_SQL = """
SELECT r.id, c.code AS category_code, c.name_ro AS category_name_ro, c.name_en AS category_name_en,
       d.slug AS department, d.name_ro AS department_name_ro, d.name_en AS department_name_en, r.status,
       to_char(r.created_at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') AS created_at,
       to_char(r.acknowledged_at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') AS acknowledged_at,
       to_char(r.closed_at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') AS closed_at,
       round(ST_Y(r.location)::numeric, 6) AS latitude, round(ST_X(r.location)::numeric, 6) AS longitude,
       r.description, {photo_prefix} || ph.storage_key AS photo_url
FROM reports r
JOIN categories c ON c.id = r.category_id
JOIN departments d ON d.id = r.department_id
LEFT JOIN (SELECT DISTINCT ON (report_id) report_id, storage_key FROM photos
           ORDER BY report_id, position, id) ph ON ph.report_id = r.id
WHERE {visible} {period}
ORDER BY r.created_at, r.id
"""

# Text concatenation with to_json() for each value writes the same JSON as json_build_object at about
# half the cost per row (bench/README.md); coalesce turns SQL NULL into JSON null.
_FEATURE_SQL = """
'{{"type": "Feature", "id": ' || e.id || ', "geometry": {{"type": "Point", "coordinates": ['
  || e.longitude || ', ' || e.latitude || ']}}, "properties": {{' || {properties} || '}}}}'
"""


@dataclass(frozen=True)
class Stamp:
    """What HTTP caching needs to know of an export: a strong ETag and the last change."""

    etag: str
    last_modified: datetime
    rows: int


def photo_prefix() -> str:
    """The absolute URL of a photo, less its storage key (PUBLIC_BASE_URL + the media route)."""
    marker = "00/00/" + "0" * 64 + "-display.jpg"
    path = url_for("media.serve", key=marker)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path[: -len(marker)]


def _period_sql(period: Period) -> sql.Composable:
    parts: list[sql.Composable] = []
    if period.start is not None:
        parts.append(sql.SQL(" AND r.created_at >= {}").format(sql.Literal(period.start)))
    if period.end is not None:
        parts.append(sql.SQL(" AND r.created_at < {}").format(sql.Literal(period.end)))
    return sql.Composed(parts)


def _reports_query(period: Period) -> sql.Composed:
    return sql.SQL(_REPORTS_SQL).format(photo_prefix=sql.Literal(photo_prefix()), period=_period_sql(period),
                                        visible=sql.SQL(report_sql.publicly_visible("r")))


def _feature_sql() -> sql.Composed:
    properties = sql.SQL(" || ', ' || ").join(
        sql.SQL("{} || coalesce(to_json(e.{})::text, 'null')").format(sql.Literal(f'"{name}": '), sql.Identifier(name))
        for name in COLUMN_NAMES)
    return sql.SQL(_FEATURE_SQL).format(properties=properties)


def _raw_connection():
    """The session's psycopg connection, inside its transaction, with the city's time zone set locally.

    Export generators call this when they start producing rows, not when the view builds them: Flask
    ends the request (and removes its session) before a streamed body is read, then pushes the
    context again around the iteration, where ``db.session`` is a fresh session whose connection is
    released, rolled back, when the body has been sent.
    """
    # Through SQLAlchemy, so it knows a transaction is open and rolls it back when the session ends;
    # statements sent only on the driver connection would leave it "in transaction" in the pool.
    db.session.execute(text("SELECT set_config('TimeZone', :zone, true)"),
                       {"zone": current_app.config["CITY_TIMEZONE"]})
    return db.session.connection().connection.driver_connection


def _copy_out(statement: sql.Composed, *, drop_first_byte: bool = False) -> Iterator[bytes]:
    """COPY's output in blocks of about CHUNK bytes.

    libpq hands over one row at a time; gathering them here, in one loop, keeps the Python work per
    row to a single append.
    """
    connection = _raw_connection()
    buffer = bytearray()
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in copy:
            buffer += row
            if len(buffer) >= CHUNK:
                if drop_first_byte:
                    del buffer[0]
                    drop_first_byte = False
                yield bytes(buffer)
                buffer.clear()
    if drop_first_byte and buffer:
        del buffer[0]
    if buffer:
        yield bytes(buffer)


def reports_csv(period: Period) -> Iterator[bytes]:
    """RFC 4180 CSV, UTF-8, with a header row; empty cells for absent values."""
    statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')").format(
        _reports_query(period))
    return _copy_out(statement)


def reports_geojson(period: Period) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection (RFC 7946) whose properties are the CSV's columns.

    Each feature is a line that PostgreSQL writes through COPY, prefixed with a comma. The CSV format
    with a delimiter and quote character that JSON text never contains (it escapes every control
    character) passes the text through byte for byte; only the first feature's comma is dropped.
    """
    statement = sql.SQL("COPY (SELECT ',' || ({}) FROM ({}) e) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', "
                        "QUOTE E'\\x02', ENCODING 'UTF8')").format(_feature_sql(), _reports_query(period))

    def chunks() -> Iterator[bytes]:
        yield b'{"type": "FeatureCollection", "features": [\n'
        yield from _copy_out(statement, drop_first_byte=True)
        yield b"]}\n"

    return chunks()


def reports_stamp(period: Period, fmt: str) -> Stamp:
    connection = _raw_connection()
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(
            "SELECT count(*), max(r.updated_at), coalesce(sum(r.version), 0), coalesce(max(r.id), 0) "
            "FROM reports r WHERE {} {}").format(sql.SQL(report_sql.publicly_visible("r")), _period_sql(period)))
        rows, updated, versions, top = cursor.fetchone()
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM photos")
        photos = cursor.fetchone()
        categories, departments = _names_digest(cursor)
    tag = etag(["reports", fmt, SCHEMA_VERSION, period.label, rows, updated, versions, top, photos, categories,
                departments, photo_prefix(), current_app.config["CITY_TIMEZONE"]])
    return Stamp(tag, (updated or EPOCH).astimezone(UTC), rows)


def _names_digest(cursor) -> tuple[str, str]:
    """Digests of the category and department names: renaming either changes what the exports print."""
    cursor.execute("SELECT md5(coalesce(string_agg(concat_ws('|', id, code, name_ro, name_en), ',' ORDER BY id), "
                   "'')) FROM categories")
    categories = cursor.fetchone()[0]
    cursor.execute("SELECT md5(coalesce(string_agg(concat_ws('|', id, slug, name_ro, name_en), ',' ORDER BY id), "
                   "'')) FROM departments")
    return categories, cursor.fetchone()[0]


# ---- indicators ----------------------------------------------------------------------------------

INDICATOR_COLUMNS = INDICATOR_LEAD_COLUMNS + METRIC_KEYS


def indicators_rows() -> Iterator[list[Any]]:
    """Every stored monthly snapshot, one row per month × scope: city first, then departments, categories."""
    zone_name = current_app.config["CITY_TIMEZONE"]

    zone = ZoneInfo(zone_name)
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    city_name = _city_name()
    scope_order = {"city": 0, "department": 1, "category": 2}
    snapshots = db.session.scalars(
        select(IndicatorSnapshot).order_by(IndicatorSnapshot.month, IndicatorSnapshot.scope,
                                           IndicatorSnapshot.scope_id).execution_options(yield_per=500))
    month_rows: list[IndicatorSnapshot] = []
    current = None
    for snapshot in snapshots:
        if current is not None and snapshot.month != current:
            yield from _month_rows(month_rows, scope_order, departments, categories, city_name, zone)
            month_rows = []
        current = snapshot.month
        month_rows.append(snapshot)
    yield from _month_rows(month_rows, scope_order, departments, categories, city_name, zone)


def _month_rows(snapshots, scope_order, departments, categories, city_name, zone) -> Iterator[list[Any]]:
    for snapshot in sorted(snapshots, key=lambda s: (scope_order.get(s.scope, 9), s.scope_id)):
        if snapshot.scope == "department":
            owner = departments.get(snapshot.scope_id)
            code = owner.slug if owner else ""
        elif snapshot.scope == "category":
            owner = categories.get(snapshot.scope_id)
            code = owner.code if owner else ""
        else:
            owner, code = None, "city"
        name_ro = owner.name_ro if owner else city_name
        name_en = owner.name_en if owner else city_name
        lead = [snapshot.month.strftime("%Y-%m"), snapshot.scope, snapshot.scope_id, code, name_ro, name_en,
                snapshot.definition_version, snapshot.computed_at.astimezone(zone).isoformat(timespec="seconds")]
        yield lead + [csv_value(snapshot.metrics.get(key)) for key in METRIC_KEYS]


def indicators_csv() -> Iterator[bytes]:
    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(INDICATOR_COLUMNS)
        for row in indicators_rows():
            writer.writerow(row)
            if buffer.tell() > CHUNK:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")

    return chunks()


def indicators_stamp() -> Stamp:
    connection = _raw_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(computed_at), md5(coalesce(string_agg(concat_ws('|', id, computed_at), ',' "
                       "ORDER BY id), '')) FROM indicator_snapshots")
        rows, computed, digest = cursor.fetchone()
        categories, departments = _names_digest(cursor)
    tag = etag(["indicators", SCHEMA_VERSION, rows, computed, digest, categories, departments, _city_name(),
                current_app.config["CITY_TIMEZONE"]])
    return Stamp(tag, (computed or EPOCH).astimezone(UTC), rows)


def _city_name() -> str:
    return db.session.scalar(select(Jurisdiction.name).order_by(Jurisdiction.id).limit(1)) or "CityReport"


def city_name() -> str:
    return _city_name()


def months_available() -> list[str]:
    """Months (YYYY-MM, city time) that have at least one visible report, newest first."""
    connection = _raw_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT to_char(date_trunc('month', created_at), 'YYYY-MM') AS m FROM reports "
                       f"WHERE {report_sql.publicly_visible()} ORDER BY m DESC")
        return [row[0] for row in cursor.fetchall()]

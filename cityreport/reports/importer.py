"""`cityreport import-reports FILE.csv`: a city's history from its old register (docs/status-machine.md).

Rows are checked in Python (import_rules.py), then loaded set-wise: COPY into a temporary table,
place and route every row in SQL with the same order of preference as routing/rules.py (a
category-specific area, then higher priority, then the smaller area; else the category's default
department; else the fallback department), and insert the reports and their events in one
statement each. 100,000 rows take seconds, not the hours a row-at-a-time import would.

Idempotent on external_id: rows already present are skipped, never changed. Bad rows are reported
by line and reason and left out; good rows still import. One transaction for the whole file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select, text

from cityreport.core.transaction import unit_of_work
from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.geo import SRID
from cityreport.models_base import utcnow
from cityreport.reports import sql
from cityreport.reports.import_rules import COLUMNS, ImportRow, RowError, check_header, validate_row
from cityreport.reports.rules import HIDING_STATUSES


class ImportFileError(ValueError):
    """The file as a whole cannot be read (no header, wrong columns, not UTF-8)."""


@dataclass
class ImportResult:
    imported: int = 0
    already_present: int = 0
    errors: list[RowError] = field(default_factory=list)


def read_rows(stream: Iterable[str], *, timezone: str, now: datetime) -> tuple[list[ImportRow], list[RowError]]:
    categories = {code: cid for cid, code in db.session.execute(select(Category.id, Category.code))}
    departments = {slug: did for did, slug in db.session.execute(select(Department.id, Department.slug))}
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read the header: {exc}") from None
    problem = check_header(header)
    if problem:
        raise ImportFileError(problem)
    names = [h.strip().lower() for h in header or []]
    good: list[ImportRow] = []
    bad: list[RowError] = []
    seen: set[str] = set()
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as exc:
            bad.append(RowError(start, f"cannot be read: {exc}"))
            line = reader.line_num
            continue
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # blank line
        if len(values) != len(names):
            bad.append(RowError(start, f"has {len(values)} fields, the header has {len(names)}"))
            continue
        record = dict(zip(names, values, strict=True))
        checked = validate_row(start, record, categories=categories, departments=departments,
                               timezone=timezone, now=now, seen_ids=seen)
        (bad if isinstance(checked, RowError) else good).append(checked)
    return good, bad


_CREATE_TEMP = """
DROP TABLE IF EXISTS import_rows;
CREATE TEMP TABLE import_rows (
    line integer PRIMARY KEY,
    external_id varchar(100) NOT NULL,
    category_id integer NOT NULL,
    lat double precision NOT NULL,
    lon double precision NOT NULL,
    description text NOT NULL,
    created_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    closed_at timestamptz,
    status varchar(20) NOT NULL,
    department_id integer,
    jurisdiction_id integer,
    area_department_id integer,
    route_reason varchar(20),
    geom geometry(Point, 4326)
)
"""

_COPY = ("COPY import_rows (line, external_id, category_id, lat, lon, description, created_at, acknowledged_at, "
         "closed_at, status, department_id) FROM STDIN")

# Place and route in SQL; the order of preference is routing/rules.py's choose_area + decide.
_ROUTE = [
    f"UPDATE import_rows SET geom = ST_SetSRID(ST_MakePoint(lon, lat), {SRID})",
    "DELETE FROM import_rows t USING reports r WHERE r.external_id = t.external_id",
    "ANALYZE import_rows",
    """UPDATE import_rows t SET jurisdiction_id = (
           SELECT j.id FROM jurisdictions j WHERE ST_Covers(j.boundary, t.geom) ORDER BY j.id LIMIT 1)""",
    """UPDATE import_rows t SET route_reason = 'import' WHERE department_id IS NOT NULL""",
    # A correlated update per row (one GiST probe each); a self-join here invites a quadratic plan.
    """UPDATE import_rows t SET area_department_id = (
           SELECT sa.department_id FROM service_areas sa
            WHERE (sa.category_id = t.category_id OR sa.category_id IS NULL)
              AND EXISTS (SELECT 1 FROM service_area_pieces p
                           WHERE p.service_area_id = sa.id AND ST_Covers(p.geom, t.geom))
            ORDER BY sa.category_id IS NULL, sa.priority DESC, sa.area_m2, sa.id
            LIMIT 1)
        WHERE t.department_id IS NULL AND t.jurisdiction_id IS NOT NULL""",
    """UPDATE import_rows SET department_id = area_department_id, route_reason = 'area'
        WHERE department_id IS NULL AND area_department_id IS NOT NULL""",
    """UPDATE import_rows t SET department_id = c.default_department_id, route_reason = 'category_default'
         FROM categories c
        WHERE t.department_id IS NULL AND c.id = t.category_id AND c.default_department_id IS NOT NULL""",
    """UPDATE import_rows t SET department_id = (
           SELECT d.id FROM departments d WHERE d.is_fallback AND d.active ORDER BY d.id LIMIT 1),
           route_reason = 'fallback'
        WHERE t.department_id IS NULL""",
    "ANALYZE import_rows",
]

# An imported report in a status the machine hides (invalid) is hidden, as change_status would leave it.
_INSERT = f"""
WITH inserted AS (
    INSERT INTO reports (category_id, department_id, jurisdiction_id, location, description, status,
                         created_at, acknowledged_at, closed_at, updated_at, reopened_count, hidden, locale,
                         source, external_id, attributes, version)
    SELECT category_id, department_id, jurisdiction_id, geom, description, status,
           created_at, acknowledged_at, closed_at, greatest(created_at, acknowledged_at, closed_at), 0,
           status IN {sql.literal_list(HIDING_STATUSES)}, 'ro',
           'import', external_id, '{{}}'::jsonb, 1
      FROM import_rows
     WHERE jurisdiction_id IS NOT NULL AND department_id IS NOT NULL
     ORDER BY line
    ON CONFLICT (external_id) DO NOTHING
    RETURNING id, external_id
), history AS (
    SELECT i.id AS report_id, t.created_at AS at, 1 AS seq, 'created' AS kind, NULL AS from_status,
           'new' AS to_status, t.department_id AS to_department_id, NULL AS internal_text
      FROM inserted i JOIN import_rows t USING (external_id)
    UNION ALL
    SELECT i.id, t.created_at, 2, 'routed', NULL, NULL, t.department_id, t.route_reason
      FROM inserted i JOIN import_rows t USING (external_id)
    UNION ALL
    -- The acknowledgement, unless it happened at the closing itself (closed straight from new).
    SELECT i.id, t.acknowledged_at, 3, 'status', 'new',
           CASE WHEN t.status = 'in_progress' THEN 'in_progress' ELSE 'acknowledged' END, NULL, NULL
      FROM inserted i JOIN import_rows t USING (external_id)
     WHERE t.acknowledged_at IS NOT NULL AND (t.closed_at IS NULL OR t.acknowledged_at < t.closed_at)
    UNION ALL
    SELECT i.id, t.closed_at, 4, CASE WHEN t.status = 'duplicate' THEN 'duplicate' ELSE 'status' END,
           CASE WHEN t.acknowledged_at < t.closed_at THEN 'acknowledged' ELSE 'new' END, t.status, NULL, NULL
      FROM inserted i JOIN import_rows t USING (external_id)
     WHERE t.closed_at IS NOT NULL
), events AS (
    INSERT INTO report_events (report_id, at, actor, kind, from_status, to_status, to_department_id, internal_text)
    SELECT report_id, at, 'system', kind, from_status, to_status, to_department_id, internal_text
      FROM history ORDER BY report_id, seq
)
SELECT count(*) FROM inserted
"""


def _copy_rows(rows: list[ImportRow]) -> None:
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(_COPY) as copy:
        for r in rows:
            copy.write_row((r.line, r.external_id, r.category_id, r.lat, r.lon, r.description, r.created_at,
                            r.acknowledged_at, r.closed_at, r.status, r.department_id))


def import_rows(rows: list[ImportRow]) -> tuple[int, int, list[RowError]]:
    """Insert the checked rows; returns (imported, already present, rows refused by place or routing)."""
    # Sorting and hashing 100,000 rows in memory instead of spilling to disk.
    db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    for statement in _CREATE_TEMP.split(";"):
        if statement.strip():
            db.session.execute(text(statement))
    _copy_rows(rows)
    session = db.session
    for statement in _ROUTE[:2]:
        session.execute(text(statement))
    remaining = session.scalar(text("SELECT count(*) FROM import_rows"))
    for statement in _ROUTE[2:]:
        session.execute(text(statement))
    refused = [RowError(line, "lat/lon: outside the area this city serves")
               for (line,) in session.execute(text(
                   "SELECT line FROM import_rows WHERE jurisdiction_id IS NULL ORDER BY line"))]
    refused += [RowError(line, "department: no service area, category default or fallback department covers it")
                for (line,) in session.execute(text(
                    "SELECT line FROM import_rows WHERE jurisdiction_id IS NOT NULL AND department_id IS NULL "
                    "ORDER BY line"))]
    imported = session.scalar(text(_INSERT)) or 0
    session.execute(text("DROP TABLE import_rows"))
    session.flush()
    already = len(rows) - remaining
    return imported, already + (remaining - len(refused) - imported), refused


def import_csv(stream: Iterable[str], *, now: datetime | None = None) -> ImportResult:
    """Validate and import a CSV stream (flushes; the caller commits)."""
    good, bad = read_rows(stream, timezone=current_app.config["CITY_TIMEZONE"], now=now or utcnow())
    result = ImportResult(errors=bad)
    if good:
        result.imported, result.already_present, refused = import_rows(good)
        result.errors = sorted(bad + refused, key=lambda e: e.line)
    return result


@click.command("import-reports")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_reports_command(path: str) -> None:
    """Import historical reports from a CSV file (columns: external_id, category, lat, lon, description,
    created_at, acknowledged_at, closed_at, status, department).

    Exits with status 1 when any row was refused (the good rows are imported all the same).
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle, unit_of_work():
            result = import_csv(handle)
    except ImportFileError as exc:
        click.echo(f"error: {path}: {exc}", err=True)
        raise SystemExit(2) from None
    except UnicodeDecodeError:
        click.echo(f"error: {path}: not UTF-8 text", err=True)
        raise SystemExit(2) from None
    for error in result.errors:
        click.echo(f"{path}: {error}", err=True)
    click.echo(f"imported {result.imported} report(s); {result.already_present} already present (skipped); "
               f"{len(result.errors)} row(s) refused")
    if result.errors:
        raise SystemExit(1)


__all__ = ["COLUMNS", "ImportFileError", "ImportResult", "import_csv", "import_reports_command"]

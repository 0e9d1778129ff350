"""`cityreport opendata export`: the open-data files, for manual upload to a data portal."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from cityreport.opendata import catalog, services
from cityreport.opendata.rules import Period, PeriodError, parse_period


@click.group("opendata")
def opendata_group() -> None:
    """Open data: anonymised reports, indicators, the DCAT catalogue."""


@opendata_group.command("export")
@click.option("--month", default=None, help="YYYY-MM; every report when left out.")
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD (instead of --month).")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (instead of --month).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write into (created if missing).")
@with_appcontext
def export_command(month: str | None, start: str | None, end: str | None, out: Path) -> None:
    """Write reports-<period>.csv, reports-<period>.geojson, indicators.csv and catalog.json into OUT.

    The files have the same bytes as /opendata/reports.csv?month=..., /opendata/reports.geojson,
    /opendata/indicators.csv and /opendata/catalog.json.
    """
    try:
        period = parse_period(month, start, end, ZoneInfo(current_app.config["CITY_TIMEZONE"]))
    except PeriodError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field}") from None
    out.mkdir(parents=True, exist_ok=True)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    # URLs in the files are built as a request to PUBLIC_BASE_URL would build them.
    with current_app.test_request_context("/", base_url=base):
        written = []
        for name, body in ((f"reports-{period.label}.csv", services.reports_csv(period)),
                           (f"reports-{period.label}.geojson", services.reports_geojson(period)),
                           ("indicators.csv", services.indicators_csv())):
            path = out / name
            with path.open("wb") as handle:
                for chunk in body:
                    handle.write(chunk)
            written.append(path)
        everything = Period(None, None, "all")
        document = catalog.build(base, services.city_name(), services.reports_stamp(everything, "catalog")
                                 .last_modified, services.indicators_stamp().last_modified)
        path = out / "catalog.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    for path in written:
        click.echo(f"{path} ({path.stat().st_size} bytes)")

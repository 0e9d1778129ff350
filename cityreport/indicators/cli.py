"""`cityreport indicators build|show`."""

from __future__ import annotations

import csv
import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from cityreport.core.transaction import unit_of_work
from cityreport.indicators import rules
from cityreport.indicators.jobs import build_missing_months
from cityreport.indicators.services import CSV_FIELDS, build_month, month_payload, payload_rows


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None):
    if value is None:
        return None
    try:
        return rules.parse_month(value)
    except rules.MonthError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("indicators")
def indicators_group() -> None:
    """Monthly responsiveness indicators (docs/indicators.md)."""


@indicators_group.command("build")
@click.option("--month", callback=_month, help="YYYY-MM, in the city's time zone.")
@click.option("--missing", is_flag=True, help="Every complete month since the first report not built yet.")
@with_appcontext
def build_command(month, missing: bool) -> None:
    """Compute and store a month's snapshots for every scope (replaces an earlier build)."""
    if missing == (month is not None):
        raise click.UsageError("give either --month YYYY-MM or --missing")
    if missing:
        built = build_missing_months()
        click.echo(f"built {len(built)} month(s)" + (f": {', '.join(built)}" if built else ""))
        return
    with unit_of_work():
        result = build_month(month)
    click.echo(f"built {rules.format_month(result.month)}: {result.snapshots} snapshots "
               f"(definition version {rules.DEFINITION_VERSION})")


@indicators_group.command("show")
@click.option("--month", required=True, callback=_month, help="YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@with_appcontext
def show_command(month, fmt: str) -> None:
    """Print a month's stored snapshots as JSON or CSV."""

    payload = month_payload(month, current_app.config["DEFAULT_LOCALE"])
    if payload is None:
        click.echo(f"error: {rules.format_month(month)} has not been built; run "
                   f"`cityreport indicators build --month {rules.format_month(month)}`", err=True)
        raise SystemExit(1)
    if fmt == "json":
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(payload_rows(payload))

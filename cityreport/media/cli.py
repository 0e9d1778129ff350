"""`cityreport media prune`: remove stored photo files that no report refers to any more."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from cityreport.media.services import prune_unreferenced


@click.group("media")
def media_group() -> None:
    """Stored photos."""


@media_group.command("prune")
@click.option("--older-than-hours", type=click.IntRange(min=1), default=24, show_default=True,
              help="Only files at least this old, so uploads still being committed are kept.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@with_appcontext
def prune_command(older_than_hours: int, dry_run: bool) -> None:
    """Delete photo files that no photo row refers to (rolled-back uploads, deleted reports)."""

    result = prune_unreferenced(older_than=timedelta(hours=older_than_hours), dry_run=dry_run)
    for key in result.removed:
        click.echo(("would remove " if dry_run else "removed ") + key)
    click.echo(f"{len(result.removed)} of {result.checked} files old enough were unreferenced"
               + (" (dry run, nothing removed)" if dry_run else "")
               + (f"; {result.incomplete_removed} incomplete writes cleaned up" if result.incomplete_removed else ""))

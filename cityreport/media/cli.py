"""`cityreport media prune`: remove stored photo files that no report refers to any more.
`cityreport media migrate`: copy them into another storage (local disk → S3)."""

from __future__ import annotations

import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from cityreport.media.services import prune_unreferenced
from cityreport.media.storage import StorageUnavailable, open_storage
from cityreport.media.transfer import copy_photos


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


@media_group.command("migrate")
@click.option("--to", "target_location", required=True, metavar="s3://BUCKET/PREFIX|DIR",
              help="Where to copy the photos: a bucket (with the S3_* settings) or a directory.")
@click.option("--from", "source_location", metavar="s3://BUCKET/PREFIX|DIR",
              help="Where they are now. Default: MEDIA_ROOT, the local disk.")
@click.option("--jobs", type=click.IntRange(1, 64), default=4, show_default=True, help="Copies at a time.")
@with_appcontext
def migrate_command(target_location: str, source_location: str | None, jobs: int) -> None:
    """Copy every photo that a report refers to into another storage, e.g. from local disk into S3.

    Run it, set MEDIA_STORAGE to the target and restart, then run it again to copy the photos that
    arrived meanwhile. It can be stopped at any point and run again: it copies only what is missing.
    """
    config = current_app.config
    source_location = source_location or config["MEDIA_ROOT"]
    try:
        source, target = open_storage(source_location, config), open_storage(target_location, config)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to/--from") from None
    if repr(source) == repr(target):
        raise click.BadParameter("the target is the source", param_hint="--to")
    click.echo(f"copying photos from {source.location} to {target.location}")

    last_report = [time.monotonic()]

    def progress(result) -> None:
        now = time.monotonic()
        if now - last_report[0] >= 5:
            last_report[0] = now
            click.echo(f"  {result.copied} copied so far ({result.already_there} already there)")

    try:
        source.check()
        target.check()
        result = copy_photos(source, target, jobs=jobs, progress=progress)
    except StorageUnavailable as exc:
        raise click.ClickException(f"storage unavailable: {exc.detail}. Nothing is lost: run the command again "
                                   "to go on from where it stopped.") from None
    for key in result.missing:
        click.echo(f"missing in the source: {key}", err=True)
    for key in result.damaged:
        click.echo(f"damaged in the source (bytes do not match the key), not copied: {key}", err=True)
    rate = result.copied / result.seconds if result.seconds else 0.0
    click.echo(f"{result.referenced} photo files referenced: {result.copied} copied "
               f"({result.copied_bytes / 1e6:.1f} MB), {result.already_there} already there, "
               f"{len(result.missing)} missing, {len(result.damaged)} damaged; "
               f"{result.seconds:.1f} s ({rate:.0f} files/s)")
    if not result.complete:
        raise SystemExit(1)


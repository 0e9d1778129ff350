"""`cityreport api-keys ...`: keys for Open311 POST."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from cityreport.core.transaction import unit_of_work
from cityreport.errors import NotFound
from cityreport.open311.services import create_api_key, list_api_keys, revoke_api_key


@click.group("api-keys")
def api_keys_group() -> None:
    """Manage the API keys Open311 clients need to post reports."""


@api_keys_group.command("create")
@click.argument("name")
@with_appcontext
def create_command(name: str) -> None:
    """Create a key named NAME and print it (it is shown this once only)."""
    if not name.strip():
        raise click.UsageError("NAME must not be empty")
    with unit_of_work():
        key, plaintext = create_api_key(name)
    click.echo(f"created API key {key.id} ({key.name}); store it now, it is not shown again:")
    click.echo(plaintext)


@api_keys_group.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
def revoke_command(key_id: int) -> None:
    """Revoke the key with id KEY_ID."""
    try:
        with unit_of_work():
            revoke_api_key(key_id)
    except NotFound:
        click.echo(f"error: no API key with id {key_id}", err=True)
        raise SystemExit(2) from None
    click.echo(f"revoked API key {key_id}")


@api_keys_group.command("list")
@with_appcontext
def list_command() -> None:
    """List keys: id, prefix, state, name, last use."""

    keys = list_api_keys()
    if not keys:
        click.echo("no API keys")
        return
    for key in keys:
        state = "active" if key.active else "revoked"
        used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never used"
        click.echo(f"{key.id:>4}  {key.prefix}…  {state:<7}  {key.name}  ({used})")

"""The `cityreport` command: a Flask CLI group. Every command works against DATABASE_URL."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from cityreport import create_app, database, demo, demo_data
from cityreport.core.transaction import unit_of_work
from cityreport.errors import ValidationError
from cityreport.extensions import db
from cityreport.indicators.cli import indicators_group
from cityreport.media.cli import media_group
from cityreport.open311.cli import api_keys_group
from cityreport.opendata.cli import opendata_group
from cityreport.places.cli import import_addresses_command
from cityreport.reports.importer import import_reports_command
from cityreport.routing.cli import import_areas_command
from cityreport.routing.models import Jurisdiction
from cityreport.staff.accounts import create_staff


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """CityReport: report, route and fix local problems."""


def register(app: Flask) -> None:
    """Commands live on app.cli, so `cityreport X`, `flask X` and the test runner all see them."""
    for command in COMMANDS:
        app.cli.add_command(command)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the database if missing, enable PostGIS and apply migrations."""

    created = database.ensure_database(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if created:
        click.echo(f"created database {created}")
    version = database.ensure_postgis()
    click.echo(f"PostGIS {version}")
    database.upgrade()
    click.echo("migrations applied")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no jurisdiction yet.")
@click.option("--logins", is_flag=True, help="Only print the demo staff sign-ins.")
@with_appcontext
def demo_command(if_empty: bool, logins: bool) -> None:
    """Load the demo city (idempotent: a second run changes nothing)."""


    if logins:
        click.echo("Demo staff sign-ins (/staff/login):")
        for email, _name, role, dept, password in demo_data.STAFF:
            click.echo(f"  {role:<10} {email:<38} {password}" + (f"  ({dept})" if dept else ""))
        return
    if if_empty and db.session.scalar(select(func.count()).select_from(Jurisdiction)):
        click.echo("database already has a city; demo not loaded")
        return
    with unit_of_work():
        summary = demo.load()
    click.echo(summary)


@click.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["staff", "dept_admin", "city_admin"]), default="staff", show_default=True)
@click.option("--department", "department_slug", default=None, help="Department slug (not for city_admin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_staff_command(email: str, name: str, role: str, department_slug: str | None, password_stdin: bool) -> None:
    """Create a staff account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            user = create_staff(email=email, name=name, role=role, password=password,
                                department_slug=department_slug)
    except ValidationError as exc:
        for field, problem in exc.fields.items():
            click.echo(f"error: {field}: {problem}", err=True)
        raise SystemExit(2) from None
    click.echo(f"created {user.role} {user.email} (id {user.id})")


COMMANDS = [init_command, demo_command, create_staff_command, import_areas_command, api_keys_group, opendata_group,
            indicators_group, import_reports_command, media_group,
            import_addresses_command]

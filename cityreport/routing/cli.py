"""`cityreport import-areas`: load service areas for a department from a GeoJSON file."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cityreport.core.transaction import unit_of_work
from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.routing.importer import AreaImportError, read_areas
from cityreport.routing.services import add_service_area


@click.command("import-areas")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--department", "department_slug", required=True, help="Slug of the department the areas go to.")
@click.option("--category", "category_code", default=None, help="Only this category (default: all categories).")
@click.option("--name-property", default="name", show_default=True, help="Feature property holding the area name.")
@click.option("--priority", default=0, show_default=True, type=int, help="Higher wins where areas overlap.")
@with_appcontext
def import_areas_command(path: Path, department_slug: str, category_code: str | None, name_property: str,
                         priority: int) -> None:
    """Import FILE.geojson as service areas (any declared CRS; reprojected to WGS 84; all or nothing)."""


    department = db.session.scalars(select(Department).where(Department.slug == department_slug)).first()
    if department is None:
        raise click.UsageError(f"no department with slug {department_slug!r}")
    category = None
    if category_code:
        category = db.session.scalars(select(Category).where(Category.code == category_code)).first()
        if category is None:
            raise click.UsageError(f"no category with code {category_code!r}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise AreaImportError("the file is not a GeoJSON object")
        areas = read_areas(document, name_property=name_property, default_name=path.stem)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        click.echo(f"error: {path} is not JSON: {exc}", err=True)
        raise SystemExit(2) from None
    except AreaImportError as exc:
        click.echo(f"error: {path}: {exc}; nothing imported", err=True)
        raise SystemExit(2) from None
    with unit_of_work():
        for area in areas:
            add_service_area(department_id=department.id, category_id=category.id if category else None,
                             name=area.name, geometry=area.geometry, priority=priority)
    scope = f"category {category.code}" if category else "all categories"
    click.echo(f"imported {len(areas)} area(s) for {department.slug} ({scope})")

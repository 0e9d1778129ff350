"""`cityreport import-addresses`: load the street register (streets, addresses, basemap features)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from cityreport.core.transaction import unit_of_work
from cityreport.places.importer import PropertyNames, RegisterImportError, read_register
from cityreport.places.services import replace_register

DEFAULTS = PropertyNames()


@click.command("import-addresses")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--body", default="", help="The body whose register this is (a text scope; a re-import of the "
                                         "same body replaces only its register). Default: the city's own.")
@click.option("--attribution", default=None, help="Shown on the map, e.g. \"© OpenStreetMap contributors\" "
                                                  "(ODbL requires it for OpenStreetMap data).")
@click.option("--street-property", default=DEFAULTS.street, show_default=True,
              help="Property holding a street line's name.")
@click.option("--address-street-property", default=DEFAULTS.address_street, show_default=True,
              help="Property holding an address's street.")
@click.option("--housenumber-property", default=DEFAULTS.housenumber, show_default=True)
@click.option("--postcode-property", default=DEFAULTS.postcode, show_default=True)
@click.option("--housename-property", default=DEFAULTS.housename, show_default=True,
              help="Property holding a building or block name.")
@click.option("--highway-property", default=DEFAULTS.highway, show_default=True,
              help="Property holding the road class (OpenStreetMap highway=*).")
@click.option("--kind-property", default=None,
              help="Property whose value (street, address, park, water, building, road) says what a feature is, "
                   "for files without OpenStreetMap tags.")
@click.option("--skip-unusable", is_flag=True, help="List unusable features and import the rest "
                                                    "(default: import nothing if any is unusable).")
@with_appcontext
def import_addresses_command(path: Path, body: str, attribution: str | None, street_property: str,
                             address_street_property: str, housenumber_property: str, postcode_property: str,
                             housename_property: str, highway_property: str, kind_property: str | None,
                             skip_unusable: bool) -> None:
    """Import FILE.geojson as the street register (any declared CRS; replaces the previous register)."""
    names = PropertyNames(street=street_property, address_street=address_street_property,
                          housenumber=housenumber_property, postcode=postcode_property,
                          housename=housename_property, highway=highway_property, kind=kind_property)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        register = read_register(document, names=names, skip_unusable=skip_unusable)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        click.echo(f"error: {path} is not JSON: {exc}", err=True)
        raise SystemExit(2) from None
    except RegisterImportError as exc:
        click.echo(f"error: {path}: {exc}; nothing imported", err=True)
        raise SystemExit(2) from None
    for problem in register.skipped:
        click.echo(f"skipped {problem}", err=True)
    with unit_of_work():
        summary = replace_register(register, scope=body.strip(), source=path.name, attribution=attribution)
    scope = f" for {summary.scope}" if summary.scope else ""
    click.echo(f"imported{scope}: {summary.streets} streets, {summary.addresses} addresses, "
               f"{summary.features} map features; {summary.reports} report(s) got their nearest address"
               + (f"; {summary.skipped} feature(s) skipped" if summary.skipped else ""))

"""`cityreport import-areas`: any declared CRS reprojected to WGS 84, invalid geometry named, all or nothing."""

from __future__ import annotations

import json

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping
from sqlalchemy import func, select

from cityreport.extensions import db
from cityreport.routing.models import ServiceArea, ServiceAreaPiece
from cityreport.routing.services import route

EAST = box(23.62, 46.73, 23.69, 46.81)


@pytest.fixture()
def city(make_jurisdiction, make_department, make_category):
    make_jurisdiction()
    return {"sanitation": make_department(slug="sanitation-east"),
            "dumping": make_category(code="dumping")}


def _write(tmp_path, features, crs=None):
    document = {"type": "FeatureCollection", "features": features}
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(document))
    return path


def test_stereo70_file_is_reprojected_and_routes(runner, city, tmp_path):
    to_stereo70 = Transformer.from_crs(4326, 3844, always_xy=True).transform
    feature = {"type": "Feature", "properties": {"zona": "Est"}, "geometry": mapping(shapely.transform(EAST, to_stereo70, interleaved=False))}
    path = _write(tmp_path, [feature], crs="urn:ogc:def:crs:EPSG::3844")
    result = runner.invoke(args=["import-areas", str(path), "--department", "sanitation-east", "--category",
                                 "dumping", "--name-property", "zona", "--priority", "5"])
    assert result.exit_code == 0, result.output
    assert "imported 1 area(s)" in result.output
    area = db.session.scalars(select(ServiceArea)).one()
    assert (area.name, area.priority, area.category_id) == ("Est", 5, city["dumping"].id)
    west, south, east, north = db.session.execute(select(
        func.ST_XMin(area.geom), func.ST_YMin(area.geom), func.ST_XMax(area.geom), func.ST_YMax(area.geom))).one()
    assert (west, south, east, north) == pytest.approx((23.62, 46.73, 23.69, 46.81), abs=1e-5)
    assert db.session.scalar(select(func.count()).select_from(ServiceAreaPiece)) >= 1
    assert route(46.77, 23.65, city["dumping"]).department_id == city["sanitation"].id


def test_invalid_geometry_is_rejected_naming_the_feature_and_nothing_is_stored(runner, city, tmp_path):
    good = {"type": "Feature", "properties": {"name": "Fine"}, "geometry": mapping(EAST)}
    bowtie = {"type": "Feature", "properties": {"name": "Bowtie"}, "geometry": {
        "type": "Polygon", "coordinates": [[[23.6, 46.7], [23.7, 46.8], [23.7, 46.7], [23.6, 46.8], [23.6, 46.7]]]}}
    path = _write(tmp_path, [good, bowtie])
    result = runner.invoke(args=["import-areas", str(path), "--department", "sanitation-east"])
    assert result.exit_code == 2
    assert "feature 2 (Bowtie)" in result.output and "Self-intersection" in result.output
    assert db.session.scalar(select(func.count()).select_from(ServiceArea)) == 0


@pytest.mark.parametrize(("features", "crs", "message"), [
    ([{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [23.6, 46.7]}}], None,
     "expected a Polygon"),
    ([{"type": "Feature", "properties": {}, "geometry": mapping(box(400000, 580000, 410000, 590000))}], None,
     "does the file declare its CRS"),
    ([{"type": "Feature", "properties": {}, "geometry": mapping(EAST)}], "EPSG:999999", "unknown coordinate"),
    ([], None, "no features"),
])
def test_other_unusable_files(runner, city, tmp_path, features, crs, message):
    result = runner.invoke(args=["import-areas", str(_write(tmp_path, features, crs)), "--department",
                                 "sanitation-east"])
    assert result.exit_code == 2 and message in result.output


def test_unknown_department_or_category(runner, city, tmp_path):
    path = _write(tmp_path, [{"type": "Feature", "properties": {}, "geometry": mapping(EAST)}])
    assert "no department" in runner.invoke(args=["import-areas", str(path), "--department", "x"]).output
    assert "no category" in runner.invoke(args=["import-areas", str(path), "--department", "sanitation-east",
                                                "--category", "x"]).output

"""Routing against real PostGIS: ST_Covers on subdivided areas, preference order and fallbacks."""

import pytest
from shapely.geometry import box

from cityreport.errors import ValidationError
from cityreport.routing.services import add_service_area, jurisdiction_at, route

WEST = box(23.55, 46.73, 23.62, 46.81)
EAST = box(23.62, 46.73, 23.69, 46.81)


@pytest.fixture()
def city(make_jurisdiction, make_department, make_category):
    make_jurisdiction()
    fallback = make_department(slug="dispatch", is_fallback=True)
    default = make_department(slug="sanitation")
    west, east = make_department(slug="west"), make_department(slug="east")
    category = make_category(code="dumping", default_department=default)
    add_service_area(department_id=west.id, category_id=category.id, name="West", geometry=WEST)
    add_service_area(department_id=east.id, category_id=category.id, name="East", geometry=EAST)
    return {"fallback": fallback, "default": default, "west": west, "east": east, "category": category}


def test_point_in_a_zone_goes_to_that_zone(city):
    assert route(46.77, 23.58, city["category"]).department_id == city["west"].id
    assert route(46.77, 23.66, city["category"]).department_id == city["east"].id


def test_point_exactly_on_the_shared_boundary_is_routed_deterministically(city):
    first = route(46.77, 23.62, city["category"])
    assert first.reason == "area"
    assert first.department_id in (city["west"].id, city["east"].id)
    assert route(46.77, 23.62, city["category"]) == first


def test_other_categories_ignore_category_specific_areas(city, make_category):
    other = make_category(code="pothole")
    assert route(46.77, 23.58, other).department_id == other.default_department_id


def test_all_categories_area_applies_but_loses_to_category_specific(city, make_department, make_category):
    parks = make_department(slug="parks")
    add_service_area(department_id=parks.id, category_id=None, name="Park", geometry=box(23.57, 46.76, 23.59, 46.78),
                     priority=50)
    assert route(46.77, 23.58, city["category"]).department_id == city["west"].id
    other = make_category(code="bench")
    assert route(46.77, 23.58, other).department_id == parks.id


def test_no_default_department_falls_back_to_dispatcher(city, make_category):
    orphan = make_category(code="other", default_department_id=None, default_department=None)
    decision = route(46.77, 23.66, orphan)
    assert decision.department_id == city["fallback"].id and decision.reason == "fallback"


def test_large_area_is_subdivided_into_small_pieces(city, make_department, db_session):
    from sqlalchemy import text

    from cityreport.extensions import db

    ring = box(23.55, 46.73, 23.69, 46.81).buffer(0.001, quad_segs=400)  # ~1,600 vertices
    area = add_service_area(department_id=make_department().id, name="Big", geometry=ring)
    pieces, max_points = db.session.execute(text(
        "SELECT count(*), max(ST_NPoints(geom)) FROM service_area_pieces WHERE service_area_id = :id"),
        {"id": area.id}).one()
    assert pieces > 1 and max_points <= 64
    assert area.area_m2 > 50_000_000  # about 10 km x 9 km


def test_outside_every_jurisdiction_is_rejected(city, create_report):
    assert jurisdiction_at(45.0, 25.0) is None
    with pytest.raises(ValidationError) as error:
        create_report(category=city["category"], lat=45.0, lon=25.0)
    assert "location" in error.value.fields


def test_higher_priority_then_smaller_area_wins_among_overlapping_areas(city, make_department):
    big, small, urgent = make_department(slug="big"), make_department(slug="small"), make_department(slug="urgent")
    category = city["category"]
    add_service_area(department_id=big.id, category_id=category.id, name="Big", geometry=box(23.57, 46.75, 23.61, 46.79))
    add_service_area(department_id=small.id, category_id=category.id, name="Small",
                     geometry=box(23.575, 46.765, 23.585, 46.775))
    assert route(46.77, 23.58, category).department_id == small.id  # smaller of equal priority
    add_service_area(department_id=urgent.id, category_id=category.id, name="Urgent", priority=10,
                     geometry=box(23.56, 46.74, 23.615, 46.80))
    assert route(46.77, 23.58, category).department_id == urgent.id  # priority beats size


def test_point_on_the_city_boundary_is_inside(city, create_report):
    assert jurisdiction_at(46.73, 23.60) is not None  # exactly on the southern edge: ST_Covers, not ST_Contains
    report = create_report(category=city["category"], lat=46.73, lon=23.62)  # on the edge and the zone border
    assert report.department_id in (city["west"].id, city["east"].id)

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from cityreport.config import licence
from cityreport.open311.rules import (
    AttributeSpec,
    BadParameter,
    format_datetime,
    normalise_locale,
    parse_bbox,
    parse_datetime,
    parse_id_list,
    public_answers,
    requested_window,
    to_xml,
    validate_answers,
)
from cityreport.opendata.rules import PeriodError, etag, month_period, parse_period

ZONE = ZoneInfo("Europe/Bucharest")


def test_datetimes_carry_the_city_offset_and_zone_less_input_is_city_time():
    moment = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert format_datetime(moment, ZONE) == "2026-07-01T12:00:00+03:00"
    assert parse_datetime("2026-01-10T08:00:00", ZONE, name="start_date") == datetime(2026, 1, 10, 6, 0, tzinfo=UTC)
    assert parse_datetime("2026-01-10T08:00:00Z", ZONE, name="start_date").utcoffset() == timedelta(0)
    with pytest.raises(BadParameter) as error:
        parse_datetime("10/01/2026", ZONE, name="end_date")
    assert error.value.name == "end_date"


def test_requested_window():
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert requested_window(None, None, now, default_applies=True).start == now - timedelta(days=90)
    assert requested_window(None, None, now, default_applies=False).start is None
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert requested_window(start, None, now, default_applies=True).end == start + timedelta(days=90)
    with pytest.raises(BadParameter):
        requested_window(start, start + timedelta(days=91), now, default_applies=True)
    with pytest.raises(BadParameter):
        requested_window(start, start - timedelta(days=1), now, default_applies=True)


def test_small_parameters():
    assert parse_id_list("3, 5,,8") == [3, 5, 8]
    with pytest.raises(BadParameter):
        parse_id_list("3,x")
    assert parse_bbox({}) is None
    assert parse_bbox({"lat_ne": "46.8", "long_ne": "23.7", "lat_sw": "46.7", "long_sw": "23.5"}) == \
        (23.5, 46.7, 23.7, 46.8)
    with pytest.raises(BadParameter):
        parse_bbox({"lat_ne": "46.8"})
    with pytest.raises(BadParameter):
        parse_bbox({"lat_ne": "46.6", "long_ne": "23.7", "lat_sw": "46.7", "long_sw": "23.5"})
    assert normalise_locale("en-US", ("ro", "en")) == "en"
    assert normalise_locale("fr", ("ro", "en")) is None


SPECS = [AttributeSpec("size", "singlevaluelist", True, ("s", "l")),
         AttributeSpec("lanes", "multivaluelist", False, ("a", "b")),
         AttributeSpec("depth", "number", False), AttributeSpec("note", "string", False),
         AttributeSpec("seen", "datetime", False)]


def test_answers_are_checked_and_typed():
    answers, problems = validate_answers(SPECS, {"size": ["l"], "lanes": ["a", "b", "a"], "depth": ["2,5"],
                                                 "note": ["x"], "seen": ["2026-01-01T10:00"]}, ZONE)
    assert problems == {}
    assert answers == {"size": "l", "lanes": ["a", "b"], "depth": 2.5, "note": "x",
                       "seen": "2026-01-01T10:00:00+02:00"}
    _answers, problems = validate_answers(SPECS, {"lanes": ["c"], "depth": ["nan"], "other": ["1"]}, ZONE)
    assert set(problems) == {"attribute[size]", "attribute[lanes]", "attribute[depth]", "attribute[other]"}
    assert public_answers(SPECS, {"size": "l", "note": "Ion's car", "depth": 3}) == {"size": "l", "depth": 3}


def test_xml_lists_name_their_items_empty_fields_are_left_out_and_bytes_are_ascii():
    body = to_xml("services", [{"service_code": "a", "metadata": False, "keywords": "", "group": None,
                                "service_name": "Groapă"}])
    body.decode("ascii")
    root = ET.fromstring(body)
    assert [c.tag for c in root.find("service")] == ["service_code", "metadata", "service_name"]
    assert root.find("service/metadata").text == "false"
    assert root.find("service/service_name").text == "Groapă"


def test_periods_in_city_time():
    october = month_period("2026-10", ZONE)
    assert october.start == datetime(2026, 9, 30, 21, 0, tzinfo=UTC)
    assert october.end == datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # DST ends on 25 October
    assert month_period("2026-12", ZONE).end == datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    both = parse_period(None, "2026-10-01", "2026-10-01", ZONE)
    assert both.end - both.start == timedelta(days=1) and both.label == "2026-10-01_2026-10-01"
    assert parse_period(None, None, None, ZONE).start is None
    for args in (("2026-1", None, None), (None, "2026-02-30", None), ("2026-01", "2026-01-01", None)):
        with pytest.raises(PeriodError):
            parse_period(*args, ZONE)


def test_licences_and_etags():
    assert licence("OGL-ROU-1.0")[1].endswith("OGL-ROU-1.0.pdf")
    assert licence("https://example.org/l") == ("https://example.org/l", "https://example.org/l")
    with pytest.raises(ValueError):
        licence("mine")
    assert etag([1, "a"]) == etag([1, "a"]) != etag([1, "b"])

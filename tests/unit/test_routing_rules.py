import pytest

from cityreport.routing.rules import AreaCandidate, choose_area, decide


def area(i, dept, specific=False, priority=0, size=1000.0):
    return AreaCandidate(area_id=i, department_id=dept, category_specific=specific, priority=priority, area_m2=size)


def test_category_specific_area_beats_higher_priority_general_area():
    best = choose_area([area(1, 10, specific=False, priority=99), area(2, 20, specific=True, priority=0)])
    assert best.department_id == 20


def test_higher_priority_wins_among_equals():
    assert choose_area([area(1, 10, priority=1), area(2, 20, priority=5)]).department_id == 20


def test_smaller_area_breaks_priority_ties():
    assert choose_area([area(1, 10, size=5000), area(2, 20, size=100)]).department_id == 20


def test_identical_candidates_resolve_deterministically_by_id():
    assert choose_area([area(7, 70), area(3, 30)]).area_id == 3


def test_no_area_uses_category_default_then_fallback():
    assert decide([], 5, 9).department_id == 5
    assert decide([], 5, 9).reason == "category_default"
    assert decide([], None, 9).department_id == 9
    assert decide([], None, 9).reason == "fallback"


def test_nothing_to_route_to_is_an_error():
    with pytest.raises(LookupError):
        decide([], None, None)

"""The street register's pure rules: names, numbers, reading typed addresses, ranking, nearest place."""

from __future__ import annotations

import pytest

from cityreport.places import rules
from cityreport.places.rules import AddressRow, Interpretation, StreetMatch


def test_fold_removes_romanian_diacritics_in_both_spellings_and_case():
    # comma-below (ș ț) and the legacy cedilla letters, written as escapes
    assert rules.fold("Piața  Ștefan cel Mare") == "piata stefan cel mare"
    assert rules.fold("Pia\u0163a \u015etefan") == "piata stefan"
    assert rules.fold("Bălcescu Îndrăzneț Râu") == "balcescu indraznet rau"


@pytest.mark.parametrize(("name", "expected"), [
    ("Strada Memorandumului", ("strada", "Memorandumului")),
    ("Bulevardul 21 Decembrie 1989", ("bulevardul", "21 Decembrie 1989")),
    ("Piața Unirii", ("piata", "Unirii")),
    ("Șoseaua Olteniței", ("soseaua", "Olteniței")),
    ("Str. Horea", ("strada", "Horea")),
    ("B-dul Eroilor", ("bulevardul", "Eroilor")),
    ("Memorandumului", (None, "Memorandumului")),
    ("Strada", (None, "Strada")),
])
def test_split_street_name_separates_the_type_word(name, expected):
    assert rules.split_street_name(name) == expected


def test_road_class_prefers_the_osm_tag_and_falls_back_on_the_type():
    assert rules.road_class("strada", "primary") == "major"
    assert rules.road_class("bulevardul", "residential") == "minor"
    assert rules.road_class("calea") == "major"
    assert rules.road_class("aleea", "footway") == "path"
    assert rules.road_class(None) == "minor"


@pytest.mark.parametrize(("raw", "key", "integer"), [
    ("12", "12", 12), ("12 A", "12a", 12), ("7 Bis", "7bis", 7), ("3-5", "3-5", 3), ("Nr. 9", "9", 9),
    ("FN", "fn", None),
])
def test_house_numbers_compare_by_key_and_leading_integer(raw, key, integer):
    assert rules.number_key(raw) == key
    assert rules.number_int(raw) == integer


def _readings(text):
    return [(r.core, r.number, r.street_type) for r in rules.parse_query(text).interpretations]


def test_number_after_the_name_and_before_it_are_both_read():
    assert _readings("memorandumului 12")[0] == ("memorandumului", "12", None)
    assert ("memorandumului", "12", None) in _readings("12 memorandumului")
    # one house-number-like number: no reading of the whole text as a name (each reading costs a search)
    assert ("12 memorandumului", None, None) not in _readings("12 memorandumului")
    # names that hold numbers keep the whole-text reading
    assert ("1 decembrie 1918", None, None) in _readings("1 decembrie 1918")
    assert ("1 decembrie 1918", "3", None) in _readings("1 decembrie 1918 3")


@pytest.mark.parametrize("text", ["str. Memorandumului nr. 12", "Strada Memorandumului, nr.12", "str.memorandumului 12",
                                  "STRADA MEMORANDUMULUI 12", "st memorandumului 12"])
def test_abbreviations_and_the_nr_marker(text):
    assert _readings(text)[0] == ("memorandumului", "12", "strada")


@pytest.mark.parametrize(("text", "kind"), [("bd. Eroilor 5", "bulevardul"), ("b-dul Eroilor 5", "bulevardul"),
                                            ("bdul eroilor 5", "bulevardul"), ("cal. Turzii 5", "calea"),
                                            ("al. Detunata 5", "aleea"), ("p-ța Unirii 5", "piata"),
                                            ("șos. Olteniței 5", "soseaua")])
def test_romanian_type_abbreviations(text, kind):
    core, number, street_type = _readings(text)[0]
    assert (number, street_type) == ("5", kind)


def test_a_name_with_numbers_keeps_them_unless_nr_says_otherwise():
    readings = _readings("bd 21 decembrie 1989 5")
    assert readings[0] == ("21 decembrie 1989", "5", "bulevardul")
    assert _readings("21 decembrie 1989")[-1] == ("21 decembrie 1989", None, None)
    assert _readings("21 decembrie 1989 nr 7")[0] == ("21 decembrie 1989", "7", None)


def test_flat_details_are_dropped_and_a_block_is_kept():
    parsed = rules.parse_query("str. Horea nr. 3, bl. M4, sc. 2, ap. 15")
    assert [(r.core, r.number, r.block) for r in parsed.interpretations] == [("horea", "3", "m4")]


def test_nothing_to_look_for_gives_no_reading():
    # a lone type word is a word to look for: no name follows it
    assert [r.street_type for r in rules.parse_query("strada").interpretations] == [None]
    assert rules.parse_query("12").interpretations == ()
    assert rules.parse_query("nr 12").interpretations == ()


def _match(reading, street_id, name, similarity, street_type="strada", prefix=False):
    return StreetMatch(reading, street_id, name, street_type, similarity, prefix, 46.7, 23.6)


def _address(street_id, number):
    return AddressRow(street_id, number, rules.number_key(number), rules.number_int(number), None, None, 46.7, 23.6)


def test_an_address_with_the_typed_number_outranks_its_street_which_follows():
    query = rules.ParsedQuery("memorandumului 12", (Interpretation("memorandumului", "12"),))
    ranked = rules.rank(query, [_match(0, 1, "Strada Memorandumului", 1.0)], [_address(1, "12")])
    assert [(c.kind, c.housenumber) for c in ranked] == [("address", "12"), ("street", None)]


def test_a_number_typed_without_letter_offers_the_lettered_ones_below_an_exact_match():
    query = rules.ParsedQuery("horea 12", (Interpretation("horea", "12"),))
    ranked = rules.rank(query, [_match(0, 1, "Strada Horea", 1.0)], [_address(1, "12B"), _address(1, "12")])
    assert [c.housenumber for c in ranked if c.kind == "address"] == ["12", "12B"]


def test_the_typed_street_type_breaks_a_tie_between_two_streets_of_one_name():
    query = rules.ParsedQuery("piata mihai viteazu", (Interpretation("mihai viteazu", None, "piata"),))
    matches = [_match(0, 1, "Strada Mihai Viteazu", 1.0, "strada"), _match(0, 2, "Piața Mihai Viteazu", 1.0, "piata")]
    assert rules.rank(query, matches, [])[0].street == "Piața Mihai Viteazu"


def test_a_closer_name_wins_and_a_missing_number_costs_a_little():
    query = rules.ParsedQuery("horea 99", (Interpretation("horea", "99"),))
    ranked = rules.rank(query, [_match(0, 1, "Strada Horea", 1.0), _match(0, 2, "Strada Hore", 0.5)], [])
    assert [c.street for c in ranked] == ["Strada Horea", "Strada Hore"]
    assert ranked[0].score == pytest.approx(1.0 - rules.MISSING_NUMBER_PENALTY)


def test_ranking_keeps_the_best_reading_of_each_candidate_and_the_limit():
    query = rules.ParsedQuery("x", (Interpretation("a", "1"), Interpretation("a 1", None, prior=0.03)))
    matches = [_match(0, 1, "Strada A", 0.9), _match(1, 1, "Strada A", 0.8)]
    matches += [_match(0, i, f"Strada A{i}", 0.3) for i in range(2, 30)]
    ranked = rules.rank(query, matches, [_address(1, "1")], limit=5)
    assert len(ranked) == 5
    assert len({(c.street_id, c.housenumber) for c in ranked}) == 5
    assert ranked[0].score == pytest.approx(0.9 + rules.EXACT_NUMBER_BONUS)


def test_nearest_place_prefers_an_address_within_its_radius_then_a_street():
    assert rules.choose_place(("Strada Horea", "3", 20.0), ("Strada Horea", 5.0)) == \
        rules.Place("address", "Strada Horea", "3", 20.0)
    far = rules.ADDRESS_RADIUS_M + 1
    assert rules.choose_place(("Strada Horea", "3", far), ("Strada Moților", 40.0)).kind == "street"
    assert rules.choose_place(None, ("Strada Moților", rules.STREET_RADIUS_M + 1)) is None
    assert rules.choose_place(None, None) is None


@pytest.mark.parametrize(("tags", "kind"), [
    ({"leisure": "park"}, "park"), ({"landuse": "forest"}, "park"), ({"natural": "water"}, "water"),
    ({"waterway": "riverbank"}, "water"), ({"building": "yes"}, "building"), ({"building": "no"}, None),
    ({"amenity": "school"}, None),
])
def test_feature_kind_from_osm_tags(tags, kind):
    assert rules.feature_kind(tags) == kind


def test_tiles_carry_names_from_street_zoom_and_house_numbers_last():
    assert "street_names" not in rules.tile_layers(12)
    assert {"major", "street_names"} <= rules.tile_layers(14) and "building" not in rules.tile_layers(14)
    assert "building" in rules.tile_layers(15)
    assert "housenumbers" in rules.tile_layers(rules.MAX_DATA_ZOOM)
    assert rules.tile_layers(5) == {"boundary"}
    assert rules.valid_tile(2, 3, 3) and not rules.valid_tile(2, 4, 0) and not rules.valid_tile(25, 0, 0)

"""The street register's pure rules: Romanian street names, house numbers, reading a typed address,
ranking search candidates, and choosing a report's nearest place. See docs/places.md."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

ROAD_CLASSES = ("major", "minor", "path")
FEATURE_KINDS = ("park", "water", "building", "road")

# Street types: the canonical (folded) key, the name as written in a street's name, and what people type.
STREET_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "strada": ("Strada", ("strada", "str", "st")),
    "bulevardul": ("Bulevardul", ("bulevardul", "bulevard", "bd", "bdul", "b-dul", "bld", "blvd", "bv")),
    "calea": ("Calea", ("calea", "cal", "cale")),
    "aleea": ("Aleea", ("aleea", "alee", "al", "ale")),
    "piata": ("Piața", ("piata", "pta", "p-ta", "pt", "pta")),
    "piateta": ("Piațeta", ("piateta",)),
    "soseaua": ("Șoseaua", ("soseaua", "sosea", "sos", "sos")),
    "splaiul": ("Splaiul", ("splaiul", "splai", "spl")),
    "intrarea": ("Intrarea", ("intrarea", "intrare", "intr")),
    "drumul": ("Drumul", ("drumul",)),
    "pasajul": ("Pasajul", ("pasajul", "pasaj")),
    "fundatura": ("Fundătura", ("fundatura", "fundac", "fundacul")),
    "ulita": ("Ulița", ("ulita",)),
}
_TYPE_BY_WORD = {word: key for key, (_display, words) in STREET_TYPES.items() for word in words}
# Only full words start a street's own name: "Str. Horea" in a file is read as the street "Horea".
_TYPE_BY_NAME_WORD = {**{key: key for key in STREET_TYPES}, "str": "strada", "bd": "bulevardul",
                      "b-dul": "bulevardul", "bdul": "bulevardul", "sos": "soseaua", "al": "aleea"}
MAJOR_TYPES = {"bulevardul", "calea", "soseaua", "splaiul"}
MAJOR_HIGHWAYS = {"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link", "primary_link",
                  "secondary_link"}
PATH_HIGHWAYS = {"footway", "path", "pedestrian", "cycleway", "steps", "track", "bridleway"}

NUMBER_MARKERS = {"nr", "numar", "numarul", "no", "n"}
# Parts of a flat's address that say nothing about where the building is: dropped with their value.
FLAT_MARKERS = {"sc", "scara", "et", "etaj", "ap", "apartament", "apt"}
BLOCK_MARKERS = {"bl", "bloc", "blocul"}
_NUMBER_RE = re.compile(r"^\d{1,5}[a-z]?(?:bis)?(?:[-/]\d{1,5}[a-z]?)?$")
_LEADING_INT = re.compile(r"^(\d{1,6})")

# Reverse geocoding: a report is "near" an address this close, else near a street this close.
ADDRESS_RADIUS_M = 60.0
STREET_RADIUS_M = 200.0

QUERY_MAX_LENGTH = 200
QUERY_MIN_LENGTH = 2
LIMIT_DEFAULT = 8
LIMIT_MAX = 20


@lru_cache(maxsize=65536)  # an import folds each street name once per address
def fold(text: str) -> str:
    """Lower case, no diacritics (ș ț ă â î, and the legacy cedilla letters), single spaces.

    The database folds the stored names with `unaccent` (places_fold); this is only for recognising
    keywords such as "str." or "nr." in what a person typed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def clean_name(name: str) -> str:
    return " ".join(str(name).split())


def split_street_name(name: str) -> tuple[str | None, str]:
    """("strada", "Memorandumului") for "Strada Memorandumului"; (None, name) when it starts with no type."""
    name = clean_name(name)
    first, _, rest = name.partition(" ")
    key = _TYPE_BY_NAME_WORD.get(fold(first).rstrip("."))
    if key is None or not rest.strip():
        return None, name
    return key, rest.strip()


def road_class(street_type: str | None, highway: str | None = None) -> str:
    """Major roads are drawn from the city's zoom; minor ones at neighbourhood zoom; paths last."""
    if highway in MAJOR_HIGHWAYS:
        return "major"
    if highway in PATH_HIGHWAYS:
        return "path"
    if highway is None and street_type in MAJOR_TYPES:
        return "major"
    return "minor"


def number_key(housenumber: str) -> str:
    """The comparable form of a house number: "12 A" -> "12a", "7 Bis" -> "7bis", "3-5" -> "3-5"."""
    return re.sub(r"\s+", "", fold(str(housenumber))).replace("nr.", "").replace("nr", "")


def number_int(housenumber: str) -> int | None:
    match = _LEADING_INT.match(number_key(housenumber))
    return int(match.group(1)) if match else None


def is_house_number(token: str) -> bool:
    return bool(_NUMBER_RE.match(token))


@dataclass(frozen=True)
class Interpretation:
    """One reading of a typed address: the words naming the street, the house number if any."""

    core: str
    number: str | None = None
    street_type: str | None = None
    block: str | None = None
    prior: float = 0.0  # how much less likely this reading is than the most likely one


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    interpretations: tuple[Interpretation, ...] = field(default_factory=tuple)

    @property
    def cores(self) -> list[str]:
        seen: list[str] = []
        for reading in self.interpretations:
            if reading.core not in seen:
                seen.append(reading.core)
        return seen


def _tokens(text: str) -> list[str]:
    spaced = re.sub(r"[.,;:()\"'„”]+", " ", fold(text).replace(".", ". "))
    return [t for t in spaced.split() if t not in {"-", "/"}]


def parse_query(text: str) -> ParsedQuery:
    """Read "str. Memorandumului nr. 12", "12 memorandumului", "b-dul 21 Decembrie 1989 5" and the like.

    Returns every plausible reading; the search tries them all and the ranking keeps the best. A number
    after "nr." is the house number; otherwise a number at the end, or at the start, may be one, and the
    whole text is also read as a name when its numbers could belong to it ("21 Decembrie 1989")."""
    tokens = _tokens(text)
    street_type = None
    explicit: str | None = None
    block: str | None = None
    words: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in NUMBER_MARKERS and nxt is not None and is_house_number(nxt):
            explicit = explicit or nxt
            i += 2
            continue
        if token in FLAT_MARKERS and nxt is not None:
            i += 2
            continue
        if token in BLOCK_MARKERS and nxt is not None:
            block = block or nxt
            i += 2
            continue
        # A type word is only a type at the start (after a leading number) and when a name follows.
        if street_type is None and token in _TYPE_BY_WORD and len(words) <= 1 and \
                all(is_house_number(w) for w in words) and i + 1 < len(tokens):
            street_type = _TYPE_BY_WORD[token]
            i += 1
            continue
        words.append(token)
        i += 1
    readings: list[Interpretation] = []

    def add(core_words: list[str], number: str | None, prior: float) -> None:
        # A reading needs a word to look for: "12" alone, or "strada", names no street.
        if any(len(w) >= 2 and not w.isdigit() for w in core_words):
            readings.append(Interpretation(core=" ".join(core_words), number=number_key(number) if number else None,
                                           street_type=street_type, block=block, prior=prior))

    if explicit is not None:
        add(words, explicit, 0.0)
    else:
        if len(words) >= 2 and is_house_number(words[-1]):
            add(words[:-1], words[-1], 0.0)
        if len(words) >= 2 and is_house_number(words[0]):
            add(words[1:], words[0], 0.01)
        numbers = [w for w in words if is_house_number(w)]
        # The whole text as a name only when it may be one: no number, or numbers that do not look like a
        # single house number ("21 Decembrie 1989"). Each reading costs a search.
        if not numbers or len(numbers) >= 2 or any(len(n) >= 4 for n in numbers) or not readings:
            add(words, None, 0.03 if numbers else 0.0)
    return ParsedQuery(text=text, interpretations=tuple(readings))


@dataclass(frozen=True)
class StreetMatch:
    """A street that the database found for one reading's core, with its trigram score (0..1)."""

    reading: int  # index into ParsedQuery.interpretations
    street_id: int
    name: str
    street_type: str | None
    similarity: float
    prefix: bool  # the street's name starts with the typed words
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class AddressRow:
    street_id: int
    housenumber: str
    number_key: str
    number_int: int | None
    postcode: str | None
    housename: str | None
    lat: float
    lon: float


@dataclass(frozen=True)
class Candidate:
    kind: str  # "address" or "street"
    street_id: int
    street: str
    housenumber: str | None
    postcode: str | None
    housename: str | None
    lat: float
    lon: float
    score: float


EXACT_NUMBER_BONUS = 0.10
SAME_NUMBER_BONUS = 0.05  # "12" typed, "12A" found
MISSING_NUMBER_PENALTY = 0.05  # a number was typed that the street does not have
TYPE_BONUS = 0.04
PREFIX_BONUS = 0.03
BLOCK_BONUS = 0.03


def rank(query: ParsedQuery, matches: list[StreetMatch], addresses: list[AddressRow], *,
         limit: int = LIMIT_DEFAULT) -> list[Candidate]:
    """Candidates best first: name similarity, adjusted for the reading, the street type and the number.

    An address with the typed number outranks its street; the street stays in the list after it."""
    by_street: dict[int, list[AddressRow]] = {}
    for row in addresses:
        by_street.setdefault(row.street_id, []).append(row)
    best: dict[tuple[int, str | None], Candidate] = {}

    def offer(candidate: Candidate) -> None:
        key = (candidate.street_id, candidate.housenumber and number_key(candidate.housenumber))
        if key not in best or candidate.score > best[key].score:
            best[key] = candidate

    for match in matches:
        reading = query.interpretations[match.reading]
        base = match.similarity - reading.prior
        if reading.street_type and reading.street_type == match.street_type:
            base += TYPE_BONUS
        if match.prefix:
            base += PREFIX_BONUS
        found = False
        if reading.number is not None:
            wanted_int = number_int(reading.number)
            for row in by_street.get(match.street_id, []):
                if row.number_key == reading.number:
                    bonus = EXACT_NUMBER_BONUS
                elif wanted_int is not None and row.number_int == wanted_int and not reading.number[-1:].isalpha():
                    bonus = SAME_NUMBER_BONUS
                else:
                    continue
                if reading.block and row.housename and fold(reading.block) in fold(row.housename):
                    bonus += BLOCK_BONUS
                found = True
                offer(Candidate("address", match.street_id, match.name, row.housenumber, row.postcode,
                                row.housename, row.lat, row.lon, round(base + bonus, 4)))
        if match.lat is None or match.lon is None:
            continue
        penalty = MISSING_NUMBER_PENALTY if reading.number is not None and not found else 0.0
        offer(Candidate("street", match.street_id, match.name, None, None, None, match.lat, match.lon,
                        round(base - penalty - (0.01 if found else 0.0), 4)))
    ordered = sorted(best.values(), key=lambda c: (-c.score, c.kind != "address", c.street,
                                                   number_int(c.housenumber or "") or 0, c.housenumber or ""))
    return ordered[:limit]


@dataclass(frozen=True)
class Place:
    """Where a point is, in words: the nearest address, or else the nearest street."""

    kind: str  # "address" or "street"
    street: str
    housenumber: str | None
    distance_m: float


def choose_place(address: tuple[str, str, float] | None, street: tuple[str, float] | None) -> Place | None:
    """The nearest address (street, number, metres) if it is within ADDRESS_RADIUS_M, else the nearest
    street (name, metres) within STREET_RADIUS_M, else nothing: a point in a field is near nothing."""
    if address is not None and address[2] <= ADDRESS_RADIUS_M:
        return Place("address", address[0], address[1], round(address[2], 1))
    if street is not None and street[1] <= STREET_RADIUS_M:
        return Place("street", street[0], None, round(street[1], 1))
    return None


def feature_kind(properties: dict) -> str | None:
    """The basemap layer of a polygon from its OpenStreetMap tags, or None if it belongs to none."""
    def tag(key: str) -> str:
        return str(properties.get(key) or "").strip().lower()

    if tag("natural") in {"water", "wetland"} or tag("waterway") in {"riverbank", "dock", "canal", "river"} \
            or tag("landuse") in {"reservoir", "basin"} or tag("water"):
        return "water"
    if tag("leisure") in {"park", "garden", "playground", "pitch", "nature_reserve", "common"} \
            or tag("landuse") in {"grass", "forest", "recreation_ground", "meadow", "village_green", "cemetery",
                                  "allotments", "orchard"} \
            or tag("natural") in {"wood", "scrub", "grassland", "heath"}:
        return "park"
    if tag("building") and tag("building") != "no":
        return "building"
    return None


# The zoom levels at which the tiles carry each layer; docs/places.md explains the choice.
MIN_ZOOM = {"boundary": 0, "water": 8, "park": 10, "major": 10, "minor": 11, "path": 15, "road": 14,
            "building": 15, "street_names": 14, "housenumbers": 17}
MAX_DATA_ZOOM = 17


def tile_layers(z: int) -> set[str]:
    return {layer for layer, minimum in MIN_ZOOM.items() if z >= minimum}


def tile_tolerance(z: int) -> float:
    """Simplification in Web Mercator metres before a tile is cut: one unit of its 4096 grid (four below
    the city's zoom, where nobody sees the detail and the lines are many)."""
    return 40075016.686 / (2 ** z) / 4096 * (4 if z < 13 else 1)


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_DATA_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z

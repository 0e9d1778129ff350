"""A plausible street register for the demo city, made from its boundary and loaded through the same
path as `cityreport import-addresses` (an OpenStreetMap-style GeoJSON document, read and replaced).

The city: a centre square, eight radial roads ("Calea …", "Bulevardul …") and a ring boulevard; each
sector between two radials has its own grid of streets, denser inside the ring; a river crosses it, a
few parks sit in it, and every street has house numbers (odd on the left, even on the right, counted
from the end nearest the centre) with a building behind each. Deterministic: the same boundary always
gives the same register, so loading it again changes nothing.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import select

from cityreport.extensions import db
from cityreport.places.importer import read_register
from cityreport.places.models import StreetRegister
from cityreport.places.services import replace_register

SEED = 1907
SOURCE = "demo-register"
ATTRIBUTION = "Registrul stradal demo"

RADIALS = ["Calea Dorobanților", "Bulevardul 21 Decembrie 1989", "Calea Turzii", "Calea Florești",
           "Calea Mănăștur", "Bulevardul Muncii", "Calea Baciului", "Calea Someșeni"]
RING = ("Bulevardul Independenței", "Bulevardul Eroilor")
# Given first, to the streets nearest the centre: the demo's reports and the guide's examples use them.
FIRST = ["Strada Memorandumului", "Strada Observatorului", "Strada Horea", "Strada Moților", "Strada Avram Iancu",
         "Strada Fabricii", "Strada Primăverii", "Aleea Detunata", "Strada Traian Vuia", "Strada Nicolae Titulescu",
         "Strada Mihai Viteazu", "Strada Teodor Mihali"]
STEMS = [
    "Emil Isac", "Iuliu Maniu", "Napoca", "Universității", "Regele Ferdinand", "Libertății",
    "Mihai Eminescu", "Ion Creangă", "George Coșbuc", "Lucian Blaga", "Liviu Rebreanu", "Octavian Goga",
    "Constantin Brâncuși", "Nicolae Bălcescu", "Vasile Alecsandri", "Alexandru Vlahuță", "Tudor Vladimirescu",
    "Emil Racoviță", "Ion Rațiu", "Andrei Mureșanu", "Gheorghe Doja", "Decebal", "Traian", "Dacia", "Unirii",
    "Republicii", "Păcii", "Victoriei", "Morii", "Teilor", "Plopilor", "Salcâmilor", "Castanilor",
    "Stejarului", "Brazilor", "Frasinului", "Cireșilor", "Merilor", "Nucilor", "Zorilor", "Florilor",
    "Trandafirilor", "Lalelelor", "Crizantemelor", "Garoafelor", "Macului", "Viilor", "Câmpului", "Dealului",
    "Izvorului", "Pârâului", "Gării", "Școlii", "Bisericii", "Fântânii", "Cloșca", "Crișan", "Avram Iancu",
    "Ștefan cel Mare", "Mihai Kogălniceanu", "Samuil Micu", "Gheorghe Șincai", "Petru Maior", "Timotei Cipariu",
    "Simion Bărnuțiu", "Alexandru Papiu Ilarian", "George Barițiu", "Aurel Vlaicu", "Henri Coandă",
    "Iuliu Hațieganu", "Victor Babeș", "Louis Pasteur", "Clinicilor", "Spitalului", "Pietroasa", "Argeș",
    "Mureș", "Olt", "Siret", "Prut", "Bistriței", "Sucevei", "Brașovului", "Sibiului", "Turzii", "Dejului",
    "Zalăului", "Oradiei", "Aradului", "Timișului", "Clujului", "Bucegi", "Retezat", "Parângului", "Ceahlăului",
    "Făgăraș", "Rarău", "Vlădeasa", "Apusenilor", "Meseșului", "Carpaților", "Dunării", "Someșului",
    "Arieșului", "Crișului", "Tisei", "Bradului", "Mesteacănului", "Arinului", "Ulmului", "Socului", "Liliacului",
    "Iasomiei", "Busuiocului", "Rozmarinului", "Sălciilor", "Fagului", "Carpenului", "Cornului", "Măceșului",
    "Zmeurei", "Fragilor", "Caișilor", "Piersicilor", "Gutuilor", "Vișinilor", "Prunilor", "Migdalilor",
    "Meșterilor", "Dulgherilor", "Zidarilor", "Croitorilor", "Fierarilor", "Olarilor", "Tâmplarilor", "Morarilor",
    "Pescarilor", "Vânătorilor", "Păstorilor", "Plugarilor", "Tipografilor", "Minerilor", "Ceferiștilor",
    "Aviatorilor", "Sportivilor", "Studenților", "Profesorilor", "Medicilor", "Artiștilor", "Pictorilor",
    "Poeților", "Cărturarilor", "Luceafărului", "Aurorei", "Soarelui", "Lunii", "Stelelor", "Cometei", "Eclipsei",
    "Primăriei", "Tribunalului", "Prefecturii", "Muzeului", "Teatrului", "Operei", "Bibliotecii", "Observatorului",
    "Grădinii", "Livezii", "Pădurii", "Poienii", "Văii", "Colinei", "Podișului", "Șesului", "Luncii", "Bărăganului",
    "Horia Creangă", "Ion Minulescu", "Tudor Arghezi", "Mihail Sadoveanu", "Ion Luca Caragiale", "Nichita Stănescu",
    "Marin Preda", "George Enescu", "Ciprian Porumbescu", "Nicolae Grigorescu", "Ion Andreescu", "Ștefan Luchian",
]
VARIANTS = ["Strada", "Aleea", "Intrarea", "Fundătura"]
PARKS = ["Parcul Rozelor", "Parcul Tineretului", "Grădina Botanică", "Parcul Feroviarilor", "Parcul Între Lacuri"]


class _Frame:
    """Metres east and north of the centre, for drawing; lon/lat for the file."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0, self.lon0 = lat0, lon0
        self.mx = 111_320.0 * math.cos(math.radians(lat0))
        self.my = 110_574.0

    def to_metres(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda c: np.column_stack(((c[:, 0] - self.lon0) * self.mx,
                                                                   (c[:, 1] - self.lat0) * self.my)))

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda c: np.column_stack((self.lon0 + c[:, 0] / self.mx,
                                                                   self.lat0 + c[:, 1] / self.my)))


def _names() -> list[str]:
    used = set(FIRST) | set(RADIALS) | set(RING)
    out = list(FIRST)
    for variant in VARIANTS:
        for stem in STEMS:
            name = f"{variant} {stem}"
            if name not in used:
                used.add(name)
                out.append(name)
    return out


def _sector(a1: float, a2: float, radius: float = 30_000) -> Polygon:
    steps = [a1 + (a2 - a1) * i / 8 for i in range(9)]
    return Polygon([(0, 0)] + [(radius * math.cos(a), radius * math.sin(a)) for a in steps])


def _ellipse(rx: float, ry: float, n: int = 96) -> Polygon:
    return Polygon([(rx * math.cos(2 * math.pi * i / n), ry * math.sin(2 * math.pi * i / n)) for i in range(n)])


def _blob(rng: random.Random, cx: float, cy: float, r: float) -> Polygon:
    pts = []
    for i in range(24):
        a = 2 * math.pi * i / 24
        rr = r * (1 + 0.18 * math.sin(3 * a + rng.random() * 6) + 0.08 * rng.random())
        pts.append((cx + rr * math.cos(a), cy + 0.8 * rr * math.sin(a)))
    return Polygon(pts)


def _pieces(geom: BaseGeometry, minimum: float) -> list[LineString]:
    parts = [geom] if isinstance(geom, LineString) else list(getattr(geom, "geoms", []))
    return [p for p in parts if isinstance(p, LineString) and p.length >= minimum]


def build_register(boundary: Polygon, centre: tuple[float, float], *, seed: int = SEED) -> dict[str, Any]:
    """The demo register as an OpenStreetMap-style GeoJSON FeatureCollection (WGS 84)."""
    rng = random.Random(seed)
    frame = _Frame(*centre)
    city = frame.to_metres(boundary).buffer(-120)
    features: list[dict[str, Any]] = []

    def add(geom: BaseGeometry, **props: Any) -> None:
        features.append({"type": "Feature", "properties": props, "geometry": mapping(frame.to_lonlat(geom))})

    # The river: a meander from west to east, 600 m south of the centre.
    xs = np.linspace(-9000, 9000, 181)
    river_line = LineString([(x, -600 + 260 * math.sin(x / 900) + 110 * math.sin(x / 340 + 1)) for x in xs])
    river = river_line.buffer(38).intersection(city.buffer(400))
    add(river, natural="water", water="river", name="Râul Someșul Mic")

    # Parks: the central one where the demo's parks department has its service area, and a few more.
    parks = [("Parcul Central", _blob(rng, -0.012 * frame.mx, 0.004 * frame.my, 330))]
    spots = [(-2600, 1900), (2300, 1500), (1500, -2300), (-1800, -2100), (3600, -300)]
    parks += [(name, _blob(rng, x, y, rng.uniform(150, 240))) for name, (x, y) in zip(PARKS, spots, strict=True)]
    parks = [(name, shape.intersection(city)) for name, shape in parks]
    for name, shape in parks:
        add(shape, leisure="park", name=name)
    green = unary_union([shape for _name, shape in parks])
    square = box(-80, -80, 80, 80)
    blocked = unary_union([river.buffer(6), green, square.buffer(10)])

    streets: list[tuple[str, list[LineString], str]] = []  # name, pieces, highway
    # The centre: Piața Unirii around the square.
    streets.append(("Piața Unirii", [LineString(list(square.exterior.coords))], "tertiary"))
    # Eight radial roads, gently curving, crossing the river on bridges.
    angles = [math.radians(12 + 45 * k + rng.uniform(-8, 8)) for k in range(8)]
    for name, a in zip(RADIALS, angles, strict=True):
        pts = [((r * math.cos(a + 0.06 * math.sin(r / 1500))), (r * math.sin(a + 0.06 * math.sin(r / 1500))))
               for r in range(80, 9000, 150)]
        streets.append((name, _pieces(LineString(pts).intersection(city), 200), "primary"))
    ring = _ellipse(1500, 1150)
    north = ring.exterior.intersection(box(-5000, 0, 5000, 5000))
    south = ring.exterior.intersection(box(-5000, -5000, 5000, 0))
    streets.append((RING[0], _pieces(shapely.line_merge(north), 100), "secondary"))
    streets.append((RING[1], _pieces(shapely.line_merge(south), 100), "secondary"))

    # Each sector, inside and outside the ring, gets a grid of its own orientation.
    grid: list[tuple[float, list[LineString]]] = []
    for k in range(8):
        a1, a2 = angles[k], angles[(k + 1) % 8] + (2 * math.pi if k == 7 else 0)
        sector = _sector(a1, a2)
        for inner, region in ((True, sector.intersection(ring)), (False, sector.intersection(city).difference(ring))):
            region = region.difference(blocked).buffer(-12)
            if region.is_empty:
                continue
            theta = (a1 + a2) / 2 + rng.uniform(-0.25, 0.25)
            spacing = rng.uniform(115, 140) if inner else rng.uniform(210, 260)
            cx, cy = region.centroid.x, region.centroid.y
            reach = 9000
            for turn in (0.0, math.pi / 2):
                ux, uy = math.cos(theta + turn), math.sin(theta + turn)
                offsets = np.arange(-reach, reach, spacing) + rng.uniform(0, spacing)
                for t in offsets:
                    ox, oy = cx - uy * t, cy + ux * t
                    line = LineString([(ox - ux * reach, oy - uy * reach), (ox + ux * reach, oy + uy * reach)])
                    pieces = _pieces(line.intersection(region), 140)
                    if pieces:
                        dist = min(p.distance(Point(0, 0)) for p in pieces)
                        grid.append((dist, pieces))
    grid.sort(key=lambda item: item[0])
    names = _names()
    for (_dist, pieces), name in zip(grid, names, strict=False):
        streets.append((name, pieces, "residential"))

    lines = [piece for _n, pieces, _h in streets for piece in pieces]
    for name, pieces, highway in streets:
        for piece in pieces:
            add(piece, name=name, highway=highway)
    features += _numbers(streets, lines, blocked, frame)
    return {"type": "FeatureCollection", "features": features}


def _numbers(streets: list[tuple[str, list[LineString], str]], lines: list[LineString], blocked: BaseGeometry,
             frame: _Frame) -> list[dict[str, Any]]:
    """House numbers along every street, each with a building set back behind it; a house that would
    stand in the river, a park, the square or on another street is left out (and takes no number).
    Vectorised: the demo loads in seconds."""
    line_index = {id(line): i for i, line in enumerate(lines)}
    doors, corners, meta = [], [], []  # meta: street index, side, owning line, building kind
    for index, (_name, pieces, highway) in enumerate(streets):
        if highway == "tertiary":  # the square: big buildings around it
            step, offset, depth, width = 40.0, 22.0, 14.0, 34.0
        elif highway in ("primary", "secondary"):
            step, offset, depth, width = 60.0, 26.0, 13.0, 44.0
        else:
            step, offset, depth, width = 34.0, 15.0, 10.0, 13.0
        kind = "house" if highway == "residential" else "apartments"
        # Numbering starts at the end nearest the centre, as Romanian streets are numbered.
        for piece in sorted(pieces, key=lambda p: p.distance(Point(0, 0))):
            walk = piece
            if Point(piece.coords[-1]).distance(Point(0, 0)) < Point(piece.coords[0]).distance(Point(0, 0)):
                walk = LineString(piece.coords[::-1])
            spacing = step if piece.distance(Point(0, 0)) < 2400 else max(step, 130.0)  # the outskirts
            at = np.arange(18.0, walk.length - 18.0, spacing)
            if not len(at):
                continue
            here = shapely.get_coordinates(shapely.line_interpolate_point(walk, at))
            ahead = shapely.get_coordinates(shapely.line_interpolate_point(walk, np.minimum(at + 1.0, walk.length)))
            direction = ahead - here
            direction /= np.maximum(np.hypot(direction[:, 0], direction[:, 1]), 1e-9)[:, None]
            for side in (1, -1):  # left of the direction of numbering: odd
                normal = np.column_stack((-direction[:, 1], direction[:, 0])) * side
                centre = here + normal * offset
                doors.append(centre - normal * depth / 2)
                corners.append(np.stack([centre + sx * direction * width / 2 + sy * normal * depth / 2
                                         for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))], axis=1))
                meta += [(index, side, line_index[id(piece)], kind)] * len(at)
    door_xy, corner_xy = np.concatenate(doors), np.concatenate(corners)
    houses = shapely.polygons(corner_xy)
    shapely.prepare(blocked)
    keep = ~shapely.intersects(blocked, houses)
    owners = np.array([m[2] for m in meta])
    pairs = shapely.STRtree(lines).query(houses, predicate="dwithin", distance=3.0)
    keep[pairs[0][owners[pairs[0]] != pairs[1]]] = False
    # Houses of two streets meeting at a corner may overlap: the first one placed keeps its plot.
    kept = np.flatnonzero(keep)
    overlaps = shapely.STRtree(houses[kept]).query(houses[kept], predicate="intersects")
    keep[kept[overlaps[1][overlaps[1] > overlaps[0]]]] = False
    door_ll = np.round(np.stack((frame.lon0 + door_xy[:, 0] / frame.mx,
                                 frame.lat0 + door_xy[:, 1] / frame.my), axis=-1), 7).tolist()
    ring_ll = np.round(np.stack((frame.lon0 + corner_xy[:, :, 0] / frame.mx,
                                 frame.lat0 + corner_xy[:, :, 1] / frame.my), axis=-1), 7).tolist()
    counters: dict[tuple[int, int], int] = {}
    out: list[dict[str, Any]] = []
    for i in np.flatnonzero(keep):
        index, side, _line, kind = meta[i]
        number = counters.get((index, side), 1 if side == 1 else 2)
        counters[(index, side)] = number + 2
        out.append({"type": "Feature", "properties": {"addr:street": streets[index][0],
                                                      "addr:housenumber": str(number)},
                    "geometry": {"type": "Point", "coordinates": door_ll[i]}})
        ring = [*ring_ll[i], ring_ll[i][0]]
        out.append({"type": "Feature", "properties": {"building": kind},
                    "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return out


def load_demo_register(boundary: Polygon | MultiPolygon, centre: tuple[float, float]) -> str:
    """Build and import the demo register, unless the city already has one (idempotent, and fast again)."""
    if db.session.scalar(select(StreetRegister.scope).where(StreetRegister.scope == "")) is not None:
        return "street register already loaded"
    if isinstance(boundary, MultiPolygon):
        boundary = max(boundary.geoms, key=lambda g: g.area)
    summary = replace_register(read_register(build_register(boundary, centre)), source=SOURCE,
                               attribution=ATTRIBUTION)
    return (f"street register: {summary.streets} streets, {summary.addresses} addresses, "
            f"{summary.features} map features")

"""A small street register around the test city's centre, as an OpenStreetMap-style GeoJSON export."""

from __future__ import annotations

from typing import Any

LAT0, LON0 = 46.77, 23.62
# Metres to degrees at this latitude.
DLAT = 1 / 111_200
DLON = 1 / 76_100


def line(name: str | None, coords: list[tuple[float, float]], **props: Any) -> dict:
    properties = {"highway": "residential", **props}
    if name is not None:
        properties["name"] = name
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]}}


def address(street: str, number: str, lon: float, lat: float, **props: Any) -> dict:
    return {"type": "Feature", "properties": {"addr:street": street, "addr:housenumber": number, **props},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def polygon(coords: list[tuple[float, float]], **props: Any) -> dict:
    ring = [list(c) for c in coords] + [list(coords[0])]
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def numbered(street: str, start: tuple[float, float], end: tuple[float, float], count: int) -> list[dict]:
    """Odd numbers on the left of the line, even on the right, 12 m off it."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = (x1 - x0) / DLON, (y1 - y0) / DLAT
    length = (dx * dx + dy * dy) ** 0.5
    nx, ny = -dy / length, dx / length  # left normal, metres
    out = []
    for n in range(1, count + 1):
        t = ((n + 1) // 2) / ((count + 1) // 2 + 1)
        side = 1 if n % 2 else -1
        lon = x0 + (x1 - x0) * t + side * nx * 12 * DLON
        lat = y0 + (y1 - y0) * t + side * ny * 12 * DLAT
        out.append(address(street, str(n), lon, lat))
    return out


def small_register() -> dict:
    memo = ((LON0 - 0.005, LAT0), (LON0 + 0.005, LAT0))
    obs = ((LON0, LAT0 - 0.005), (LON0, LAT0 + 0.005))
    bd = ((LON0 - 0.006, LAT0 + 0.002), (LON0 + 0.006, LAT0 + 0.002))
    features = [
        line("Strada Memorandumului", list(memo)),
        line("Strada Observatorului", list(obs)),
        line("Bulevardul 21 Decembrie 1989", list(bd), highway="primary"),
        line("Calea Dorobanților", [(LON0 + 0.006, LAT0 - 0.006), (LON0 + 0.006, LAT0 + 0.006)], highway="primary"),
        line("Aleea Detunata", [(LON0 - 0.004, LAT0 - 0.003), (LON0 - 0.002, LAT0 - 0.003)]),
        line("Piața Unirii", [(LON0 - 0.003, LAT0 + 0.004), (LON0 - 0.002, LAT0 + 0.004)], highway="pedestrian"),
        line("Strada Horea", [(LON0 - 0.006, LAT0 - 0.005), (LON0 - 0.001, LAT0 - 0.005)]),
        line(None, [(LON0 + 0.001, LAT0 - 0.001), (LON0 + 0.002, LAT0 - 0.002)], highway="service"),
        *numbered("Strada Memorandumului", *memo, 40),
        *numbered("Strada Observatorului", *obs, 30),
        *numbered("Bulevardul 21 Decembrie 1989", *bd, 20),
        address("Strada Horea", "12A", LON0 - 0.004, LAT0 - 0.0049, **{"addr:postcode": "400001"}),
        address("Strada Horea", "12B", LON0 - 0.0038, LAT0 - 0.0049),
        # A street known only from its addresses (no line in the file).
        address("Strada Fabricii", "3", LON0 - 0.008, LAT0 + 0.008, name="Bloc F3"),
        address("Strada Fabricii", "5", LON0 - 0.0078, LAT0 + 0.008),
        polygon([(LON0 - 0.004, LAT0 + 0.005), (LON0 - 0.001, LAT0 + 0.005), (LON0 - 0.001, LAT0 + 0.007),
                 (LON0 - 0.004, LAT0 + 0.007)], leisure="park", name="Parcul Central"),
        polygon([(LON0 - 0.01, LAT0 - 0.0095), (LON0 + 0.01, LAT0 - 0.0095), (LON0 + 0.01, LAT0 - 0.0088),
                 (LON0 - 0.01, LAT0 - 0.0088)], natural="water", name="Someșul Mic"),
        polygon([(LON0 + 0.0003, LAT0 + 0.0003), (LON0 + 0.0006, LAT0 + 0.0003), (LON0 + 0.0006, LAT0 + 0.0005),
                 (LON0 + 0.0003, LAT0 + 0.0005)], building="apartments"),
    ]
    return {"type": "FeatureCollection", "features": features}


def load_small_register(scope: str = "") -> Any:
    from cityreport.places.importer import read_register
    from cityreport.places.services import replace_register

    return replace_register(read_register(small_register()), scope=scope, source="small.geojson",
                            attribution="© test")

"""Charts drawn on the server as SVG: no JavaScript, no CDN, and they print and go into the PDF.

Each chart carries a <title> and a text description, and every data point its value in a
tooltip; the figures themselves are always also in a table beside the chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 16, 40
PALETTE = ("#0b5394", "#e69138", "#38761d", "#a61c00", "#674ea7")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | int | None]
    dashed: bool = False


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _frame(title: str, labels: Sequence[str], y_max: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
             f'aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>"]
    for i in range(5):
        value = y_max * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
                     f"{escape(_fmt(value))}{escape(unit)}</text>")
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    every = 1 if len(labels) <= 12 else math.ceil(len(labels) / 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + step * (i + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" fill="#444">'
                         f"{escape(label)}</text>")
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    x = LEFT
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        parts.append(f'<line x1="{x}" x2="{x + 16}" y1="{HEIGHT - 10}" y2="{HEIGHT - 10}" stroke="{color}" '
                     f'stroke-width="6"{dash}/>')
        parts.append(f'<text x="{x + 20}" y="{HEIGHT - 6}" fill="#222">{escape(s.name)}</text>')
        x += 28 + 7 * len(s.name)
    return parts


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "") -> Markup:
    """Grouped bars, one group per label."""
    values = [v for s in series for v in s.values if v is not None]
    y_max = _nice_max(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    parts = _frame(title, labels, y_max, unit)
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar_w = step * 0.8 / max(len(series), 1)
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        for i, value in enumerate(s.values):
            if value is None:
                continue
            h = plot_h * value / y_max
            x = LEFT + step * i + step * 0.1 + bar_w * k
            parts.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{color}"><title>{escape(labels[i])}: {escape(s.name)} {escape(_fmt(value))}'
                         f"</title></rect>")
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "",
               y_max: float | None = None) -> Markup:
    """Lines with a dot per month; a month without data (None) breaks the line instead of dropping to 0."""
    values = [v for s in series for v in s.values if v is not None]
    top = y_max if y_max is not None else _nice_max(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    parts = _frame(title, labels, top, unit)
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x = LEFT + step * (i + 0.5)
            y = TOP + plot_h - plot_h * min(value, top) / top
            runs[-1].append((x, y))
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(labels[i])}: '
                         f"{escape(s.name)} {escape(_fmt(value))}{escape(unit)}</title></circle>")
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))


# ---- the map ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hex:
    cx: float
    cy: float
    count: int


def hexbin(cells: Sequence[tuple[float, float, int]], outline: Sequence[Sequence[tuple[float, float]]],
           radius_m: float = 350.0) -> tuple[list[Hex], tuple[float, float, float, float]]:
    """Bin weighted points (lon, lat, count) into pointy-top hexagons of `radius_m` metres.

    Coordinates are projected with an equirectangular projection around the city's centre, which
    at city scale distorts by far less than a hexagon's width. Returns hexagons in metres and the
    bounding box (minx, miny, maxx, maxy) of the outline in the same metres.
    """
    ring_points = [p for ring in outline for p in ring]
    every = ring_points or [(lon, lat) for lon, lat, _ in cells]
    if not every:
        return [], (0.0, 0.0, 1.0, 1.0)
    lon0 = sum(p[0] for p in every) / len(every)
    lat0 = sum(p[1] for p in every) / len(every)
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_540.0

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - lon0) * kx, (lat - lat0) * ky

    w = math.sqrt(3) * radius_m
    bins: dict[tuple[int, int], int] = {}
    for lon, lat, count in cells:
        x, y = project(lon, lat)
        # Axial coordinates, then cube rounding to the nearest hexagon.
        q = (x * math.sqrt(3) / 3 - y / 3) / radius_m
        r = (2 * y / 3) / radius_m
        cx_, cz_ = q, r
        cy_ = -cx_ - cz_
        rx, ry, rz = round(cx_), round(cy_), round(cz_)
        dx, dy, dz = abs(rx - cx_), abs(ry - cy_), abs(rz - cz_)
        if dx > dy and dx > dz:
            rx = -ry - rz
        elif dy <= dz:
            rz = -rx - ry
        bins[(rx, rz)] = bins.get((rx, rz), 0) + count
    hexes = [Hex(w * (q + r / 2), 1.5 * radius_m * r, n) for (q, r), n in bins.items()]
    projected = [project(lon, lat) for lon, lat in every]
    xs = [p[0] for p in projected] + [h.cx for h in hexes]
    ys = [p[1] for p in projected] + [h.cy for h in hexes]
    return hexes, (min(xs) - radius_m, min(ys) - radius_m, max(xs) + radius_m, max(ys) + radius_m)


def hex_map(title: str, cells: Sequence[tuple[float, float, int]],
            outline: Sequence[Sequence[tuple[float, float]]], legend_label: str, radius_m: float = 350.0) -> Markup:
    hexes, (minx, miny, maxx, maxy) = hexbin(cells, outline, radius_m)
    ring_points = [p for ring in outline for p in ring]
    every = ring_points or [(lon, lat) for lon, lat, _ in cells]
    width_m, height_m = maxx - minx, maxy - miny
    view_w = 640.0
    scale = view_w / width_m if width_m else 1.0
    view_h = height_m * scale + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {view_w:.0f} {view_h:.0f}" class="chart map" '
             f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>"]
    if every:
        lon0 = sum(p[0] for p in every) / len(every)
        lat0 = sum(p[1] for p in every) / len(every)
        kx = 111_320.0 * math.cos(math.radians(lat0))
        ky = 110_540.0

        def sx(x: float) -> float:
            return (x - minx) * scale

        def sy(y: float) -> float:
            return (maxy - y) * scale

        top = max((h.count for h in hexes), default=1)
        for h in hexes:
            # Square-root colour scale: one busy junction should not wash out the rest of the city.
            share = math.sqrt(h.count / top)
            corners = []
            for k in range(6):
                angle = math.radians(60 * k - 30)
                corners.append(f"{sx(h.cx + radius_m * math.cos(angle)):.1f},"
                               f"{sy(h.cy + radius_m * math.sin(angle)):.1f}")
            light = 92 - 62 * share
            parts.append(f'<polygon points="{" ".join(corners)}" fill="hsl(210, 80%, {light:.0f}%)" '
                         f'stroke="#fff" stroke-width="0.5"><title>{h.count}</title></polygon>')
        for ring in outline:
            points = " ".join(f"{sx((lon - lon0) * kx):.1f},{sy((lat - lat0) * ky):.1f}" for lon, lat in ring)
            parts.append(f'<polygon points="{points}" fill="none" stroke="#333" stroke-width="1.2"/>')
        parts.append(f'<text x="4" y="{view_h - 8:.0f}" fill="#222">{escape(legend_label)} '
                     f"({escape(str(top))} max)</text>")
    parts.append("</svg>")
    return Markup("".join(parts))

"""Draw the app icons (static/icons/icon-192.png, icon-512.png): a white map pin on the city-hall blue.

The pin sits inside the central 60 % so the icons also work as maskable icons (cut to a circle or a
squircle by the phone). Run: .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BLUE = (11, 83, 148, 255)  # --accent in static/css/app.css
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 4


def icon(size: int) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), BLUE)
    draw = ImageDraw.Draw(image)
    cx, head_cy, radius = big / 2, big * 0.42, big * 0.16
    tip_y = big * 0.74
    # The pin: a disc and a triangle meeting at its tangents, with a hole in the disc.
    draw.ellipse((cx - radius, head_cy - radius, cx + radius, head_cy + radius), fill=WHITE)
    draw.polygon([(cx - radius * 0.86, head_cy + radius * 0.5), (cx + radius * 0.86, head_cy + radius * 0.5),
                  (cx, tip_y)], fill=WHITE)
    hole = radius * 0.42
    draw.ellipse((cx - hole, head_cy - hole, cx + hole, head_cy + hole), fill=BLUE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
    icon(180).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()

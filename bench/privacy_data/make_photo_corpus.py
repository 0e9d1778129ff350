"""Generate the labelled photo corpus of bench/privacy.py: `photos/*.jpg` and `photos/labels.json`.

Scenes of 960x720 are composed from pictures that Python packages ship, under licences that allow
it, and from licence plates the script renders itself:
- scikit-image's `astronaut.png` (Eileen Collins, NASA, public domain) and matplotlib's
  `grace_hopper.jpg` (US Navy, public domain): portraits, pasted at several sizes, some mirrored;
- scikit-image's `lfw_subset.npy`: 100 small face crops and 100 non-face crops from Labeled Faces
  in the Wild, shipped by scikit-image for its face-detection example (the non-faces are decoys);
- scikit-image's `brick`, `grass`, `gravel`, `coffee`, `chelsea`, `motorcycle_left` as backgrounds;
- Romanian EU-format plates drawn here (blue band with "RO", black DejaVu Sans Condensed Bold
  characters), on car-like shapes, tilted and slightly sheared, together with plate-like decoys:
  a blue street sign with white text and a shop sign.
Face boxes of the two portraits were measured by hand on the originals; every other box is where the
script pasted the thing. The labels therefore do not come from any detector under test.

Run (once; the output is committed and neither the benchmark nor the tests need these packages):
  .venv/bin/pip install scikit-image matplotlib
  .venv/bin/python bench/privacy_data/make_photo_corpus.py
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import matplotlib
import numpy as np
import skimage
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

OUT = Path(__file__).with_name("photos")
SIZE = (960, 720)
SEED = 17
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf"
SKDATA = Path(os.path.dirname(skimage.__file__)) / "data"

# (file, face box measured by hand in the original's pixels)
PORTRAITS = [
    (SKDATA / "astronaut.png", (170, 65, 280, 185)),
    (Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg", (160, 125, 360, 335)),
]
BACKGROUNDS = ["brick.png", "grass.png", "gravel.png", "coffee.png", "chelsea.png", "motorcycle_left.png"]
COUNTIES = ["B", "CJ", "IS", "TM", "BV", "CT", "AB", "MM", "SB", "BH", "PH", "AG"]
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def background(rng: random.Random) -> Image.Image:
    image = Image.open(SKDATA / rng.choice(BACKGROUNDS)).convert("RGB")
    image = ImageOps.fit(image, SIZE, Image.Resampling.BICUBIC)
    if rng.random() < 0.5:
        # A street: asphalt grey in the lower half, the picture above.
        street = Image.new("RGB", (SIZE[0], SIZE[1] // 2), (rng.randrange(70, 110),) * 3)
        street = Image.blend(street, Image.effect_noise(street.size, 25).convert("RGB"), 0.15)
        image.paste(street, (0, SIZE[1] // 2))
    return image


def render_plate(text: str) -> Image.Image:
    plate = Image.new("RGB", (520, 110), "white")
    draw = ImageDraw.Draw(plate)
    draw.rounded_rectangle((0, 0, 519, 109), radius=10, outline="black", width=5)
    draw.rectangle((5, 5, 48, 104), fill=(0, 51, 153))
    for k in range(12):
        angle = k * np.pi / 6
        x, y = 27 + 13 * np.cos(angle), 32 + 13 * np.sin(angle)
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(255, 204, 0))
    draw.text((27, 82), "RO", font=ImageFont.truetype(FONT, 26), fill="white", anchor="mm")
    draw.text((285, 57), text, font=ImageFont.truetype(FONT, 84), fill="black", anchor="mm")
    return plate


def plate_text(rng: random.Random) -> str:
    county = rng.choice(COUNTIES)
    digits = f"{rng.randrange(1, 1000):03d}" if county == "B" and rng.random() < 0.5 else f"{rng.randrange(1, 100):02d}"
    return f"{county} {digits} {rng.choice(LETTERS)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"


def paste_rotated(scene: Image.Image, item: Image.Image, x: int, y: int, angle: float) -> tuple[int, int, int, int]:
    """Paste `item` rotated by `angle` degrees with its top-left near (x, y); return its bounding box."""
    rgba = item.convert("RGBA").rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    scene.paste(rgba, (x, y), rgba)
    alpha = np.asarray(rgba.getchannel("A")) > 128
    ys, xs = np.nonzero(alpha)
    return x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1


def place(rng: random.Random, taken: list, width: int, height: int, top: int = 0, bottom: int = SIZE[1]) -> tuple[int, int] | None:
    """A free position for a width x height item (nothing in the corpus hides another item)."""
    if width >= SIZE[0] or height >= bottom - top:
        return None
    for _ in range(60):
        x, y = rng.randrange(0, SIZE[0] - width), rng.randrange(top, bottom - height)
        if all(x + width < a or x > c or y + height < b or y > d for a, b, c, d in taken):
            taken.append((x, y, x + width, y + height))
            return x, y
    return None


def add_car(scene: Image.Image, rng: random.Random, labels: list, taken: list, width: int) -> None:
    spot = place(rng, taken, width, int(width * 0.55), SIZE[1] // 2 - 60)
    if spot is None:
        return
    x, y = spot
    colour = tuple(rng.randrange(20, 230) for _ in range(3))
    draw = ImageDraw.Draw(scene)
    height = int(width * 0.55)
    draw.rounded_rectangle((x, y, x + width, y + height), radius=width // 10, fill=colour)
    draw.rectangle((x + width // 8, y + height // 10, x + width * 7 // 8, y + height * 4 // 10), fill=(40, 50, 60))
    for cx in (x + width // 6, x + width * 5 // 6):
        draw.ellipse((cx - width // 10, y + height * 6 // 10, cx + width // 10, y + height * 8 // 10), fill=(250, 240, 200))
    plate_width = int(width * rng.uniform(0.32, 0.45))
    plate = render_plate(plate_text(rng)).resize((plate_width, max(8, plate_width * 110 // 520)), Image.Resampling.LANCZOS)
    if rng.random() < 0.4:  # a little perspective: the car seen slightly from the side
        w, h = plate.size
        shift = int(h * rng.uniform(0.05, 0.25))
        plate = plate.transform((w, h + shift), Image.Transform.QUAD,
                                (0, 0, 0, h, w, h + shift, w, shift), Image.Resampling.BICUBIC, fillcolor=None)
    px = x + (width - plate.width) // 2
    py = y + height * 6 // 10
    box = paste_rotated(scene, plate, px, py, rng.uniform(-6, 6))
    labels.append({"kind": "plate", "box": list(box)})


def add_portrait(scene: Image.Image, rng: random.Random, labels: list, taken: list, face_width: int) -> None:
    path, (fx0, fy0, fx1, fy1) = rng.choice(PORTRAITS)
    image = Image.open(path).convert("RGB")
    scale = face_width / (fx1 - fx0)
    # Head and shoulders: crop around the face with some margin.
    cx0, cy0 = max(0, int(fx0 - 0.9 * (fx1 - fx0))), max(0, int(fy0 - 0.5 * (fy1 - fy0)))
    cx1, cy1 = min(image.width, int(fx1 + 0.9 * (fx1 - fx0))), min(image.height, int(fy1 + 1.2 * (fy1 - fy0)))
    crop = image.crop((cx0, cy0, cx1, cy1))
    face = [fx0 - cx0, fy0 - cy0, fx1 - cx0, fy1 - cy0]
    if rng.random() < 0.5:
        crop = ImageOps.mirror(crop)
        face = [crop.width - face[2], face[1], crop.width - face[0], face[3]]
    crop = crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))), Image.Resampling.LANCZOS)
    spot = place(rng, taken, crop.width, crop.height)
    if spot is None:
        return
    x, y = spot
    scene.paste(crop, (x, y))
    box = [x + face[0] * scale, y + face[1] * scale, x + face[2] * scale, y + face[3] * scale]
    labels.append({"kind": "face", "box": [round(v) for v in box]})


def add_lfw(scene: Image.Image, rng: random.Random, labels: list, crops: np.ndarray, face: bool, taken: list) -> None:
    index = rng.randrange(0, 100) + (0 if face else 100)
    side = rng.randrange(48, 110)
    tile = Image.fromarray((crops[index] * 255).astype("uint8")).convert("RGB").resize((side, side), Image.Resampling.BICUBIC)
    spot = place(rng, taken, side, side)
    if spot is None:
        return
    x, y = spot
    scene.paste(tile, (x, y))
    if face:
        labels.append({"kind": "face", "box": [x, y, x + side, y + side]})


def add_decoys(scene: Image.Image, rng: random.Random, taken: list) -> None:
    draw = ImageDraw.Draw(scene)
    spot = place(rng, taken, 320, 70)
    if spot is None:
        return
    x, y = spot
    if rng.random() < 0.5:  # a Romanian street sign: blue, white border and text
        draw.rectangle((x, y, x + 300, y + 70), fill=(0, 70, 160), outline="white", width=4)
        draw.text((x + 150, y + 35), rng.choice(["Str. Mihai Viteazu", "Piața Avram Iancu", "Bd. Eroilor"]),
                  font=ImageFont.truetype(FONT, 30), fill="white", anchor="mm")
    else:  # a shop sign, white with black capitals, plate-like in shape
        draw.rectangle((x, y, x + 320, y + 64), fill="white", outline="black", width=3)
        draw.text((x + 160, y + 32), rng.choice(["FARMACIE", "NON STOP", "ALIMENTARA", "PIZZERIA 24"]),
                  font=ImageFont.truetype(FONT, 40), fill="black", anchor="mm")


def scene(rng: random.Random, kind: str, crops: np.ndarray) -> tuple[Image.Image, list]:
    image = background(rng)
    labels: list = []
    taken: list = []
    if kind in ("portrait", "mixed"):
        for _ in range(rng.choice([1, 1, 2])):
            add_portrait(image, rng, labels, taken, rng.randrange(50, 200))
    if kind in ("crowd", "mixed"):
        for _ in range(rng.randrange(2, 6)):
            add_lfw(image, rng, labels, crops, True, taken)
    if kind in ("street", "mixed"):
        for _ in range(rng.choice([1, 2, 2, 3])):
            add_car(image, rng, labels, taken, rng.randrange(180, 480))
    if kind == "empty" or rng.random() < 0.4:
        add_decoys(image, rng, taken)
    if kind == "empty" or rng.random() < 0.3:
        for _ in range(rng.randrange(1, 4)):
            add_lfw(image, rng, labels, crops, False, taken)
    # A phone camera: a touch of blur and noise, then JPEG.
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    return image, labels


def main() -> None:
    rng = random.Random(SEED)
    crops = np.load(SKDATA / "lfw_subset.npy")
    OUT.mkdir(exist_ok=True)
    plan = ["portrait"] * 10 + ["crowd"] * 8 + ["street"] * 14 + ["mixed"] * 6 + ["empty"] * 4
    entries = []
    for number, kind in enumerate(plan, 1):
        image, labels = scene(rng, kind, crops)
        name = f"scene{number:02d}-{kind}.jpg"
        image.save(OUT / name, "JPEG", quality=75, optimize=True)
        entries.append({"file": name, "kind": kind, "boxes": labels})
    (OUT / "labels.json").write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")
    faces = sum(b["kind"] == "face" for e in entries for b in e["boxes"])
    plates = sum(b["kind"] == "plate" for e in entries for b in e["boxes"])
    size = sum(p.stat().st_size for p in OUT.glob("*.jpg"))
    print(f"{len(entries)} photos, {faces} faces, {plates} plates, {size / 1e6:.1f} MB -> {OUT}")


if __name__ == "__main__":
    main()

"""Faces and licence plates in photos: proposed blur boxes, and the blur itself.

Detection runs on the CPU with OpenCV from its registry package (opencv-python-headless 4.x, whose
wheel carries the Haar cascades; 5.x no longer does), on a downscaled copy, with nothing downloaded.
Boxes are fractions of the upright picture, so one set of boxes serves the private original, the
display and the thumbnail alike. Choices and measured figures: docs/privacy.md.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageFilter, ImageOps

# Detection needs no more than this on the long side: the smallest face the cascade finds is
# 24 px, a plate's blue band needs 4 px; decoding and scanning more pixels only costs time.
DETECT_MAX_SIDE = 960
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
FACE_MIN_SIDE = 24
# A box grows by this share of its size on every side before blurring: detectors box the inner
# face and the plate's edge, and a hairline or a plate's frame would otherwise stay sharp.
BLUR_MARGIN = 0.12
# Pixelation block: the box is averaged down to about this many cells across, then smoothed. Unlike
# a plain Gaussian blur, averaging throws the detail away, so it cannot be sharpened back.
BLUR_CELLS = 8


@dataclass(frozen=True)
class Box:
    """A region of a photo in fractions (0–1) of the upright picture's width and height."""

    kind: str  # "face", "plate" or "other" (drawn by staff: house numbers, documents…)
    x0: float
    y0: float
    x1: float
    y1: float
    source: str = "auto"  # "auto" for the detector's proposals, "staff" for boxes staff drew

    def as_dict(self) -> dict[str, float | str]:
        return {"kind": self.kind, "x0": round(self.x0, 4), "y0": round(self.y0, 4), "x1": round(self.x1, 4),
                "y1": round(self.y1, 4), "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, float | str]) -> Box:
        coords = [min(1.0, max(0.0, float(data[k]))) for k in ("x0", "y0", "x1", "y1")]
        x0, x1 = sorted(coords[0::2])
        y0, y1 = sorted(coords[1::2])
        return cls(str(data.get("kind", "other")), x0, y0, x1, y1, str(data.get("source", "staff")))

    def pixels(self, width: int, height: int, margin: float = 0.0) -> tuple[int, int, int, int]:
        dx, dy = (self.x1 - self.x0) * margin, (self.y1 - self.y0) * margin
        return (max(0, int((self.x0 - dx) * width)), max(0, int((self.y0 - dy) * height)),
                min(width, int(np.ceil((self.x1 + dx) * width))), min(height, int(np.ceil((self.y1 + dy) * height))))


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + FACE_CASCADE)
    if cascade.empty():  # a 5.x wheel or a broken install: fail loudly, never silently find nothing
        raise RuntimeError(f"OpenCV's {FACE_CASCADE} is missing; install opencv-python-headless<5")
    return cascade


def downscaled(image: Image.Image, max_side: int = DETECT_MAX_SIDE) -> Image.Image:
    """An RGB copy no larger than max_side on its long side."""
    image = image.convert("RGB")
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.BOX, reducing_gap=2.0)
    return image


def load_for_detection(data: bytes, max_side: int = DETECT_MAX_SIDE) -> Image.Image:
    """Decode an upload just large enough for detection, upright.

    A JPEG is decoded at a DCT reduction (1/2 … 1/8) that still covers max_side, which bounds the
    cost whatever the camera wrote; the EXIF orientation is applied so boxes refer to the upright
    picture as published.
    """
    image = Image.open(io.BytesIO(data))
    if image.format == "JPEG":
        image.draft("RGB", (max_side, max_side))
    image = ImageOps.exif_transpose(image)
    return downscaled(image, max_side)


def detect_faces(bgr: np.ndarray) -> list[tuple[int, int, int, int]]:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    found = _face_cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5,
                                             minSize=(FACE_MIN_SIDE, FACE_MIN_SIDE))
    return [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in found]


BLUE_LOW, BLUE_HIGH = (100, 110, 45), (128, 255, 255)  # the EU band's blue, in OpenCV's HSV


def detect_plates(bgr: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Romanian (EU-format) plates: a light strip of dark characters with the blue EU band at its left.

    Every Romanian plate since 2007 has the band. Two seeds find candidates: the band itself (a
    small upright blue blob, with the strip to its right), and the light strip (a wide light blob,
    with blue at its left end); the second finds plates on blue cars, where the band merges with the
    paint, the first plates on light cars, where the strip merges with it. Either way the strip must
    carry at least four dark, grey, character-sized strokes. Blue street signs are too wide to be a
    band and white shop signs have no band, which is what sets plates apart.
    """
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    blue = cv2.inRange(hsv, BLUE_LOW, BLUE_HIGH)
    found = _from_bands(grey, hsv, blue) + _from_strips(grey, hsv, blue)
    return _merge(found)


def _from_bands(grey: np.ndarray, hsv: np.ndarray, blue: np.ndarray) -> list[tuple[int, int, int, int]]:
    height, width = grey.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(blue, connectivity=8)
    found = []
    for x, y, w, h, area in stats[1:count]:
        if h < 5 or w < 2 or not 1.3 <= h / w <= 4.2 or area < 0.45 * w * h:
            continue
        right = min(width, x + int(w * 13.5))
        if right - (x + w) < w * 6:
            continue
        pad = max(1, h // 6)
        top, bottom = max(0, y - pad), min(height, y + h + pad)
        strip = grey[top:bottom, x + w:right]
        light = (strip > max(120, int(np.percentile(strip, 60)) - 10)) & (hsv[top:bottom, x + w:right, 1] < 80)
        columns = light.mean(axis=0) > 0.35
        if not columns[: max(1, w)].any():
            continue
        # The plate ends where the light strip ends (the car's paint or the shadow begins).
        end = int(np.nonzero(columns)[0].max()) + 1
        if not 6.5 * w <= end + w <= 14 * w:
            continue
        if _characters(grey[top:bottom, x + w:x + w + end], hsv[top:bottom, x + w:x + w + end, 1], h) >= 4:
            found.append((int(x), int(top), int(x + w + end), int(bottom)))
    return found


def _from_strips(grey: np.ndarray, hsv: np.ndarray, blue: np.ndarray) -> list[tuple[int, int, int, int]]:
    light = ((grey > 150) & (hsv[:, :, 1] < 60)).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(light, connectivity=4)
    found = []
    for x, y, w, h, area in stats[1:count]:
        if h < 6 or w < 24 or not 2.6 <= w / h <= 7.5 or area < 0.5 * w * h:
            continue
        band = max(2, int(h * 0.5))
        left = blue[y:y + h, max(0, x - band):x + max(1, w // 12)]
        if left.size == 0 or (left > 0).mean() < 0.2:
            continue
        if _characters(grey[y:y + h, x:x + w], hsv[y:y + h, x:x + w, 1], h) >= 4:
            found.append((int(max(0, x - band)), int(y), int(x + w), int(y + h)))
    return found


def _characters(strip: np.ndarray, saturation: np.ndarray, height: int) -> int:
    """How many dark grey strokes of a character's size the strip holds (red or blue stripes are
    saturated and do not count: a flag is not a plate)."""
    if strip.size == 0:
        return 0
    threshold = (int(strip.max()) + int(strip.min())) // 2
    dark = ((strip < threshold) & (saturation < 110)).astype(np.uint8)
    if not 0.06 <= dark.mean() <= 0.6:
        return 0
    n, _, blobs, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    return sum(1 for bx, by, bw, bh, barea in blobs[1:n]
               if 0.35 * height <= bh <= 1.1 * height and bw <= 1.5 * height and barea >= 0.1 * bw * bh)


def _merge(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """One box per plate: candidates that overlap are joined."""
    merged: list[list[int]] = []
    for box in sorted(boxes):
        for other in merged:
            if box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]:
                other[:] = [min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3])]
                break
        else:
            merged.append(list(box))
    return [(a, b, c, d) for a, b, c, d in merged]


def detect_boxes(image: Image.Image) -> list[Box]:
    """Proposed blur boxes for the faces and plates in `image` (any size: it is downscaled first)."""
    small = downscaled(image)
    bgr = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2BGR)
    w, h = small.size
    boxes = [Box("face", x0 / w, y0 / h, x1 / w, y1 / h) for x0, y0, x1, y1 in detect_faces(bgr)]
    boxes += [Box("plate", x0 / w, y0 / h, x1 / w, y1 / h) for x0, y0, x1, y1 in detect_plates(bgr)]
    return boxes


def detect_in_upload(data: bytes) -> list[Box]:
    """Proposed blur boxes for an uploaded photo's bytes, decoding no more than detection needs."""
    return detect_boxes(load_for_detection(data))


def apply_blur(image: Image.Image, boxes: list[Box]) -> Image.Image:
    """A copy of `image` with every box pixelated and smoothed; `image` is left as it was.

    Make the public variants from the private original with this, then resize: blurring before the
    resize keeps the boxes' edges where staff drew them at every size.
    """
    out = image.copy()
    # Nothing of the original's metadata travels with the copy (EXIF may carry GPS and the device).
    out.info = {}
    for box in boxes:
        x0, y0, x1, y1 = box.pixels(out.width, out.height, BLUR_MARGIN)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = out.crop((x0, y0, x1, y1))
        scale = max(1.0, max(region.size) / BLUR_CELLS)
        tiny = region.resize((max(1, round(region.width / scale)), max(1, round(region.height / scale))),
                             Image.Resampling.BOX)
        coarse = tiny.resize(region.size, Image.Resampling.NEAREST)
        out.paste(coarse.filter(ImageFilter.GaussianBlur(max(1.0, scale / 2))), (x0, y0))
    return out

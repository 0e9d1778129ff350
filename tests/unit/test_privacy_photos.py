"""Photo anonymisation (cityreport/privacy/photos.py) on pictures of the benchmark's corpus."""

import io
import json
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter, ImageStat

from cityreport.privacy.photos import Box, apply_blur, detect_boxes, detect_in_upload, load_for_detection

CORPUS = Path(__file__).resolve().parents[2] / "bench" / "privacy_data" / "photos"
LABELS = {e["file"]: e for e in json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))}


def _overlaps(box: Box, gold: list[int], size: tuple[int, int]) -> bool:
    w, h = size
    return box.x0 * w < gold[2] and gold[0] < box.x1 * w and box.y0 * h < gold[3] and gold[1] < box.y1 * h


def test_faces_and_plates_are_proposed_where_they_are():
    for name in ("scene02-portrait.jpg", "scene19-street.jpg"):
        image = Image.open(CORPUS / name)
        boxes = detect_boxes(image)
        for gold in LABELS[name]["boxes"]:
            assert any(b.kind == gold["kind"] and _overlaps(b, gold["box"], image.size) for b in boxes), (name, gold)


def test_signs_are_not_plates():
    decoys = [e["file"] for e in LABELS.values() if e["kind"] == "empty"]
    for name in decoys:
        assert [b for b in detect_boxes(Image.open(CORPUS / name)) if b.kind == "plate"] == []


def test_upload_is_decoded_small_and_upright():
    picture = Image.open(CORPUS / "scene19-street.jpg").resize((3840, 2880))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways
    data = io.BytesIO()
    picture.rotate(90, expand=True).save(data, "JPEG", exif=exif)
    small = load_for_detection(data.getvalue())
    assert max(small.size) <= 960 and small.width > small.height
    assert any(b.kind == "plate" for b in detect_in_upload(data.getvalue()))


def test_blur_changes_only_the_boxes_and_destroys_detail():
    # Fine noise is the worst case for a blur: every pixel is detail.
    image = Image.merge("RGB", [Image.effect_noise((400, 300), 80)] * 3)
    image.info["exif"] = b"Exif\x00\x00GPS"
    box = Box("face", 0.25, 0.25, 0.5, 0.5, "staff")
    blurred = apply_blur(image, [box])
    assert image.tobytes() != blurred.tobytes()
    assert "exif" not in blurred.info and "exif" in image.info
    outside = (0, 0, image.width, int(image.height * 0.2))
    assert ImageChops.difference(image.crop(outside), blurred.crop(outside)).getbbox() is None

    def detail(picture):  # mean edge strength: what lets a face or a plate be recognised
        return ImageStat.Stat(picture.convert("L").filter(ImageFilter.FIND_EDGES)).mean[0]

    region = box.pixels(*image.size)
    assert detail(blurred.crop(region)) < detail(image.crop(region)) / 10


def test_box_round_trip_clamps_and_orders():
    box = Box.from_dict({"kind": "other", "x0": 0.9, "y0": -0.2, "x1": 0.1, "y1": 0.5})
    assert (box.x0, box.y0, box.x1, box.y1, box.source) == (0.1, 0.0, 0.9, 0.5, "staff")
    assert Box.from_dict(box.as_dict()) == box

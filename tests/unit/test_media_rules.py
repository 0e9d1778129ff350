from __future__ import annotations

from fractions import Fraction

import pytest

from cityreport.media import rules


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00" * 32


@pytest.mark.parametrize(("data", "expected"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", rules.JPEG),
    (b"\xff\xd8\xff\xe1\x12\x34Exif\x00\x00", rules.JPEG),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", rules.PNG),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", rules.WEBP),
    (_ftyp(b"heic", b"mif1", b"heic"), rules.HEIF),
    (_ftyp(b"heix", b"mif1"), rules.HEIF),
    (_ftyp(b"mif1", b"heic"), rules.HEIF),
    (_ftyp(b"mif1", b"miaf"), rules.HEIF),
])
def test_sniff_recognises_accepted_formats_by_content(data, expected):
    assert rules.sniff_format(data) == expected


@pytest.mark.parametrize("data", [
    b"",
    b"\xff\xd8",  # too short to be a JPEG start
    b"GIF89a\x01\x00\x01\x00",
    b"BM\x36\x00\x00\x00",  # BMP
    b"II*\x00\x08\x00\x00\x00",  # TIFF
    b"%PDF-1.7\n",
    b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF but audio
    _ftyp(b"avif", b"mif1", b"avif"),  # same container as HEIC, not an accepted format
    _ftyp(b"mif1", b"avif"),
    _ftyp(b"isom", b"mp41"),  # an MP4 video
    b"\x00\x00\x00\x08ftypheic",  # ftyp box too short to be real
    bytes(range(256)),
])
def test_sniff_refuses_everything_else(data):
    assert rules.sniff_format(data) is None


def test_size_limits():
    assert not rules.too_many_bytes(10 * 1024 * 1024, 10 * 1024 * 1024)
    assert rules.too_many_bytes(10 * 1024 * 1024 + 1, 10 * 1024 * 1024)
    assert not rules.too_many_pixels(8000, 5000, 40_000_000)
    assert rules.too_many_pixels(8001, 5000, 40_000_000)
    assert rules.too_many_pixels(50_000, 50_000, 40_000_000)


@pytest.mark.parametrize(("limit", "shown"), [(10 * 1024 * 1024, "10"), (5 * 1024 * 1024, "5"),
                                              (1536 * 1024, "1.5"), (25 * 1024 * 1024 // 10, "2.5")])
def test_megabytes_reads_like_people_say_it(limit, shown):
    assert rules.megabytes(limit) == shown


@pytest.mark.parametrize(("size", "max_side", "expected"), [
    ((4000, 3000), 1600, (1600, 1200)),
    ((3000, 4000), 1600, (1200, 1600)),
    ((4032, 3024), 400, (400, 300)),
    ((1600, 900), 1600, (1600, 900)),  # exactly at the limit: untouched
    ((800, 600), 1600, (800, 600)),  # never enlarged
    ((10000, 10), 1600, (1600, 2)),
    ((10000, 1), 400, (400, 1)),  # never collapses to zero
])
def test_fit_within_keeps_aspect_and_limit(size, max_side, expected):
    assert rules.fit_within(*size, max_side) == expected


@pytest.mark.parametrize(("size", "target", "scale"), [
    ((4000, 3000), (1600, 1200), 2),  # 1/4 would give 1000 px: too small
    ((8000, 6000), (1600, 1200), 4),
    ((12800, 9600), (1600, 1200), 8),
    ((16000, 12000), (1600, 1200), 8),  # 8 is the deepest DCT reduction
    ((3200, 2400), (1600, 1200), 2),  # exactly twice the target
    ((3198, 2398), (1600, 1199), 1),  # just short of twice: a 1/2 decode would lose pixels
    ((3199, 2399), (1600, 1200), 2),  # odd sizes round up in the decoder
    ((1600, 1200), (1600, 1200), 1),
    ((4000, 3000), (400, 300), 8),
])
def test_draft_scale_is_the_deepest_that_still_covers_the_target(size, target, scale):
    assert rules.draft_scale(*size, target) == scale
    reduced = (-(-size[0] // scale), -(-size[1] // scale))
    assert reduced[0] >= target[0] and reduced[1] >= target[1]


def test_draft_request_makes_pillow_pick_that_scale():
    # Pillow picks the largest scale s with s <= min(w // request_w, h // request_h).
    for size in [(4000, 3000), (4032, 3024), (4001, 2999), (12800, 9600)]:
        for scale in (2, 4, 8):
            request = rules.draft_request(*size, scale)
            assert min(size[0] // request[0], size[1] // request[1]) >= scale
            assert min(size[0] // request[0], size[1] // request[1]) < scale * 2


@pytest.mark.parametrize(("orientation", "transpose"), [
    (1, None), (2, "FLIP_LEFT_RIGHT"), (3, "ROTATE_180"), (4, "FLIP_TOP_BOTTOM"),
    (5, "TRANSPOSE"), (6, "ROTATE_270"), (7, "TRANSVERSE"), (8, "ROTATE_90"),
    (None, None), (0, None), (9, None), ("6", None), ((6,), None),
])
def test_orientation(orientation, transpose):
    assert rules.orientation_transpose(orientation) == transpose


def _gps(lat_ref, lat, lon_ref, lon):
    return {rules.GPS_LATITUDE_REF: lat_ref, rules.GPS_LATITUDE: lat,
            rules.GPS_LONGITUDE_REF: lon_ref, rules.GPS_LONGITUDE: lon}


def test_gps_from_rational_degrees_minutes_seconds():
    gps = _gps("N", (Fraction(46), Fraction(46), Fraction(1234, 100)), "E", (Fraction(23), Fraction(35), Fraction(30)))
    lat, lon = rules.gps_to_latlon(gps)
    assert lat == pytest.approx(46 + 46 / 60 + 12.34 / 3600, abs=1e-7)
    assert lon == pytest.approx(23 + 35 / 60 + 30 / 3600, abs=1e-7)


def test_gps_south_and_west_are_negative_and_raw_pairs_work():
    # Some writers leave rationals as (numerator, denominator) pairs, and refs as bytes.
    gps = _gps(b"S\x00", ((33, 1), (52, 1), (0, 1)), b"W\x00", ((151, 1), (12, 1), (3600, 100)))
    assert rules.gps_to_latlon(gps) == (pytest.approx(-33.8666667), pytest.approx(-151.21))


def test_gps_decimal_minutes_form():
    # Degrees and decimal minutes, seconds zero: another common camera form.
    gps = _gps("N", (46.0, 46.5, 0.0), "E", (23.0, 36.25, 0.0))
    assert rules.gps_to_latlon(gps) == (46.775, pytest.approx(23.6041667))


@pytest.mark.parametrize("gps", [
    None,
    {},
    _gps("N", (46, 46, 12), None, (23, 35, 30)),  # no longitude reference
    _gps("N", (46, 46, 12), "E", None),
    _gps("X", (46, 46, 12), "E", (23, 35, 30)),
    _gps("N", ((46, 0), (46, 1), (12, 1)), "E", (23, 35, 30)),  # zero denominator
    _gps("N", (float("nan"), 0, 0), "E", (23, 35, 30)),
    _gps("N", (95, 0, 0), "E", (23, 35, 30)),  # beyond the pole
    _gps("N", (46, 46, 12), "E", (190, 0, 0)),
    _gps("N", (-46, 46, 12), "E", (23, 35, 30)),  # the sign belongs in the reference
    _gps("N", (0, 0, 0), "E", (0, 0, 0)),  # "no fix" written as null island
    _gps("N", "46,46,12", "E", (23, 35, 30)),
])
def test_gps_absent_partial_or_impossible_gives_none(gps):
    assert rules.gps_to_latlon(gps) is None


def test_storage_keys_fan_out_by_hash_and_validate():
    digest = "ab" + "cd" + "0" * 60
    key = rules.storage_key(digest, rules.DISPLAY)
    assert key == f"ab/cd/{digest}-display.jpg"
    assert rules.is_valid_key(key)
    assert rules.key_digest(key) == digest
    assert rules.is_valid_key(rules.storage_key(digest, rules.THUMBNAIL))
    with pytest.raises(ValueError):
        rules.storage_key(digest, "original")


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    "ab/cd/../../../etc/passwd",
    "/ab/cd/" + "abcd" + "0" * 60 + "-display.jpg",
    "ab/cd/" + "abcd" + "0" * 60 + "-original.jpg",
    "ab/cd/" + "abcd" + "0" * 60 + "-display.png",
    "ab/ce/" + "abcd" + "0" * 60 + "-display.jpg",  # directories do not match the hash
    "AB/CD/" + "ABCD" + "0" * 60 + "-display.jpg",
    "ab/cd/" + "abcd" + "0" * 59 + "-display.jpg",
    "ab/cd/" + "abcd" + "0" * 60 + "-display.jpg\n",
    "",
])
def test_invalid_keys_are_refused(key):
    assert not rules.is_valid_key(key)
    assert rules.key_digest(key) is None


def test_content_type_for_key():
    assert rules.content_type_for_key("ab/cd/x-display.jpg") == "image/jpeg"
    assert rules.content_type_for_key("ab/cd/x.bin") == "application/octet-stream"


@pytest.mark.parametrize("size,expected", [
    ((4000, 3000), (1000, 750)),    # 12 MP phone photo: the 1/4 decode is the display
    ((3000, 4000), (750, 1000)),
    ((6000, 4000), (1500, 1000)),   # 24 MP: 1/4
    ((2400, 1800), (1200, 900)),    # 1/2
    ((1600, 1200), (1600, 1200)),   # already display-sized: as it is
    ((3400, 2600), (1600, 1224)),   # 1/2 is 1700 (too big), 1/4 is 850 (too small): fitted to 1600
    ((900, 600), (900, 600)),       # small photos are never enlarged
])
def test_jpeg_display_size_prefers_a_decoder_scale_between_1000_and_1600(size, expected):
    assert rules.jpeg_display_size(*size) == expected

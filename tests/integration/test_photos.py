"""The photo pipeline on real Pillow and pillow-heif, with files made here, stored on real disk or in a
real S3 server (Ceph's RADOS Gateway on loopback), and served through /media."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw, JpegImagePlugin, TiffImagePlugin

from cityreport.errors import ValidationError
from cityreport.media import rules, services
from cityreport.media.models import Photo
from cityreport.media.services import ProcessedPhoto, photo_url, process_upload, store_photos
from cityreport.media.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    StorageKeyError,
    StorageUnavailable,
    get_storage,
    open_storage,
)
from tests.integration.conftest import BUCKET, bucket_objects

NOT_AN_IMAGE = "the file is not a JPEG, PNG, WebP or HEIC image"
DAMAGED = "the photo is damaged or incomplete and cannot be read"
TOO_MANY_PIXELS = "the photo has more than 40 megapixels"
RED, BLUE = (220, 20, 20), (20, 20, 220)


@pytest.fixture()
def ctx(app):
    """A request in English: the messages below are the English msgids."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield app


# ---- files made for the tests -------------------------------------------------------------------

def picture(size=(640, 480), mode="RGB") -> Image.Image:
    """Blue with a red top-left quadrant, so orientation can be checked from pixels."""
    image = Image.new("RGB", size, BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2 - 1, size[1] // 2 - 1), fill=RED)
    return image.convert(mode)


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "LeakyPhoneMaker"  # Make
    exif[0x0110] = "LeakyModel X"  # Model
    exif[0x0131] = "LeakySoftware 1.0"
    if orientation is not None:
        exif[0x0112] = orientation
    rational = TiffImagePlugin.IFDRational
    exif.get_ifd(0x8825).update({
        1: "N", 2: (rational(46), rational(46), rational(1234, 100)),
        3: "E", 4: (rational(23), rational(35), rational(30)),
    })
    return exif


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    if fmt == "HEIF":
        services.ensure_heif_opener()
        options.setdefault("enc_params", {"preset": "ultrafast"})  # x265's default preset is slow
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims the given size: a decompression bomb's calling card."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))


def jpeg_segments(data: bytes) -> list[int]:
    """Marker codes of a JPEG's header segments, up to the start of scan."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [], 2
    while position < len(data):
        assert data[position] == 0xFF
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        position += 2 + length
    return markers


def assert_no_metadata(jpeg: bytes) -> None:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert "icc_profile" not in image.info and "exif" not in image.info and "comment" not in image.info
    # Only the JFIF header, quantisation and Huffman tables and the frame: no APP1 (EXIF/XMP),
    # APP2 (ICC), other APPn or comment segments.
    segments = set(jpeg_segments(jpeg))
    assert segments <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD, 0xDA}, sorted(hex(m) for m in segments)
    for needle in (b"Exif", b"GPS", b"Leaky", b"http://ns.adobe.com", b"ICC_PROFILE"):
        assert needle not in jpeg


def rejected(data: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        process_upload(data, **kwargs)
    return caught.value


def colour_at(jpeg: bytes, xy: tuple[int, int]) -> tuple[int, ...]:
    return Image.open(io.BytesIO(jpeg)).convert("RGB").getpixel(xy)


def near(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


# ---- accepted photos -----------------------------------------------------------------------------

def test_exif_orientation_6_is_applied_and_sides_swap(ctx, monkeypatch):
    drafts = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafts.append(size)
        return original_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    data = encode(picture((3300, 1700)), "JPEG", quality=85, exif=gps_exif(orientation=6))

    photo = process_upload(data)

    # Stored 3300x1700 landscape, shown upright as portrait: 1600 px high after the 90° turn.
    assert (photo.width, photo.height) == (824, 1600)
    assert Image.open(io.BytesIO(photo.display)).size == (824, 1600)
    # Orientation 6 turns the picture clockwise: the red top-left corner ends up top-right.
    assert near(colour_at(photo.display, (photo.width - 20, 20)), RED)
    assert near(colour_at(photo.display, (20, 20)), BLUE)
    assert near(colour_at(photo.display, (photo.width - 20, photo.height - 20)), BLUE)
    thumbnail = Image.open(io.BytesIO(photo.thumbnail))
    assert thumbnail.size == (206, 400)
    # The fast path: decoded at half scale (1650x850 still covers 1600x824), not in full.
    assert drafts == [rules.draft_request(3300, 1700, 2)]


@pytest.mark.parametrize(("mode", "options"), [("RGB", {"progressive": True}), ("L", {}), ("CMYK", {})])
def test_large_progressive_greyscale_and_cmyk_jpegs_take_the_draft_path(ctx, mode, options):
    photo = process_upload(encode(picture((3400, 2600), mode), "JPEG", quality=80, **options))
    assert (photo.width, photo.height) == (1600, 1224)
    assert Image.open(io.BytesIO(photo.display)).mode in {"RGB", "L"}
    red = Image.new("RGB", (1, 1), RED).convert(mode).convert("RGB").getpixel((0, 0))
    assert near(colour_at(photo.display, (20, 20)), red, 60)
    assert_no_metadata(photo.display)


@pytest.mark.parametrize(("orientation", "red_corner"), [
    (1, "top_left"), (2, "top_right"), (3, "bottom_right"), (4, "bottom_left"),
    (5, "top_left"), (6, "top_right"), (7, "bottom_right"), (8, "bottom_left"),
])
def test_every_exif_orientation_shows_the_picture_upright(ctx, orientation, red_corner):
    photo = process_upload(encode(picture((300, 200)), "JPEG", quality=90, exif=gps_exif(orientation)))
    swapped = orientation >= 5
    assert (photo.width, photo.height) == ((200, 300) if swapped else (300, 200))
    corners = {"top_left": (10, 10), "top_right": (photo.width - 10, 10),
               "bottom_left": (10, photo.height - 10), "bottom_right": (photo.width - 10, photo.height - 10)}
    for name, xy in corners.items():
        assert near(colour_at(photo.display, xy), RED if name == red_corner else BLUE), (name, orientation)


def test_gps_is_read_and_no_metadata_survives(ctx):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="46,46.2N"/>'
           b"</rdf:RDF></x:xmpmeta>")
    data = encode(picture((2400, 1800)), "JPEG", quality=90, exif=gps_exif(orientation=1), icc_profile=srgb,
                  xmp=xmp, comment=b"Shot on LeakyModel X at home")
    assert b"Exif" in data and b"GPS" in data and b"Leaky" in data  # the upload does carry it all

    photo = process_upload(data)

    lat, lon = photo.gps
    assert lat == pytest.approx(46 + 46 / 60 + 12.34 / 3600, abs=1e-6)
    assert lon == pytest.approx(23 + 35 / 60 + 30 / 3600, abs=1e-6)
    assert (photo.width, photo.height) == (1200, 900)  # the half-scale decode, no resampling pass
    assert_no_metadata(photo.display)
    assert_no_metadata(photo.thumbnail)


def test_photo_without_gps_has_none(ctx):
    assert process_upload(encode(picture(), "JPEG")).gps is None


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_broken_exif_does_not_lose_the_photo(ctx):
    # An APP1 segment that says Exif but holds garbage, as some cheap phones write.
    good = encode(picture(), "JPEG")
    garbage = b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\xff\xff" + bytes(40)
    data = good[:2] + b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage + good[2:]
    photo = process_upload(data)
    assert (photo.width, photo.height) == (640, 480) and photo.gps is None
    assert_no_metadata(photo.display)


def test_heic_from_a_phone(ctx):
    data = encode(picture((1200, 900)), "HEIF", quality=60, exif=gps_exif())
    assert rules.sniff_format(data) == rules.HEIF

    photo = process_upload(data)

    assert (photo.width, photo.height) == (1200, 900)
    assert photo.gps == (pytest.approx(46.7700944), pytest.approx(23.5916667))
    assert near(colour_at(photo.display, (20, 20)), RED) and near(colour_at(photo.display, (1180, 880)), BLUE)
    assert_no_metadata(photo.display)
    assert_no_metadata(photo.thumbnail)


def test_large_heic_is_scaled_to_display_size(ctx):
    photo = process_upload(encode(picture((1700, 1100)), "HEIF", quality=30))
    assert (photo.width, photo.height) == (1600, 1035)
    assert Image.open(io.BytesIO(photo.thumbnail)).size == (400, 259)


def test_webp_with_transparency_is_flattened_onto_white(ctx):
    image = picture((800, 600), "RGBA")
    ImageDraw.Draw(image).rectangle((700, 500, 799, 599), fill=(0, 0, 0, 0))
    photo = process_upload(encode(image, "WEBP", quality=80, exif=gps_exif()))
    assert (photo.width, photo.height) == (800, 600)
    assert near(colour_at(photo.display, (750, 550)), (255, 255, 255), 10)
    assert near(colour_at(photo.display, (20, 20)), RED)
    assert photo.gps is not None
    assert_no_metadata(photo.display)


def test_png_large_is_scaled_and_palette_png_keeps_its_colours(ctx):
    photo = process_upload(encode(picture((3000, 2000)), "PNG"))
    assert (photo.width, photo.height) == (1600, 1067)
    assert Image.open(io.BytesIO(photo.thumbnail)).size == (400, 267)
    assert_no_metadata(photo.display)

    palette = picture((500, 400)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    photo = process_upload(encode(palette, "PNG", transparency=0))
    assert (photo.width, photo.height) == (500, 400)
    assert Image.open(io.BytesIO(photo.display)).mode == "RGB"


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped(ctx):
    grey = Image.new("I;16", (300, 200), 40000)
    photo = process_upload(encode(grey, "PNG"))
    value = Image.open(io.BytesIO(photo.display)).convert("L").getpixel((150, 100))
    assert abs(value - 40000 // 256) <= 2


def test_cmyk_jpeg_becomes_rgb(ctx):
    photo = process_upload(encode(picture().convert("CMYK"), "JPEG", quality=90))
    decoded = Image.open(io.BytesIO(photo.display))
    assert decoded.mode == "RGB"
    assert near(colour_at(photo.display, (20, 20)), RED, 60)


def test_same_upload_gives_same_hash_and_keys(ctx):
    data = encode(picture(), "JPEG")
    first, second = process_upload(data), process_upload(data)
    assert first.sha256 == second.sha256 and len(first.sha256) == 64
    assert first.display == second.display


# ---- rejected uploads: a clear 4xx naming the field, never a 500 -----------------------------------

def test_random_bytes_named_photo_jpg_are_not_an_image(ctx):
    error = rejected(random.Random(3).randbytes(50_000), field="photos[0]")
    assert error.status == 422
    assert error.fields == {"photos[0]": NOT_AN_IMAGE}


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_real_images_in_other_formats_are_refused(ctx, fmt):
    error = rejected(encode(picture(), fmt))
    assert error.status == 422 and error.fields == {"photos": NOT_AN_IMAGE}


def test_text_and_html_are_refused_whatever_their_name(ctx):
    for data in (b"hello, this is photo.jpg", b"<html><script>alert(1)</script></html>", b"%PDF-1.4 ..."):
        assert rejected(data).fields == {"photos": NOT_AN_IMAGE}


def test_messages_follow_the_request_language(app):
    with app.test_request_context(headers={"Accept-Language": "ro-RO,ro;q=0.9"}):
        error = rejected(b"hello")
    assert error.fields["photos"] != NOT_AN_IMAGE and "JPEG" in error.fields["photos"]
    with app.test_request_context(headers={"Accept-Language": "ro"}):
        error = rejected(b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024))
    assert error.status == 413
    assert error.fields["photos"] != "the photo is larger than 10 MB" and "10 MB" in error.fields["photos"]


def test_empty_file(ctx):
    assert rejected(b"").fields == {"photos": "the photo file is empty"}


def test_truncated_jpeg(ctx):
    data = encode(picture((1200, 900)), "JPEG", quality=95)
    error = rejected(data[: len(data) // 2])
    assert error.status == 422 and error.fields == {"photos": DAMAGED}


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_truncated_other_formats(ctx, fmt):
    data = encode(Image.effect_noise((400, 300), 50).convert("RGB"), fmt)
    assert rejected(data[: len(data) // 2]).fields == {"photos": DAMAGED}


def test_jpeg_header_only(ctx):
    assert rejected(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00").fields == {
        "photos": DAMAGED}


def test_oversize_file_is_413_before_anything_else(ctx):
    error = rejected(b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024))
    assert error.status == 413
    assert error.fields == {"photos": "the photo is larger than 10 MB"}


def test_size_limit_follows_configuration(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "PHOTO_MAX_BYTES", 1024 * 1024)
    data = encode(Image.effect_noise((1500, 1500), 80).convert("RGB"), "JPEG", quality=100)
    assert len(data) > 1024 * 1024
    error = rejected(data)
    assert error.status == 413 and error.fields == {"photos": "the photo is larger than 1 MB"}


def test_decompression_bomb_header_is_refused(ctx):
    error = rejected(png_claiming(50_000, 50_000))
    assert error.status == 422 and error.fields == {"photos": TOO_MANY_PIXELS}


def test_small_file_with_huge_dimensions_is_refused_before_decoding(ctx, monkeypatch):
    data = encode(Image.new("1", (9000, 5000)), "PNG")  # 45 MP of nothing compresses to a few kB
    assert len(data) < 100_000

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    assert rejected(data).fields == {"photos": TOO_MANY_PIXELS}
    assert rejected(png_claiming(8001, 5000)).fields == {"photos": TOO_MANY_PIXELS}


def test_jpeg_claiming_huge_dimensions_is_refused(ctx):
    data = bytearray(encode(picture((64, 48)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)  # height, width in the frame header
    assert rejected(bytes(data)).fields == {"photos": TOO_MANY_PIXELS}


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes about the EXIF it skips
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_damaged_files_never_raise_anything_but_validation_errors(ctx, fmt):
    original = encode(Image.effect_noise((160, 120), 40).convert("RGB"), fmt, exif=gps_exif(6))
    rng = random.Random(fmt)
    for _ in range(25):
        data = bytearray(original)
        for _ in range(rng.randint(1, 12)):
            position = rng.randrange(12, len(data))  # keep the signature: get past the sniffing
            data[position] = rng.randrange(256)
        try:
            photo = process_upload(bytes(data))
        except ValidationError as exc:
            assert exc.status == 422 and set(exc.fields) == {"photos"}
        else:
            assert_no_metadata(photo.display)


# ---- storage and serving -------------------------------------------------------------------------

def test_local_storage_round_trip(tmp_path):
    storage = LocalStorage(tmp_path)
    assert isinstance(storage, Storage)
    key = rules.storage_key("ab12" + "0" * 60, rules.DISPLAY)
    assert not storage.exists(key)
    storage.put(key, b"first", "image/jpeg")
    assert storage.exists(key) and storage.open(key) == b"first"
    assert (tmp_path / "ab" / "12").is_dir()
    storage.put(key, b"first", "image/jpeg")  # content-addressed: writing again changes nothing
    assert storage.open(key) == b"first"
    assert [p.name for p in (tmp_path / "ab" / "12").iterdir()] == [key.rsplit("/", 1)[1]]  # no temp files
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        storage.open(key)


def test_local_storage_refuses_keys_that_escape_its_root(tmp_path):
    storage = LocalStorage(tmp_path / "media")
    for key in ("../outside.jpg", "/etc/passwd", "ab/../../outside.jpg", "", "a\\b.jpg"):
        with pytest.raises(StorageKeyError):
            storage.put(key, b"x", "image/jpeg")
        assert not storage.exists(key)
    assert not (tmp_path / "outside.jpg").exists()


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path)
    key = rules.storage_key("cd34" + "0" * 60, rules.THUMBNAIL)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(OSError):
        storage.put(key, b"data", "image/jpeg")
    assert not storage.exists(key)
    assert list((tmp_path / "cd" / "34").iterdir()) == []


def test_s3_storage_round_trip(app, s3, s3_location):
    storage = open_storage(s3_location, app.config)
    assert isinstance(storage, S3Storage) and isinstance(storage, Storage)
    prefix = s3_location.split("/", 3)[3]
    key = rules.storage_key("ab12" + "0" * 60, rules.DISPLAY)
    assert not storage.exists(key)
    storage.put(key, b"first", "image/jpeg")
    assert storage.exists(key) and storage.open(key) == b"first"
    stored = s3.head_object(Bucket=BUCKET, Key=prefix + key)  # read by another client, under the prefix
    assert stored["ContentType"] == "image/jpeg" and stored["ContentLength"] == 5
    storage.put(key, b"first", "image/jpeg")  # content-addressed: writing again changes nothing
    s3.put_object(Bucket=BUCKET, Key=prefix + "ab/12/not-a-photo.txt", Body=b"x")
    assert [k for k, _ in storage.list_keys()] == [key]  # only keys of the pipeline's form
    assert bucket_objects(s3, prefix)[key] == b"first"
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    for bad in ("../outside.jpg", "/etc/passwd", "ab/../../outside.jpg", "", "a\\b.jpg", "a//b.jpg"):
        with pytest.raises(StorageKeyError):
            storage.put(bad, b"x", "image/jpeg")
        assert not storage.exists(bad)


def test_s3_storage_unreachable_is_a_clear_503(app, s3_location, monkeypatch):
    from tests.rgw import free_port

    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens
    storage = open_storage(s3_location, app.config)
    key = rules.storage_key("ab12" + "0" * 60, rules.DISPLAY)
    for call in (lambda: storage.put(key, b"x", "image/jpeg"), lambda: storage.open(key),
                 lambda: storage.exists(key), lambda: list(storage.list_keys())):
        with pytest.raises(StorageUnavailable) as caught:
            call()
        assert caught.value.status == 503 and caught.value.headers["Retry-After"]


def test_store_photos_writes_both_variants_and_rows(create_report, db_session, media_backend):
    report = create_report()
    uploads = [process_upload(encode(picture(), "JPEG", exif=gps_exif())),
               process_upload(encode(picture((900, 1200)), "PNG"))]

    rows = store_photos(report.id, uploads)

    assert [row.position for row in rows] == [0, 1]
    assert all(row.id is not None for row in rows)  # flushed
    stored = db_session.query(Photo).filter_by(report_id=report.id).order_by(Photo.position).all()
    assert stored == rows
    storage = get_storage()
    for row, upload in zip(rows, uploads, strict=True):
        assert rules.is_valid_key(row.storage_key) and row.storage_key.endswith("-display.jpg")
        assert rules.is_valid_key(row.thumbnail_key) and row.thumbnail_key.endswith("-thumb.jpg")
        assert storage.open(row.storage_key) == upload.display
        assert storage.open(row.thumbnail_key) == upload.thumbnail
        assert (row.width, row.height, row.bytes, row.sha256) == (
            upload.width, upload.height, len(upload.display), upload.sha256)


def test_served_photo_has_no_exif_and_is_revalidated(client, create_report, media_backend):
    report = create_report()
    upload = process_upload(encode(picture((2000, 1500)), "JPEG", exif=gps_exif(orientation=6)))
    assert upload.gps is not None
    (row,) = store_photos(report.id, [upload])

    with client.application.test_request_context():
        display_url, thumbnail_url = photo_url(row), photo_url(row, "thumbnail")
        assert photo_url(row, "thumb") == thumbnail_url
    assert display_url == f"/media/{row.storage_key}"

    response = client.get(display_url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == upload.display
    assert_no_metadata(response.data)
    assert Image.open(io.BytesIO(response.data)).size == (750, 1000)  # half-scale decode, turned upright
    cache = response.cache_control
    # Public, but every use revalidated: hiding the report must reach caches too (test_photo_privacy.py).
    assert cache.public and cache.no_cache and not cache.immutable and cache.max_age is None
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    etag = response.headers["ETag"]
    assert rules.key_digest(row.storage_key) in etag

    again = client.get(display_url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""

    thumbnail = client.get(thumbnail_url)
    assert thumbnail.status_code == 200 and Image.open(io.BytesIO(thumbnail.data)).size == (300, 400)
    assert_no_metadata(thumbnail.data)


def test_configured_bucket_replaces_local_disk(client, create_report, s3, s3_location, monkeypatch):
    monkeypatch.setitem(client.application.config, "MEDIA_STORAGE", s3_location)
    with client.application.test_request_context():
        assert isinstance(get_storage(), S3Storage)
    (row,) = store_photos(create_report().id, [process_upload(encode(picture((321, 123)), "JPEG"))])
    in_bucket = bucket_objects(s3, s3_location.split("/", 3)[3])
    assert set(in_bucket) == {row.storage_key, row.thumbnail_key}
    assert not (Path(client.application.config["MEDIA_ROOT"]) / row.storage_key).exists()
    response = client.get(f"/media/{row.storage_key}")
    assert response.status_code == 200 and response.data == in_bucket[row.storage_key]


def test_unknown_and_malicious_media_paths_are_404(client, app):
    media_root = Path(app.config["MEDIA_ROOT"])
    (media_root / "secret.txt").write_text("not for you")
    unknown = rules.storage_key("ef56" + "0" * 60, rules.DISPLAY)
    for path in (f"/media/{unknown}", "/media/secret.txt", "/media/../secret.txt", "/media/..%2Fsecret.txt",
                 "/media/ab/cd/..%2F..%2Fsecret.txt", "/media/%2Fetc%2Fpasswd", "/media/ab/cd/x-display.jpg"):
        response = client.get(path, follow_redirects=True)  # werkzeug may first merge doubled slashes
        assert response.status_code == 404, path
        assert b"not for you" not in response.data


def test_photo_url_refuses_unknown_variants(app):
    row = Photo(storage_key="a", thumbnail_key="b")
    with app.test_request_context(), pytest.raises(ValueError):
        photo_url(row, "original")


def test_processed_photo_carries_what_intake_needs(ctx):
    photo = process_upload(encode(picture(), "JPEG", exif=gps_exif()))
    assert isinstance(photo, ProcessedPhoto)
    assert photo.display[:3] == b"\xff\xd8\xff" and photo.thumbnail[:3] == b"\xff\xd8\xff"


def test_prune_removes_only_old_unreferenced_files(runner, create_report, app):
    import os
    import time

    report = create_report()
    with app.test_request_context():
        (kept,) = store_photos(report.id, [process_upload(encode(picture((320, 240)), "JPEG"))])
        storage = get_storage()
    orphan = rules.storage_key("0a0b" + "1" * 60, rules.DISPLAY)
    fresh_orphan = rules.storage_key("0a0b" + "2" * 60, rules.THUMBNAIL)
    storage.put(orphan, b"rolled back", "image/jpeg")
    storage.put(fresh_orphan, b"being committed", "image/jpeg")
    incomplete = storage.path(orphan).parent / ".incoming-crashed"
    incomplete.write_bytes(b"half a photo")
    two_days_ago = time.time() - 2 * 86400
    for path in (storage.path(orphan), storage.path(kept.storage_key), storage.path(kept.thumbnail_key), incomplete):
        os.utime(path, (two_days_ago, two_days_ago))

    dry = runner.invoke(args=["media", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would remove {orphan}" in dry.output and "dry run" in dry.output
    assert storage.exists(orphan) and incomplete.exists()

    result = runner.invoke(args=["media", "prune"])
    assert result.exit_code == 0, result.output
    assert f"removed {orphan}" in result.output
    assert not storage.exists(orphan) and not incomplete.exists()
    assert storage.exists(kept.storage_key) and storage.exists(kept.thumbnail_key)
    assert storage.exists(fresh_orphan)


def test_prune_in_the_bucket_removes_only_old_unreferenced_objects(app, create_report, s3, s3_location,
                                                                     monkeypatch):
    import time
    from datetime import timedelta

    monkeypatch.setitem(app.config, "MEDIA_STORAGE", s3_location)
    with app.test_request_context():
        (kept,) = store_photos(create_report().id, [process_upload(encode(picture((320, 240)), "JPEG"))])
        storage = get_storage()
        orphan = rules.storage_key("0a0b" + "1" * 60, rules.DISPLAY)
        storage.put(orphan, b"rolled back", "image/jpeg")
        time.sleep(2)  # the bucket keeps times to the second
        fresh_orphan = rules.storage_key("0a0b" + "2" * 60, rules.THUMBNAIL)
        storage.put(fresh_orphan, b"being committed", "image/jpeg")

        result = services.prune_unreferenced(older_than=timedelta(seconds=1))

    assert result.removed == [orphan]
    assert set(bucket_objects(s3, s3_location.split("/", 3)[3])) == {kept.storage_key, kept.thumbnail_key,
                                                                     fresh_orphan}


def test_intake_with_the_bucket_down_is_a_503_in_the_request_language_and_writes_nothing(
        app, committed, s3_location, monkeypatch):
    # Real transactions (`committed`): what the request did not commit must not be in the database.
    from sqlalchemy import func, select

    from cityreport.reports.models import Report
    from tests.conftest import CENTER
    from tests.integration.notify.conftest import city
    from tests.rgw import free_port

    _department, category = city(committed)
    monkeypatch.setitem(app.config, "MEDIA_STORAGE", s3_location)
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens
    client = app.test_client()
    for lang, message in (("ro", "Fotografiile nu pot fi salvate sau afișate acum"),
                          ("en", "Photos cannot be stored or shown right now")):
        response = client.post("/api/v1/reports", content_type="multipart/form-data",
                               headers={"Accept-Language": lang},
                               data={"category": category.code, "lat": CENTER[0], "lon": CENTER[1],
                                     "description": "Groapă adâncă lângă stație",
                                     "photos": [(io.BytesIO(encode(picture(), "JPEG")), "a.jpg")]})
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.json["error"]["code"] == "storage_unavailable"
        assert message in response.json["error"]["message"]
        assert response.headers["Retry-After"] == "30"
    committed.rollback()
    assert committed.scalar(select(func.count()).select_from(Report)) == 0
    assert committed.scalar(select(func.count()).select_from(Photo)) == 0

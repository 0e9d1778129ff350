"""Pure decisions of the photo pipeline: what a file is, how big it may be, what sizes to make,
how far a JPEG can be decoded at reduced scale, and where an EXIF GPS tag points."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

JPEG = "jpeg"
PNG = "png"
WEBP = "webp"
HEIF = "heif"

# Pillow's plugin name for each sniffed format; opening with only that plugin stops a file that
# sniffs as one format from being parsed as another.
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", HEIF: "HEIF"}

DISPLAY_MAX_SIDE = 1600
# A display straight from the JPEG decoder may be this small (see jpeg_display_size).
DISPLAY_MIN_SIDE = 1000
THUMBNAIL_MAX_SIDE = 400
DISPLAY = "display"
THUMBNAIL = "thumb"
VARIANTS = (DISPLAY, THUMBNAIL)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000

# HEIF brands written by phones and cameras for HEVC-coded stills and sequences. AVIF shares the
# container but is not an accepted format.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
HEIF_GENERIC_BRANDS = frozenset({b"mif1", b"msf1"})

DRAFT_SCALES = (8, 4, 2, 1)

EXIF_ORIENTATION = 0x0112
EXIF_GPS_IFD = 0x8825
GPS_LATITUDE_REF = 1
GPS_LATITUDE = 2
GPS_LONGITUDE_REF = 3
GPS_LONGITUDE = 4

# A stored key: two fan-out directories from the content hash, then the hash and the variant.
KEY_PATTERN = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})-(display|thumb)\.jpg")
CONTENT_TYPES = {".jpg": "image/jpeg"}


def sniff_format(data: bytes) -> str | None:
    """The format the content declares in its first bytes, or None when it is not an accepted one."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if _is_heif(data):
        return HEIF
    return None


def _is_heif(data: bytes) -> bool:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(data[:4], "big")
    if box_size < 16 or box_size > len(data) or box_size % 4:
        return False
    major = data[8:12]
    compatible = {data[i:i + 4] for i in range(16, box_size, 4)}
    brands = {major} | compatible
    if brands & HEIF_BRANDS:
        return True
    # A generic image-file brand alone is HEIF only when nothing marks it as AVIF.
    return bool(brands & HEIF_GENERIC_BRANDS) and not brands & {b"avif", b"avis"}


def too_many_bytes(size: int, max_bytes: int) -> bool:
    return size > max_bytes


def too_many_pixels(width: int, height: int, max_pixels: int) -> bool:
    return width * height > max_pixels


def megabytes(limit_bytes: int) -> str:
    """The limit as people say it: 10485760 → "10", 5242880 → "5", 1572864 → "1.5"."""
    value = limit_bytes / (1024 * 1024)
    return f"{value:.1f}".rstrip("0").rstrip(".")


def fit_within(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size that keeps the aspect ratio and has no side above max_side. Never enlarges."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    if width >= height:
        return max_side, max(1, round(height * max_side / width))
    return max(1, round(width * max_side / height)), max_side


def draft_scale(width: int, height: int, target: tuple[int, int]) -> int:
    """The largest JPEG DCT reduction (8, 4, 2 or 1) whose output still covers the target size,
    so decoding at reduced scale never costs resolution in the result."""
    for scale in DRAFT_SCALES:
        if math.ceil(width / scale) >= target[0] and math.ceil(height / scale) >= target[1]:
            return scale
    return 1


def jpeg_display_size(width: int, height: int, max_side: int = DISPLAY_MAX_SIDE,
                      min_side: int = DISPLAY_MIN_SIDE) -> tuple[int, int]:
    """The display size of a JPEG.

    When a DCT reduction (1/2, 1/4, 1/8) of the original lands between min_side and max_side, the
    decoder produces the display directly and no resampling pass follows; that is what lets a 12 MP
    phone photo (1/4: 1000 px) go through the pipeline faster than one plain full decode. Otherwise
    the photo is fitted within max_side as usual.
    """
    for scale in reversed(DRAFT_SCALES):
        scaled = (math.ceil(width / scale), math.ceil(height / scale))
        if min_side <= max(scaled) <= max_side:
            return scaled
    return fit_within(width, height, max_side)


def draft_request(width: int, height: int, scale: int) -> tuple[int, int]:
    """The size to pass to Pillow's draft() so that it picks exactly `scale`."""
    return max(1, width // scale), max(1, height // scale)


# EXIF orientation → the Pillow transpose (by its Image.Transpose name) that shows the photo upright.
ORIENTATION_TRANSPOSE = {
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}


def orientation_transpose(orientation: Any) -> str | None:
    """The transpose for an EXIF orientation value; None for upright (1), missing or nonsense values."""
    if not isinstance(orientation, int):
        return None
    return ORIENTATION_TRANSPOSE.get(orientation)


def _rational(value: Any) -> float | None:
    try:
        if isinstance(value, tuple) and len(value) == 2:
            numerator, denominator = value
            if not denominator:
                return None
            result = float(numerator) / float(denominator)
        else:
            result = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(result) or math.isinf(result) else result


def dms_to_degrees(dms: Sequence[Any] | Any, ref: str | bytes | None) -> float | None:
    """Degrees, minutes, seconds (EXIF rationals) and a hemisphere letter → signed decimal degrees."""
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = (ref or "").strip("\x00 ").upper()
    if ref not in {"N", "S", "E", "W"}:
        return None
    if not isinstance(dms, Sequence) or isinstance(dms, str | bytes) or not 1 <= len(dms) <= 3:
        return None
    parts = [_rational(part) for part in dms]
    if any(part is None or part < 0 for part in parts):
        return None
    degrees = sum(part / 60 ** i for i, part in enumerate(parts))  # type: ignore[operator]
    return -degrees if ref in {"S", "W"} else degrees


def gps_to_latlon(gps: Mapping[int, Any] | None) -> tuple[float, float] | None:
    """(lat, lon) from an EXIF GPS IFD, or None when absent, partial or impossible.

    (0, 0) is refused: phones without a fix write it, and nobody reports a pothole in the Gulf of Guinea.
    """
    if not gps:
        return None
    lat = dms_to_degrees(gps.get(GPS_LATITUDE), gps.get(GPS_LATITUDE_REF))
    lon = dms_to_degrees(gps.get(GPS_LONGITUDE), gps.get(GPS_LONGITUDE_REF))
    if lat is None or lon is None:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lat, 7), round(lon, 7)


def storage_key(digest: str, variant: str) -> str:
    """Content-addressed key of a stored variant: `ab/cd/abcd…-display.jpg`."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown photo variant {variant!r}")
    return f"{digest[:2]}/{digest[2:4]}/{digest}-{variant}.jpg"


def is_valid_key(key: str) -> bool:
    """Only keys this pipeline writes; anything else (`..`, absolute paths, other names) is refused."""
    return KEY_PATTERN.fullmatch(key) is not None


def key_digest(key: str) -> str | None:
    match = KEY_PATTERN.fullmatch(key)
    return match.group(3) if match else None


def content_type_for_key(key: str) -> str:
    for suffix, content_type in CONTENT_TYPES.items():
        if key.endswith(suffix):
            return content_type
    return "application/octet-stream"


def content_matches_key(key: str, data: bytes) -> bool:
    """Whether bytes are what a content-addressed key promises: their SHA-256 is the key's digest."""
    digest = key_digest(key)
    return digest is not None and hashlib.sha256(data).hexdigest() == digest


# ---- object storage ------------------------------------------------------------------------------

S3_SCHEME = "s3://"
# S3's rules for bucket names (the strictest of AWS, MinIO and Ceph RGW): 3-63 characters of lower-case
# letters, digits, dots and hyphens, beginning and ending with a letter or digit.
BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
PREFIX_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/"


def parse_s3_url(url: str) -> S3Location:
    """`s3://bucket` or `s3://bucket/some/prefix` → the bucket and the key prefix photos go under.

    Raises ValueError that says what is wrong, for the start-up check and the migrate command.
    """
    if not url.startswith(S3_SCHEME):
        raise ValueError(f"must look like s3://bucket/prefix, got {url!r}")
    rest = url[len(S3_SCHEME):]
    if "?" in rest or "#" in rest:
        raise ValueError(f"must not carry a query or fragment: {url!r}")
    bucket, _, prefix = rest.partition("/")
    if not BUCKET_PATTERN.fullmatch(bucket) or ".." in bucket or re.fullmatch(r"[0-9.]+", bucket):
        raise ValueError(f"{bucket!r} is not a valid bucket name (3-63 lower-case letters, digits, dots and "
                         "hyphens, starting and ending with a letter or digit)")
    segments = [segment for segment in prefix.split("/") if segment]
    for segment in segments:
        if not PREFIX_SEGMENT.fullmatch(segment) or segment in {".", ".."}:
            raise ValueError(f"the prefix part {segment!r} may use only letters, digits, '.', '_' and '-'")
    return S3Location(bucket=bucket, prefix="".join(f"{segment}/" for segment in segments))


def default_addressing_style(endpoint_url: str | None) -> str:
    """Path-style (`host/bucket/key`) for a self-hosted endpoint, whose bucket names are seldom in DNS;
    virtual-hosted style (`bucket.host/key`) for AWS itself, which prefers it."""
    return "path" if endpoint_url else "virtual"

"""The photo pipeline: check an upload, decode it as cheaply as the result allows, make the display
and thumbnail JPEGs without any metadata, and store them by content hash."""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context, url_for
from flask_babel import gettext as _
from PIL import Image, ImageCms
from sqlalchemy import or_, select

from cityreport.errors import ValidationError
from cityreport.extensions import db
from cityreport.media import rules
from cityreport.media.models import Photo
from cityreport.media.storage import get_storage
from cityreport.reports.models import Report
from cityreport.reports.services import publicly_visible

log = logging.getLogger(__name__)

JPEG_QUALITY = 82
# The draft decode and reducing_gap do the heavy shrinking. What is left is area averaging (BOX):
# for downscaling it is alias-free and sharp enough, and costs half of Hamming or bilinear and a third
# of Lanczos, which decides whether the pipeline beats a plain full decode (bench/photo.py).
DISPLAY_RESAMPLE = Image.Resampling.BOX
# The thumbnail comes from the display image by an integer box reduction (reducing_gap 1.0), and a
# short Hamming pass takes it to the exact size.
THUMBNAIL_RESAMPLE = Image.Resampling.HAMMING
REDUCING_GAP = 2.0
THUMBNAIL_REDUCING_GAP = 1.0
BACKGROUND = (255, 255, 255)
PRUNE_BATCH = 500

_heif_lock = threading.Lock()
_heif_registered = False


@dataclass
class ProcessedPhoto:
    display: bytes
    thumbnail: bytes
    width: int  # of the display variant, upright
    height: int
    sha256: str  # of the upload, to spot a photo sent twice
    gps: tuple[float, float] | None


def _limits() -> tuple[int, int]:
    if has_app_context():
        config = current_app.config
        return (int(config.get("PHOTO_MAX_BYTES", rules.DEFAULT_MAX_BYTES)),
                int(config.get("PHOTO_MAX_PIXELS", rules.DEFAULT_MAX_PIXELS)))
    return rules.DEFAULT_MAX_BYTES, rules.DEFAULT_MAX_PIXELS


def ensure_heif_opener() -> None:
    """Teach Pillow HEIF on first use: loading libheif costs time that most requests never need."""
    global _heif_registered
    if _heif_registered:
        return
    with _heif_lock:
        if not _heif_registered:
            from pillow_heif import register_heif_opener

            # Auxiliary, depth and thumbnail images are never used; skipping them saves work.
            register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
            _heif_registered = True


def _reject(field: str, message: str, status: int = 422) -> ValidationError:
    return ValidationError(fields={field: message}, status=status)


def _damaged(field: str) -> ValidationError:
    return _reject(field, _("the photo is damaged or incomplete and cannot be read"))


def _too_many_pixels(field: str, max_pixels: int) -> ValidationError:
    return _reject(field, _("the photo has more than %(limit)s megapixels", limit=max_pixels // 1_000_000))


def process_upload(data: bytes, *, field: str = "photos") -> ProcessedPhoto:
    """Validate and process one uploaded photo; raise ValidationError naming `field` when it cannot be used."""
    max_bytes, max_pixels = _limits()
    if rules.too_many_bytes(len(data), max_bytes):
        raise _reject(field, _("the photo is larger than %(limit)s MB", limit=rules.megabytes(max_bytes)), 413)
    if not data:
        raise _reject(field, _("the photo file is empty"))
    kind = rules.sniff_format(data)
    if kind is None:
        raise _reject(field, _("the file is not a JPEG, PNG, WebP or HEIC image"))
    if kind == rules.HEIF:
        ensure_heif_opener()

    try:
        image = Image.open(io.BytesIO(data), formats=[rules.PILLOW_FORMATS[kind]])
    except Image.DecompressionBombError:
        raise _too_many_pixels(field, max_pixels) from None
    except Exception:  # any parser failure on untrusted bytes is the file's fault, not ours
        log.info("photo rejected: cannot open", exc_info=True)
        raise _damaged(field) from None

    with image:
        # The header alone gives the size: refuse before a single pixel is decoded.
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _damaged(field)
        if rules.too_many_pixels(width, height, max_pixels):
            raise _too_many_pixels(field, max_pixels)
        if kind == rules.JPEG:
            target = rules.jpeg_display_size(width, height, rules.DISPLAY_MAX_SIDE)
        else:
            target = rules.fit_within(width, height, rules.DISPLAY_MAX_SIDE)
        try:
            orientation, gps = _read_exif(image)
            profile = _foreign_profile(image.info.get("icc_profile"))
            decoded = _decode(image, kind, target)
        except Image.DecompressionBombError:
            raise _too_many_pixels(field, max_pixels) from None
        except Exception:
            log.info("photo rejected: cannot decode", exc_info=True)
            raise _damaged(field) from None

    display = _resize(_resizable(decoded), target, DISPLAY_RESAMPLE)
    display = _encodable(display, profile)
    transpose = rules.orientation_transpose(orientation)
    if transpose:
        display = display.transpose(Image.Transpose[transpose])
    thumbnail = display.resize(rules.fit_within(*display.size, rules.THUMBNAIL_MAX_SIDE), THUMBNAIL_RESAMPLE,
                               reducing_gap=THUMBNAIL_REDUCING_GAP)
    return ProcessedPhoto(display=_encode(display), thumbnail=_encode(thumbnail), width=display.width,
                          height=display.height, sha256=hashlib.sha256(data).hexdigest(), gps=gps)


def _resize(image: Image.Image, size: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    return image if image.size == size else image.resize(size, resample, reducing_gap=REDUCING_GAP)


def _read_exif(image: Image.Image) -> tuple[int | None, tuple[float, float] | None]:
    try:
        exif = image.getexif()
        orientation = exif.get(rules.EXIF_ORIENTATION)
        gps = rules.gps_to_latlon(exif.get_ifd(rules.EXIF_GPS_IFD))
    except Exception:
        # Broken EXIF is common from cheap phones and editors; the pixels may still be fine.
        log.info("photo EXIF unreadable, ignored", exc_info=True)
        return None, None
    return orientation, gps


def _decode(image: Image.Image, kind: str, target: tuple[int, int]) -> Image.Image:
    """Decode the pixels. A JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) that still covers
    the target: libjpeg then skips most of the inverse DCT, upsampling and colour conversion work."""
    if kind == rules.JPEG:
        scale = rules.draft_scale(*image.size, target)
        if scale > 1:
            image.draft(image.mode, rules.draft_request(*image.size, scale))
    image.load()
    return image


def _foreign_profile(icc_profile: bytes | None) -> ImageCms.ImageCmsProfile | None:
    """The embedded colour profile when the pixels need converting to sRGB; None for none or sRGB."""
    if not icc_profile:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        description = ImageCms.getProfileDescription(profile) or ""
    except Exception:
        # A broken profile: the untransformed pixels are still a fair picture.
        log.info("photo ICC profile unreadable, ignored", exc_info=True)
        return None
    return None if "srgb" in description.lower() else profile


def _resizable(image: Image.Image) -> Image.Image:
    """Modes Pillow resizes with a real filter: palette and 1-bit images would fall back to nearest
    neighbour, and 16-bit greyscale is brought to 8 bits (scaled, not clipped)."""
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I;16"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in {"I", "F"}:
        return image.convert("L")
    return image


def _encodable(image: Image.Image, profile: ImageCms.ImageCmsProfile | None) -> Image.Image:
    """Pixels a JPEG can hold, in sRGB. The source profile is applied and then dropped (its text can
    name the device); transparency is flattened onto white, as JPEG has none."""
    if profile is not None and image.mode in {"RGB", "RGBA", "CMYK", "L"}:
        try:
            output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            image = ImageCms.profileToProfile(image, profile, _srgb_profile(), outputMode=output_mode)
        except Exception:
            log.info("photo ICC profile unusable, ignored", exc_info=True)
    if image.mode in {"YCbCr", "RGB", "L"}:
        return image
    if image.mode in {"RGBA", "LA", "PA", "La", "RGBa"}:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


_srgb: ImageCms.ImageCmsProfile | None = None


def _srgb_profile() -> ImageCms.ImageCmsProfile:
    global _srgb
    if _srgb is None:
        _srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return _srgb


def _encode(image: Image.Image) -> bytes:
    # A fresh info dict: Pillow would otherwise carry the source's JPEG comment into the output.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def store_photos(report_id: int, photos: list[ProcessedPhoto]) -> list[Photo]:
    """Write both variants of each photo and add their rows, in upload order. Flushes, never commits.

    Files are written before the transaction commits; if it rolls back they stay behind unreferenced,
    which is harmless because keys are content hashes and a later identical upload reuses them.
    """
    storage = get_storage()
    rows: list[Photo] = []
    for position, photo in enumerate(photos):
        display_key = _put(storage, photo.display, rules.DISPLAY)
        thumbnail_key = _put(storage, photo.thumbnail, rules.THUMBNAIL)
        row = Photo(report_id=report_id, position=position, storage_key=display_key, thumbnail_key=thumbnail_key,
                    width=photo.width, height=photo.height, bytes=len(photo.display), sha256=photo.sha256)
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def _put(storage: Any, data: bytes, variant: str) -> str:
    key = rules.storage_key(hashlib.sha256(data).hexdigest(), variant)
    storage.put(key, data, "image/jpeg")
    return key


@dataclass
class PruneResult:
    checked: int
    removed: list[str]
    incomplete_removed: int


def prune_unreferenced(*, older_than: timedelta = timedelta(days=1), dry_run: bool = False) -> PruneResult:
    """Delete stored files no photo row refers to: left by a request that rolled back after writing,
    or by reports deleted since. Only files older than `older_than` are touched, so a request that has
    written its photos but not yet committed keeps them."""
    storage = get_storage()
    cutoff = time.time() - older_than.total_seconds()
    candidates = [key for key, modified in storage.list_keys() if modified < cutoff]
    referenced: set[str] = set()
    for start in range(0, len(candidates), PRUNE_BATCH):
        batch = candidates[start:start + PRUNE_BATCH]
        rows = db.session.execute(
            select(Photo.storage_key, Photo.thumbnail_key)
            .where(or_(Photo.storage_key.in_(batch), Photo.thumbnail_key.in_(batch)))
        )
        for display_key, thumbnail_key in rows:
            referenced.update((display_key, thumbnail_key))
    removed = [key for key in candidates if key not in referenced]
    incomplete = 0
    if not dry_run:
        for key in removed:
            storage.delete(key)
        remove_incomplete = getattr(storage, "remove_incomplete", None)
        if remove_incomplete is not None:
            incomplete = remove_incomplete(cutoff)
    return PruneResult(checked=len(candidates), removed=removed, incomplete_removed=incomplete)


@dataclass(frozen=True)
class PhotoAudience:
    """Who may see a stored photo: everyone while one of its reports is publicly visible, otherwise
    only staff who may view one of those reports (the departments listed)."""

    public: bool
    department_ids: frozenset[int | None]


def photo_audience(key: str) -> PhotoAudience | None:
    """The audience of a stored variant, in one indexed query; None when no photo row refers to the key.

    A key can belong to several reports (the same photo sent twice): it is public if any of them is.
    Visibility is the reports package's own condition, so hiding a report hides its photos with it.
    """
    rows = db.session.execute(
        select(Report.department_id, publicly_visible().label("public"))
        .join(Photo, Photo.report_id == Report.id)
        .where(or_(Photo.storage_key == key, Photo.thumbnail_key == key))
    ).all()
    if not rows:
        return None
    return PhotoAudience(public=any(row.public for row in rows),
                         department_ids=frozenset(row.department_id for row in rows))


def photo_url(photo: Photo, variant: str = rules.DISPLAY, *, external: bool = False) -> str:
    """The URL of a stored variant: `display` (≤1600 px) or `thumbnail` (≤400 px; `thumb` also works)."""
    if variant == rules.DISPLAY:
        key = photo.storage_key
    elif variant in {"thumbnail", rules.THUMBNAIL}:
        key = photo.thumbnail_key
    else:
        raise ValueError(f"unknown photo variant {variant!r}")
    return url_for("media.serve", key=key, _external=external)

"""Shared data for the intake tests: a small city with two zones and a JPEG maker."""

from __future__ import annotations

import io
from fractions import Fraction

from PIL import Image

PRIVATE = {"name": "Ion Popescu", "email": "ion.popescu@example.ro", "phone": "+40 722 123 456"}


def jpeg(width: int = 640, height: int = 480, *, gps: tuple[float, float] | None = None,
         color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[0x0110] = "Test Phone 3000"  # Model: must not survive
    if gps is not None:
        lat, lon = gps

        def dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = Fraction(round(((value - degrees) * 60 - minutes) * 60 * 10000), 10000)
            return (Fraction(degrees), Fraction(minutes), seconds)

        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=85)
    return buffer.getvalue()

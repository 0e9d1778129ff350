"""Photo pipeline benchmark: the whole of `process_upload` against one plain full decode of the same file.

Generates a 12-megapixel phone-like JPEG (4000x3000, EXIF orientation 6 and GPS tags, content with
gradients, shapes and sensor-like noise so it compresses like a photo) and a HEIC of the same picture,
then reports the median time per photo for:

- the pipeline: `cityreport.media.services.process_upload(data)` (sniff, hash, header checks, EXIF,
  reduced-scale decode, resize, orientation, display and thumbnail JPEG encodes);
- the baseline: `Image.open(BytesIO(data)).load()`, a plain full decode of the same bytes;

and the ratio pipeline / baseline. The goal for the JPEG is a ratio of at most 1.0. HEIC has no
reduced-scale decode, so its ratio is reported as measured.

Run:  flock /tmp/cityreport-bench.lock .venv/bin/python bench/photo.py [--runs N]
No database is needed: the pipeline is pure CPU work until photos are stored.
"""

from __future__ import annotations

import argparse
import gc
import io
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw, ImageFilter, TiffImagePlugin  # noqa: E402

from cityreport.media import services  # noqa: E402

WIDTH, HEIGHT = 4000, 3000
JPEG_QUALITY = 92  # what phone cameras typically write


def synthetic_photo(seed: int = 12) -> Image.Image:
    """A 12 MP picture that costs a JPEG codec what a photo costs: smooth sky-like gradients, hard
    edges of buildings and kerbs, fine texture and sensor noise."""
    rng = random.Random(seed)
    small = (WIDTH // 4, HEIGHT // 4)
    sky = Image.merge("RGB", (
        Image.linear_gradient("L").resize(small).point(lambda v: 90 + v // 3),
        Image.linear_gradient("L").resize(small).point(lambda v: 120 + v // 4),
        Image.radial_gradient("L").resize(small).point(lambda v: 230 - v // 3),
    ))
    draw = ImageDraw.Draw(sky)
    for _ in range(160):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        w, h = rng.randrange(10, 220), rng.randrange(10, 160)
        colour = tuple(rng.randrange(30, 220) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
        else:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
    picture = sky.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
    # Texture: coarse noise, blurred so it looks like asphalt and foliage rather than static.
    texture = Image.effect_noise((WIDTH // 2, HEIGHT // 2), 60).filter(ImageFilter.GaussianBlur(1.2))
    texture = texture.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR).convert("RGB")
    picture = Image.blend(picture, texture, 0.22)
    # Fine detail and sensor noise at full resolution; this is what makes phone JPEGs 3–4 MB, and the
    # entropy decoding it costs is the part no reduced-scale decode can skip.
    grain = Image.effect_noise((WIDTH, HEIGHT), 30).convert("RGB")
    return Image.blend(picture, grain, 0.2)


def phone_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SyntheticPhone"  # Make
    exif[0x0110] = "Model 12"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    rational = TiffImagePlugin.IFDRational
    exif.get_ifd(0x8825).update({
        1: "N", 2: (rational(46), rational(46), rational(1234, 100)),
        3: "E", 4: (rational(23), rational(35), rational(5678, 100)),
    })
    return exif


def encode(picture: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, exif=phone_exif(), **options)
    return buffer.getvalue()


def median_ms(function: Callable[[], object], runs: int) -> float:
    function()  # warm-up: first-use costs (plugin loading, profile creation) are not per photo
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def full_decode(data: bytes) -> Callable[[], object]:
    def run() -> object:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image.size
    return run


def pipeline(data: bytes) -> Callable[[], object]:
    return lambda: services.process_upload(data)


def measure(label: str, data: bytes, runs: int) -> float:
    # Interleave the two measurements so drift in machine load affects both alike.
    pipeline_ms: list[float] = []
    decode_ms: list[float] = []
    for _ in range(3):
        decode_ms.append(median_ms(full_decode(data), runs))
        pipeline_ms.append(median_ms(pipeline(data), runs))
    result = services.process_upload(data)
    decode, whole = statistics.median(decode_ms), statistics.median(pipeline_ms)
    ratio = whole / decode
    print(f"{label}: {len(data) / 1e6:.2f} MB upload -> display {result.width}x{result.height} "
          f"({len(result.display) / 1e3:.0f} kB), thumbnail {len(result.thumbnail) / 1e3:.0f} kB, gps {result.gps}")
    print(f"  plain full decode   median {decode:7.1f} ms")
    print(f"  whole pipeline      median {whole:7.1f} ms")
    print(f"  ratio pipeline/decode      {ratio:7.2f}")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per median (three medians are taken)")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, Pillow {Image.__version__}, "
          f"{platform.machine()}, {platform.processor() or 'cpu'}")
    started = time.perf_counter()
    picture = synthetic_photo()
    jpeg = encode(picture, "JPEG", quality=JPEG_QUALITY)
    services.ensure_heif_opener()
    heic = encode(picture, "HEIF", quality=80)
    print(f"generated in {time.perf_counter() - started:.1f} s")

    jpeg_ratio = measure("JPEG 4000x3000, orientation 6, GPS", jpeg, args.runs)
    measure("HEIC 4000x3000 (no reduced-scale decode exists for HEVC)", heic, max(3, args.runs // 2))
    goal = jpeg_ratio <= 1.0
    print(f"JPEG goal (ratio <= 1.0): {'met' if goal else 'NOT met'}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if goal else 1


if __name__ == "__main__":
    raise SystemExit(main())

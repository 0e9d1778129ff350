"""Anonymisation benchmark: recall and precision per kind on the project's labelled corpus, and time.

Text: `bench/privacy_data/descriptions.jsonl` (residents' descriptions, labelled spans). Each kind is
scored against a naive regular expression per kind, measured in the same run. A labelled span is
found when a prediction of the same kind covers at least 80 % of its characters; a prediction is
correct when it is of the kind of a labelled span it overlaps. "leaked" counts labelled spans of
which any character stays readable once every mask (of any kind) is applied: the privacy view.

Photos: `bench/privacy_data/photos/` (faces and plates, boxes in labels.json). A labelled box is
found when a proposal of its kind overlaps it with IoU ≥ 0.3. Time per photo is measured against a
plain full decode of the same JPEG.

Run:  flock /tmp/cityreport-bench.lock .venv/bin/python bench/privacy.py [--runs 5]
No database. The corpus generators are in bench/privacy_data/.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import sys
import time
from pathlib import Path

if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
elif str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from cityreport.privacy import names, photos, text  # noqa: E402
from cityreport.privacy.fold import fold  # noqa: E402

DATA = Path(__file__).resolve().parent / "privacy_data"
KINDS = ("cnp", "phone", "email", "iban", "plate", "name")
GOALS = {"cnp": (0.99, 0.95), "phone": (0.99, 0.95), "email": (0.99, 0.95), "iban": (0.99, 0.95),
         "plate": (0.99, 0.95)}

# What a first attempt looks like: one regular expression per kind, no validation, no context.
NAIVE = {
    "cnp": re.compile(r"\b[1-8]\d{12}\b"),
    "phone": re.compile(r"\b07\d{2}[ .-]?\d{3}[ .-]?\d{3}\b"),
    "email": re.compile(r"\S+@\S+\.\w+"),
    "iban": re.compile(r"\bRO\d{2}[A-Z]{4}[A-Z0-9]{16}\b"),
    "plate": re.compile(r"\b[A-Z]{1,2}[ -]?\d{2,3}[ -]?[A-Z]{3}\b"),
    "name": re.compile(r"\b[A-ZĂÂÎȘȚ][a-zăâîșț]+ [A-ZĂÂÎȘȚ][a-zăâîșț]+\b"),
}


def naive_detect(value: str) -> list[text.Span]:
    return [text.Span(m.start(), m.end(), kind) for kind, rx in NAIVE.items() for m in rx.finditer(value)]


MARK = re.compile(r"\[\[(\w+):(.*?)\]\]")


def load_text() -> list[dict]:
    with (DATA / "descriptions.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def load_handwritten() -> list[dict]:
    """The free-written set: personal data marked [[kind:value]] in the line."""
    rows = []
    for line in (DATA / "handwritten.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts, spans, position, last = [], [], 0, 0
        for match in MARK.finditer(line):
            parts.append(line[last:match.start()])
            position += match.start() - last
            value = match.group(2)
            spans.append({"start": position, "end": position + len(value), "kind": match.group(1)})
            parts.append(value)
            position += len(value)
            last = match.end()
        parts.append(line[last:])
        rows.append({"text": "".join(parts), "spans": spans})
    return rows


def print_scores(title: str, rows: list[dict], show: bool) -> None:
    gold_total = sum(len(r["spans"]) for r in rows)
    print(f"{title}: {len(rows)} descriptions, {gold_total} labelled spans "
          f"(mean {statistics.mean(len(r['text']) for r in rows):.0f} characters)")
    engine = score_text(rows, text.detect)
    naive = score_text(rows, naive_detect)
    print(f"{'kind':7} {'spans':>5} | {'recall':>6} {'precision':>9} {'leaked':>6} | "
          f"{'naive recall':>12} {'naive precision':>15} | goal")
    for kind in KINDS:
        s, b = engine["stats"][kind], naive["stats"][kind]
        goal = GOALS.get(kind)
        verdict = "" if goal is None else ("met" if s["recall"] >= goal[0] and s["precision"] >= goal[1] else "NOT met")
        print(f"{kind:7} {s['gold']:5d} | {s['recall']:6.3f} {s['precision']:9.3f} {s['leaked']:6d} | "
              f"{b['recall']:12.3f} {b['precision']:15.3f} | {verdict}")
    listed, unlisted = name_recall_by_listing(rows)
    print(f"  names whose words are all in the built-in lists: recall {listed[0]:.3f} ({listed[1]}); "
          f"the others: recall {unlisted[0]:.3f} ({unlisted[1]})")
    if show:
        for kind in KINDS:
            for line in engine["misses"][kind]:
                print(f"  missed {kind}: {line}")
            for line in engine["false"][kind]:
                print(f"  false {kind}: {line}")
    print()


def score_text(rows: list[dict], detector) -> dict[str, dict[str, float]]:
    stats = {k: {"gold": 0, "found": 0, "pred": 0, "correct": 0, "leaked": 0} for k in KINDS}
    misses: dict[str, list[str]] = {k: [] for k in KINDS}
    false: dict[str, list[str]] = {k: [] for k in KINDS}
    for row in rows:
        value, gold = row["text"], row["spans"]
        predicted = detector(value)
        masked = [False] * len(value)
        for span in predicted:
            for i in range(span.start, span.end):
                masked[i] = True
        for g in gold:
            s = stats[g["kind"]]
            s["gold"] += 1
            length = g["end"] - g["start"]
            covered = max((min(g["end"], p.end) - max(g["start"], p.start) for p in predicted if p.kind == g["kind"]),
                          default=0)
            if covered >= 0.8 * length:
                s["found"] += 1
            else:
                misses[g["kind"]].append(f"{value[g['start']:g['end']]!r} in {value[:90]!r}")
            if not all(masked[g["start"]:g["end"]]):
                s["leaked"] += 1
        for p in predicted:
            if p.kind not in stats:
                continue
            s = stats[p.kind]
            s["pred"] += 1
            if any(g["kind"] == p.kind and g["start"] < p.end and p.start < g["end"] for g in gold):
                s["correct"] += 1
            else:
                false[p.kind].append(f"{value[p.start:p.end]!r} in {value[:90]!r}")
    for s in stats.values():
        s["recall"] = s["found"] / s["gold"] if s["gold"] else 1.0
        s["precision"] = s["correct"] / s["pred"] if s["pred"] else 1.0
    return {"stats": stats, "misses": misses, "false": false}


def name_recall_by_listing(rows: list[dict]) -> tuple[tuple[float, int], tuple[float, int]]:
    """Name recall split by whether every word of the name is in the engine's lists."""
    given, family, _ = names.name_lists()
    counts = {True: [0, 0], False: [0, 0]}
    for row in rows:
        predicted = [s for s in text.detect(row["text"]) if s.kind == "name"]
        for g in (g for g in row["spans"] if g["kind"] == "name"):
            words = [w.lower() for w in names.TOKEN_RE.findall(fold(row["text"][g["start"]:g["end"]]))]
            key = all(w in given or w in family for w in words if len(w) > 1)
            covered = max((min(g["end"], p.end) - max(g["start"], p.start) for p in predicted), default=0)
            counts[key][0] += covered >= 0.8 * (g["end"] - g["start"])
            counts[key][1] += 1
    return tuple((found / total if total else 1.0, total) for found, total in (counts[True], counts[False]))


def time_per_description(rows: list[dict], fn, runs: int) -> float:
    """Median over runs of the mean time per description, in microseconds."""
    values = [row["text"] for row in rows]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        for value in values:
            fn(value)
        samples.append((time.perf_counter() - started) / len(values) * 1e6)
    return statistics.median(samples)


def iou(a, b) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def score_photos(runs: int) -> dict:
    entries = json.loads((DATA / "photos" / "labels.json").read_text(encoding="utf-8"))
    stats = {k: {"gold": 0, "found": 0, "pred": 0, "correct": 0} for k in ("face", "plate")}
    detect_ms, decode_ms, blur_ms = [], [], []
    for entry in entries:
        data = (DATA / "photos" / entry["file"]).read_bytes()
        timings = []
        for _ in range(runs):
            started = time.process_time()
            boxes = photos.detect_in_upload(data)
            timings.append(time.process_time() - started)
        detect_ms.append(statistics.median(timings) * 1000)
        timings = []
        for _ in range(runs):
            started = time.process_time()
            Image.open(io.BytesIO(data)).load()
            timings.append(time.process_time() - started)
        decode_ms.append(statistics.median(timings) * 1000)
        original = Image.open(io.BytesIO(data))
        original.load()
        started = time.process_time()
        photos.apply_blur(original, boxes)
        blur_ms.append((time.process_time() - started) * 1000)
        width, height = original.size
        for kind in stats:
            gold = [b["box"] for b in entry["boxes"] if b["kind"] == kind]
            pred = [(b.x0 * width, b.y0 * height, b.x1 * width, b.y1 * height) for b in boxes if b.kind == kind]
            used: set[int] = set()
            for g in gold:
                match = next((k for k, p in enumerate(pred) if k not in used and iou(g, p) >= 0.3), None)
                stats[kind]["gold"] += 1
                if match is not None:
                    used.add(match)
                    stats[kind]["found"] += 1
            stats[kind]["pred"] += len(pred)
            stats[kind]["correct"] += len(used)
    for s in stats.values():
        s["recall"] = s["found"] / s["gold"] if s["gold"] else 1.0
        s["precision"] = s["correct"] / s["pred"] if s["pred"] else 1.0
    return {"stats": stats, "photos": len(entries), "detect_ms": statistics.median(detect_ms),
            "decode_ms": statistics.median(decode_ms), "blur_ms": statistics.median(blur_ms),
            "size": Image.open(DATA / "photos" / entries[0]["file"]).size}


def time_phone_photo(runs: int) -> dict[str, float]:
    """A 12 MP phone JPEG (a corpus scene enlarged to 4000x3000, quality 92): detection decodes it
    at a DCT reduction, so its cost stays near that of a small photo."""
    picture = Image.open(DATA / "photos" / "scene19-street.jpg").convert("RGB").resize((4000, 3000),
                                                                                      Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=92)
    data = buffer.getvalue()
    detect, decode = [], []
    for _ in range(runs):
        started = time.process_time()
        Image.open(io.BytesIO(data)).load()
        decode.append(time.process_time() - started)
        started = time.process_time()
        boxes = photos.detect_in_upload(data)
        detect.append(time.process_time() - started)
    return {"bytes": len(data), "decode_ms": statistics.median(decode) * 1000,
            "detect_ms": statistics.median(detect) * 1000, "boxes": len(boxes)}


def compare_detectors() -> None:
    """Other CPU detectors that ship inside registry packages, on the same photos and rule."""
    import cv2  # noqa: PLC0415 - only this optional comparison needs OpenCV directly
    import numpy as np  # noqa: PLC0415

    entries = json.loads((DATA / "photos" / "labels.json").read_text(encoding="utf-8"))
    images = {e["file"]: cv2.imread(str(DATA / "photos" / e["file"])) for e in entries}

    def haar(name: str, neighbours: int = 5):
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
        return lambda bgr: [(x, y, x + w, y + h) for x, y, w, h in cascade.detectMultiScale(
            cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), scaleFactor=1.1, minNeighbors=neighbours, minSize=(24, 24))]

    candidates = [("face", "Haar frontalface_default (OpenCV 4.x)", haar("haarcascade_frontalface_default.xml")),
                  ("face", "Haar frontalface_alt2 (shipped choice)", photos.detect_faces),
                  ("face", "Haar profileface", haar("haarcascade_profileface.xml")),
                  ("plate", "Haar russian_plate_number", haar("haarcascade_russian_plate_number.xml", 3)),
                  ("plate", "Haar license_plate_rus_16stages", haar("haarcascade_license_plate_rus_16stages.xml", 3)),
                  ("plate", "blue-band detector (shipped choice)", photos.detect_plates)]
    try:
        import yuface  # noqa: PLC0415 - optional: YuNet compiled into libfacedetection

        for threshold in (0.5, 0.7):
            candidates.append(("face", f"YuNet (yuface), score ≥ {threshold}", lambda bgr, t=threshold: [
                (int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in yuface.detect(bgr, conf=t)[1]]))
    except ImportError:
        print("  (yuface not installed: `pip install yuface` adds YuNet to this comparison)")
    print(f"{'detector':42} {'recall':>6} {'precision':>9} {'ms CPU':>7}")
    for kind, label, detector in candidates:
        found = pred_total = correct = gold_total = 0
        cpu = 0.0
        for entry in entries:
            bgr = np.ascontiguousarray(images[entry["file"]])
            started = time.process_time()
            pred = detector(bgr)
            cpu += time.process_time() - started
            gold = [b["box"] for b in entry["boxes"] if b["kind"] == kind]
            used: set[int] = set()
            for g in gold:
                match = next((k for k, p in enumerate(pred) if k not in used and iou(g, p) >= 0.3), None)
                if match is not None:
                    used.add(match)
            gold_total += len(gold)
            found += len(used)
            pred_total += len(pred)
            correct += len(used)
        print(f"{label:42} {found / gold_total:6.3f} {correct / max(1, pred_total):9.3f} "
              f"{cpu / len(entries) * 1000:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--show", action="store_true", help="print every miss and false positive")
    parser.add_argument("--compare", action="store_true", help="also score other photo detectors")
    args = parser.parse_args()

    rows = load_text()
    print_scores("Generated corpus (descriptions.jsonl)", rows, args.show)
    print_scores("Free-written set (handwritten.txt)", load_handwritten(), args.show)

    analysed = [text.analyse(r["text"]) for r in rows]
    detect_us = time_per_description(rows, text.detect, args.runs)
    naive_us = time_per_description(rows, naive_detect, args.runs)
    by_text = {r["text"]: m for r, m in zip(rows, analysed, strict=True)}
    render_us = time_per_description(rows, lambda v: text.public_text(v, by_text[v]), args.runs)
    print(f"Time per description (median of {args.runs} passes over the corpus):")
    print(f"  naive regex baseline                 {naive_us:8.1f} µs")
    print(f"  detect() (write time)                {detect_us:8.1f} µs   {detect_us / naive_us:5.1f} x baseline")
    print(f"  public_text() from stored detections {render_us:8.1f} µs   {render_us / naive_us:5.1f} x baseline")

    result = score_photos(max(1, args.runs // 2))
    w, h = result["size"]
    print(f"\nPhoto corpus: {result['photos']} photos of {w}x{h}")
    for kind, s in result["stats"].items():
        print(f"  {kind:5} {s['gold']:3d} boxes: recall {s['recall']:.3f} precision {s['precision']:.3f}")
    print(f"  plain full decode (baseline)     {result['decode_ms']:7.1f} ms CPU per photo")
    print(f"  detect_in_upload (decode+detect) {result['detect_ms']:7.1f} ms CPU per photo   "
          f"{result['detect_ms'] / result['decode_ms']:5.1f} x baseline")
    print(f"  apply_blur on the boxes          {result['blur_ms']:7.1f} ms CPU per photo")
    phone = time_phone_photo(max(3, args.runs))
    print(f"\n12 MP phone JPEG (4000x3000, {phone['bytes'] / 1e6:.1f} MB):")
    print(f"  plain full decode (baseline)     {phone['decode_ms']:7.1f} ms CPU")
    print(f"  detect_in_upload                 {phone['detect_ms']:7.1f} ms CPU   "
          f"{phone['detect_ms'] / phone['decode_ms']:5.1f} x baseline ({phone['boxes']} boxes)")
    if args.compare:
        print("\nOther detectors on the same photos (each on the 960x720 picture, IoU ≥ 0.3):")
        compare_detectors()


if __name__ == "__main__":
    main()

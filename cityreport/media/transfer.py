"""Copying stored photos from one storage to another (`cityreport media migrate`), e.g. from local disk
into an S3 bucket.

Safe to stop at any point and to run again: it first lists what the target already holds and copies
only the rest. Both storages write a key whole or not at all (a rename on disk, a single PUT in S3),
so a killed run leaves no half-copied object that a rerun would take for done. Keys are content
hashes, so every copy is checked against its key before it is written: a damaged source file is
reported, never copied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import select

from cityreport.extensions import db
from cityreport.media import rules
from cityreport.media.models import Photo
from cityreport.media.storage import Storage

BATCH = 1000


@dataclass
class CopyResult:
    referenced: int = 0  # distinct keys the photo rows refer to
    already_there: int = 0
    copied: int = 0
    copied_bytes: int = 0
    missing: list[str] = field(default_factory=list)  # referenced, but not in the source
    damaged: list[str] = field(default_factory=list)  # in the source, but the bytes do not match the key
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.missing and not self.damaged


def referenced_keys(batch: int = BATCH) -> Iterator[str]:
    """Every key a photo row refers to (display and thumbnail), each once, read in batches by row id."""
    seen: set[str] = set()
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Photo.id, Photo.storage_key, Photo.thumbnail_key)
            .where(Photo.id > last_id).order_by(Photo.id).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            for key in (row.storage_key, row.thumbnail_key):
                if key not in seen:
                    seen.add(key)
                    yield key
        last_id = rows[-1].id


def copy_photos(source: Storage, target: Storage, *, jobs: int = 4,
                progress: Callable[[CopyResult], None] | None = None) -> CopyResult:
    """Copy every referenced photo file that `target` lacks from `source`, with `jobs` copies at a time."""
    started = time.monotonic()
    result = CopyResult()
    present = {key for key, _modified in target.list_keys()}

    def copy(key: str) -> tuple[str, int | None]:
        try:
            data = source.open(key)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return "missing", None
        if not rules.content_matches_key(key, data):
            return "damaged", None
        target.put(key, data, rules.content_type_for_key(key))
        return "copied", len(data)

    def settle(done: set[Future]) -> None:
        for future in done:
            key = pending.pop(future)
            outcome, size = future.result()  # a storage failure stops the run; a rerun resumes
            if outcome == "copied":
                result.copied += 1
                result.copied_bytes += size or 0
            else:
                getattr(result, outcome).append(key)
            if progress is not None:
                progress(result)

    pending: dict[Future, str] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for key in referenced_keys():
            result.referenced += 1
            if key in present:
                result.already_there += 1
                continue
            pending[pool.submit(copy, key)] = key
            if len(pending) >= jobs * 4:  # bounded: the key list may be long, the queue need not be
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                settle(done)
        settle(set(wait(pending).done))
    result.missing.sort()
    result.damaged.sort()
    result.seconds = time.monotonic() - started
    return result

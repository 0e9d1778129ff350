"""Where processed photos live. Local disk under MEDIA_ROOT by default; anything that implements
`Storage` (for example an S3-compatible bucket) can replace it through `get_storage()`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from flask import current_app

from cityreport.media import rules

INCOMING_PREFIX = ".incoming-"


class StorageKeyError(ValueError):
    """A key that this storage would not write: it could escape the storage root."""


@runtime_checkable
class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store data under key. Keys are content hashes, so putting an existing key is a no-op."""

    def open(self, key: str) -> bytes:
        """The stored bytes; FileNotFoundError when the key is unknown."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the key; removing a missing key is not an error."""

    def list_keys(self) -> Iterator[tuple[str, float]]:
        """Every stored key with its last-modified time (Unix seconds), for pruning unreferenced files."""


class LocalStorage:
    """Files on local disk. Writes go to a temporary file in the target directory and are renamed
    into place, so a reader never sees half a photo and a crash leaves no partial file under the key."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        if not key or key.startswith(("/", "\\")) or "\\" in key or "\x00" in key:
            raise StorageKeyError(key)
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageKeyError(key)
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=INCOMING_PREFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except StorageKeyError:
            return False

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def list_keys(self) -> Iterator[tuple[str, float]]:
        for path in self.root.glob("??/??/*"):
            key = path.relative_to(self.root).as_posix()
            if rules.is_valid_key(key):
                try:
                    yield key, path.stat().st_mtime
                except FileNotFoundError:  # deleted meanwhile
                    continue

    def remove_incomplete(self, before: float) -> int:
        """Remove temporary files a crashed writer left behind, if older than `before` (Unix seconds)."""
        removed = 0
        for path in self.root.glob(f"??/??/{INCOMING_PREFIX}*"):
            try:
                if path.stat().st_mtime < before:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def get_storage() -> Storage:
    """The configured storage for the current app: `MEDIA_STORAGE` if an app set one, else local disk."""
    configured = current_app.config.get("MEDIA_STORAGE")
    if configured is not None:
        return configured
    root = current_app.config["MEDIA_ROOT"]
    storages = current_app.extensions.setdefault("cityreport_media_storage", {})
    storage = storages.get(root)
    if storage is None:
        storage = storages[root] = LocalStorage(root)
    return storage

"""Where processed photos live: local disk under MEDIA_ROOT by default, or an S3-compatible bucket when
MEDIA_STORAGE is `s3://bucket/prefix`. Both implement `Storage`; `get_storage()` picks the configured one."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from flask import current_app
from flask_babel import gettext as _

from cityreport.errors import AppError
from cityreport.media import rules

log = logging.getLogger(__name__)

INCOMING_PREFIX = ".incoming-"


class StorageKeyError(ValueError):
    """A key that this storage would not write: it could escape the storage root."""


class StorageUnavailable(AppError):
    """The photo store cannot be reached or refused to work. Nothing was half-written: a request that
    hits this rolls back, and the client may try again."""

    status = 503
    code = "storage_unavailable"

    def __init__(self, detail: str = "") -> None:
        super().__init__(headers={"Retry-After": "30"})
        self.detail = detail

    def default_message(self) -> str:
        return _("Photos cannot be stored or shown right now. Please try again in a few minutes.")


def check_key(key: str) -> str:
    """Refuse keys that could mean something else than a name below the storage's root."""
    if (not key or key.startswith(("/", "\\")) or "\\" in key or "\x00" in key
            or any(part in {"", ".", ".."} for part in key.split("/"))):
        raise StorageKeyError(key)
    return key


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

    @property
    def location(self) -> str:
        """Where the photos are, as the operator names it: a directory or `s3://bucket/prefix`."""

    def check(self) -> None:
        """Raise StorageUnavailable unless the storage can be reached and used."""


class LocalStorage:
    """Files on local disk. Writes go to a temporary file in the target directory and are renamed
    into place, so a reader never sees half a photo and a crash leaves no partial file under the key."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()

    @property
    def location(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"LocalStorage({self.root})"

    def check(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StorageUnavailable(f"{self.root} is not a directory")

    def path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
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


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW), under an optional key prefix.

    A PUT is atomic in S3: an object appears whole or not at all, so a crash mid-write leaves nothing
    under the key. Each PUT carries Content-MD5, so the server refuses bytes damaged on the way.
    """

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None, addressing_style: str | None = None,
                 max_connections: int = 16) -> None:
        import boto3  # deferred: about 0.4 s to import; local-disk installs never pay it
        from botocore.config import Config  # deferred: part of boto3, as above

        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style or rules.default_addressing_style(endpoint_url)},
            connect_timeout=3, read_timeout=20, retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=max_connections,
            # Newer botocore adds CRC checksums and aws-chunked uploads that not every S3-compatible server
            # speaks; Content-MD5 (below) is the integrity check they all honour.
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
        )
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key, config=config)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def __repr__(self) -> str:
        return f"S3Storage({self.location}, endpoint={self.endpoint_url or 'AWS'})"

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _unavailable(self, action: str, key: str, exc: Exception) -> StorageUnavailable:
        log.error("photo storage %r: %s %s failed: %s", self, action, key, exc)
        return StorageUnavailable(f"{action} {key}: {exc}")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # Overwriting a content-addressed key with the same bytes changes nothing but its time, which
        # is right: prune then sees it as fresh while the request that wrote it commits.
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data,
                                   ContentType=content_type, ContentMD5=md5)
        except _errors() as exc:
            raise self._unavailable("put", key, exc) from exc

    def open(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
            return response["Body"].read()
        except _errors() as exc:
            if _is_not_found(exc):
                raise FileNotFoundError(key) from None
            raise self._unavailable("get", key, exc) from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except StorageKeyError:
            return False
        except _errors() as exc:
            if _is_not_found(exc):
                return False
            raise self._unavailable("head", key, exc) from exc
        return True

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except _errors() as exc:
            if not _is_not_found(exc):
                raise self._unavailable("delete", key, exc) from exc

    def list_keys(self) -> Iterator[tuple[str, float]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(self.prefix):]
                    if rules.is_valid_key(key):
                        yield key, item["LastModified"].timestamp()
        except _errors() as exc:
            raise self._unavailable("list", self.prefix or "/", exc) from exc

    def check(self) -> None:
        """Raise StorageUnavailable unless the bucket can be reached with these credentials."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except _errors() as exc:
            raise self._unavailable("head bucket", self.bucket, exc) from exc


def _errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError  # deferred: part of boto3, as above

    return BotoCoreError, ClientError


def _is_not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"NoSuchKey", "404", "NotFound"}


def open_storage(location: str | os.PathLike[str], config: Mapping[str, Any]) -> Storage:
    """A storage for `s3://bucket/prefix` (with the app's S3_* settings) or for a local directory."""
    if isinstance(location, str) and location.startswith(rules.S3_SCHEME):
        where = rules.parse_s3_url(location)
        return S3Storage(where.bucket, where.prefix, endpoint_url=config.get("S3_ENDPOINT_URL"),
                         region=config.get("S3_REGION"), access_key_id=config.get("S3_ACCESS_KEY_ID"),
                         secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
                         addressing_style=config.get("S3_ADDRESSING_STYLE"))
    return LocalStorage(location)


S3_SETTINGS = ("S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_ADDRESSING_STYLE")


def get_storage() -> Storage:
    """The configured storage for the current app: the MEDIA_STORAGE bucket if set, else MEDIA_ROOT.

    One per process and setting: an S3 client is costly to build, and its connections must not be
    shared across a fork (gunicorn, RQ's work horses)."""
    config = current_app.config
    location = config.get("MEDIA_STORAGE") or config["MEDIA_ROOT"]
    cache_key = (os.getpid(), location, *(config.get(name) for name in S3_SETTINGS))
    storages = current_app.extensions.setdefault("cityreport_media_storage", {})
    storage = storages.get(cache_key)
    if storage is None:
        storage = storages[cache_key] = open_storage(location, config)
    return storage

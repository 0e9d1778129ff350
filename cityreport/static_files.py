"""Static assets with content-hash cache busting: `url_for('static', ...)` adds `?v=<hash>`, and a
request carrying the current hash is cached for a year."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, request, send_from_directory
from flask_compress import Compress

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
YEAR = 365 * 24 * 3600
_hashes: dict[str, tuple[float, str]] = {}


def asset_hash(filename: str) -> str | None:
    path = (STATIC_DIR / filename).resolve()
    if STATIC_DIR not in path.parents or not path.is_file():
        return None
    mtime = path.stat().st_mtime
    cached = _hashes.get(filename)
    if cached and cached[0] == mtime:
        return cached[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _hashes[filename] = (mtime, digest)
    return digest


def init_app(app: Flask) -> None:
    _compression(app)

    @app.route("/static/<path:filename>", endpoint="static")
    def static(filename: str) -> Response:
        response = send_from_directory(STATIC_DIR, filename, max_age=0)
        version = request.args.get("v")
        if version and version == asset_hash(filename):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True
        return response

    @app.url_defaults
    def _bust(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = asset_hash(values["filename"])
            if digest:
                values["v"] = digest


def _compression(app: Flask) -> None:
    """Brotli (or gzip/deflate) for HTML, CSS, JS, JSON and SVG: a phone on a slow 3G connection gets the
    report page in a fraction of its size. Files are streamed, so they are compressed as they are sent."""

    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip", "deflate"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "text/css", "text/plain", "text/csv", "text/xml", "text/javascript", "application/javascript",
        "application/json", "application/geo+json", "application/manifest+json", "application/xml",
        "application/atom+xml", "image/svg+xml"])
    Compress(app)

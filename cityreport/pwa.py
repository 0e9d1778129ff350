"""The installable app: the service worker at the site root (so its scope is the whole site), the
offline page, and the list of app-shell files the service worker keeps."""

from __future__ import annotations

import hashlib
import json
import mimetypes

from flask import Blueprint, Response, render_template, url_for

from cityreport.static_files import STATIC_DIR

bp = Blueprint("pwa", __name__)

mimetypes.add_type("application/manifest+json", ".webmanifest")

# Files every page needs, cached when the service worker installs; their URLs carry the content hash,
# so a new deployment changes the list, which changes /sw.js, which makes browsers install the new one.
SHELL_ASSETS = (
    "css/app.css",
    "js/offline-queue.js",
    "js/map.js",
    "js/report-form.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
    "manifest.webmanifest",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
# Pages fetched when the service worker installs: the report form and the offline page.
SHELL_PAGES = ("pwa.offline", "reports.form")
# Pages whose last copy is kept for offline use when the resident opens them; anything else (staff
# pages above all) is never stored on the phone.
KEPT_PAGES = (*SHELL_PAGES, "reports.home")


def shell_urls() -> list[str]:
    assets = [url_for("static", filename=name) for name in SHELL_ASSETS if (STATIC_DIR / name).is_file()]
    return [url_for(endpoint) for endpoint in SHELL_PAGES] + assets


@bp.get("/sw.js")
def service_worker() -> Response:
    urls = shell_urls()
    config = {"version": hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12], "shell": urls,
              "offline": url_for("pwa.offline"), "pages": [url_for(e) for e in KEPT_PAGES],
              "queue": url_for("static", filename="js/offline-queue.js")}
    body = "self.CITYREPORT_SW = " + json.dumps(config) + ";\n" + (STATIC_DIR / "sw.js").read_text()
    response = Response(body, mimetype="text/javascript")
    # The browser checks for a new worker on navigation; it must never get a stale copy from a cache.
    response.cache_control.no_cache = True
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline() -> str:
    return render_template("pwa/offline.html")

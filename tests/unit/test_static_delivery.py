"""Static assets: cache-busted URLs cached for a year, compressed text, the service worker at the root."""

from __future__ import annotations

import json

import brotli
import pytest

from cityreport import create_app
from tests.conftest import test_config as make_config


@pytest.fixture(scope="module")
def app():
    return create_app(make_config())


def test_versioned_asset_is_cached_for_a_year_and_sent_with_brotli(app):
    client = app.test_client()
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename="vendor/leaflet/leaflet.js")
    assert "?v=" in url
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.immutable
    body = brotli.decompress(response.get_data())
    assert body.startswith(b"/* @preserve") and len(response.get_data()) < len(body) / 3


def test_unversioned_asset_is_revalidated(app):
    response = app.test_client().get("/static/css/app.css")
    assert response.cache_control.no_cache


def test_manifest_describes_an_installable_app(app):
    response = app.test_client().get("/static/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["start_url"] == "/report" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert app.test_client().get("/static/" + icon["src"]).status_code == 200


def test_service_worker_is_served_from_the_root_with_the_shell_list(app):
    response = app.test_client().get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.cache_control.no_cache
    assert response.headers["Service-Worker-Allowed"] == "/"
    text = response.get_data(as_text=True)
    config = json.loads(text.split("\n", 1)[0].removeprefix("self.CITYREPORT_SW = ").rstrip(";"))
    assert "/report" in config["shell"] and "/offline" in config["shell"]
    assert any(url.startswith("/static/vendor/leaflet/leaflet.js?v=") for url in config["shell"])
    assert not any(url.startswith("/staff") for url in config["shell"])
    assert "addEventListener(\"fetch\"" in text

"""Browser tests: a live server on a random port and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"


class LiveServer:
    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture()
def live_server(app, committed) -> Iterator[LiveServer]:
    """The app served for real, against committed data (emptied after the test by `committed`)."""
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser):
    """A Romanian phone: 390x844, ro-RO, in a fresh browser context.

    Service workers are blocked: their background fetches would outlive the test and race the table
    truncation; tests of the offline app (tests/e2e/test_offline.py) make their own context."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="ro-RO", service_workers="block")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def add_roads_city(db, *, department_slug: str, categories: dict[str, tuple[str, str]]) -> dict:
    """Commit-ready setup shared by browser tests: the test city, one roads department (also the
    fallback) and the given categories (code -> (Romanian name, English name)), all in the Roads group."""
    from cityreport.departments.models import Category, Department
    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.routing.models import Jurisdiction
    from tests.conftest import CITY_BOX

    db.add(Jurisdiction(slug="test-city", name="Test City", population=1000,
                        boundary=element_from_shape(as_multipolygon(CITY_BOX))))
    roads = Department(slug=department_slug, name_ro="Drumuri", name_en="Roads", is_fallback=True)
    db.add(roads)
    db.flush()
    made = {code: Category(code=code, name_ro=ro, name_en=en, group_ro="Drumuri", group_en="Roads",
                           default_department_id=roads.id) for code, (ro, en) in categories.items()}
    db.add_all(made.values())
    db.flush()
    return made

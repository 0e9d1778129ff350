"""A weak signal: the report is kept on the phone, sent when the connection returns, and filed once."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from cityreport.departments.models import Category, Department
from cityreport.geo import as_multipolygon, element_from_shape
from cityreport.media.models import Photo
from cityreport.reports.models import Report
from cityreport.routing.models import Jurisdiction
from tests.conftest import CITY_BOX
from tests.e2e.conftest import PHONE, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture()
def city(committed):
    committed.add(Jurisdiction(slug="test-city", name="Test City", population=1000,
                               boundary=element_from_shape(as_multipolygon(CITY_BOX))))
    roads = Department(slug="roads", name_ro="Drumuri", name_en="Roads", is_fallback=True)
    committed.add(roads)
    committed.flush()
    committed.add(Category(code="pothole", name_ro="Groapă în carosabil", name_en="Pothole", group_ro="Drumuri",
                           group_en="Roads", default_department_id=roads.id))
    committed.commit()


@pytest.fixture()
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="ro-RO")
    try:
        yield context
    finally:
        context.close()


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (120, 90, 60)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _fill(page, description: str) -> None:
    page.select_option("#category", "pothole")
    page.fill("#lat", "46.7700")
    page.fill("#lon", "23.6200")
    page.fill("#description", description)
    page.set_input_files("#photos", files=[{"name": "IMG_1.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])


def _reports(db) -> list[Report]:
    db.expire_all()
    return list(db.scalars(select(Report).order_by(Report.id)))


def test_offline_submission_is_saved_and_sent_once_when_back_online(live_server, phone, city, committed):
    page = phone.new_page()
    page.goto(live_server.url + "/report")
    # The service worker has cached the app shell: the form opens again with no network at all.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    phone.set_offline(True)
    page.reload()
    assert page.locator("#report-form").count() == 1
    assert page.evaluate("navigator.onLine") is False

    _fill(page, "Groapă mare, trimisă fără semnal")
    page.click("#report-form button[type=submit]")
    status = page.locator("#queue-status")
    status.get_by_text("salvată pe acest telefon").wait_for(timeout=10000)
    assert status.get_attribute("role") == "status"
    assert page.evaluate("CityReportQueue.pending().then(p => p.length)") == 1
    stored = page.evaluate("CityReportQueue.pending().then(p => ({photos: p[0].photos.length, "
                           "blob: p[0].photos[0].blob instanceof Blob, key: p[0].key}))")
    assert stored["photos"] == 1 and stored["blob"] and len(stored["key"]) == 36
    screenshot(page, "offline-saved-ro")
    assert _reports(committed) == []

    phone.set_offline(False)
    status.get_by_text("a fost trimisă").wait_for(timeout=15000)
    screenshot(page, "offline-sent-ro")
    reports = _reports(committed)
    assert len(reports) == 1
    assert reports[0].idempotency_key == stored["key"]
    assert reports[0].description == "Groapă mare, trimisă fără semnal"
    assert committed.scalar(select(func.count()).select_from(Photo).where(Photo.report_id == reports[0].id)) == 1
    assert page.evaluate("CityReportQueue.pending().then(p => p.length)") == 0

    # Another page load, another `online` event: nothing left to send, nothing sent twice.
    page.goto(live_server.url + "/")
    page.evaluate("CityReportQueue.flush()")
    assert len(_reports(committed)) == 1


def test_a_lost_answer_is_retried_with_the_same_key_and_files_one_report(live_server, phone, city, committed):
    page = phone.new_page()
    page.goto(live_server.url + "/report")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # installed: no fetch left in flight
    lost, retries = [], []

    def lose_the_answer(route):
        # The server stores the report, but the phone never hears back (the signal dropped).
        route.fetch()
        lost.append(route.request.headers)
        route.abort("connectionreset")

    page.route("**/report", lambda route: lose_the_answer(route) if route.request.method == "POST"
               else route.continue_())
    # The retry may come from the page or from the service worker's Background Sync.
    phone.on("request", lambda r: retries.append(r.headers.get("idempotency-key"))
             if r.method == "POST" and r.url.endswith("/api/v1/reports") else None)
    _fill(page, "Stâlp de iluminat stins")
    page.click("#report-form button[type=submit]")
    page.locator("#queue-status").get_by_text("a fost trimisă").wait_for(timeout=15000)

    reports = _reports(committed)
    assert lost, "the first answer must have been lost"
    assert len(reports) == 1, "the retry must return the stored report, not file a second one"
    assert retries and set(retries) == {reports[0].idempotency_key}
    assert str(reports[0].id) in page.locator("#queue-status").inner_text()
    assert page.evaluate("CityReportQueue.pending().then(p => p.length)") == 0

"""A resident on a phone files a report with a photo, without map tiles, and lands on the report's page."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image
from sqlalchemy import select

from cityreport.media.models import Photo
from cityreport.reports.models import Report
from cityreport.reports.services import NewReport, create_report
from tests.e2e.conftest import add_roads_city, screenshot

pytestmark = pytest.mark.e2e


def _phone_photo() -> bytes:
    """A 4000x3000 camera-like JPEG: several MB before the browser shrinks it."""
    image = Image.frombytes("RGB", (1000, 750), os.urandom(1000 * 750 * 3)).resize((4000, 3000))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


@pytest.fixture()
def city(committed):
    db = committed
    pothole = add_roads_city(db, department_slug="roads",
                             categories={"pothole": ("Groapă în carosabil", "Pothole")})["pothole"]
    existing = create_report(NewReport(category=pothole, lat=46.7702, lon=23.6202,
                                       description="Groapă adâncă lângă stația de autobuz"), notify=False)
    db.commit()
    return {"existing_id": existing.id}


def test_phone_files_a_report_with_a_photo_and_sees_its_number(live_server, page, city, committed):
    photo = _phone_photo()
    uploads = []
    page.on("request", lambda r: uploads.append(len(r.post_data_buffer or b""))
            if r.method == "POST" and r.url.endswith("/report") else None)
    page.goto(live_server.url + "/report")
    assert page.viewport_size == {"width": 390, "height": 844}
    page.select_option("#category", "pothole")
    # Keyboard path: no map tiles are configured, the coordinates are typed.
    page.fill("#lat", "46,7700")
    page.fill("#lon", "23.6200")
    page.locator("#lon").press("Tab")
    page.locator("#nearby a[href$='#follow']").first.wait_for(timeout=5000)
    assert page.locator(f"#nearby a[href='/reports/{city['existing_id']}#follow']").count() == 1
    assert page.locator(".leaflet-marker-icon").count() == 1  # the pin followed the typed coordinates
    page.fill("#description", "Capac de canal lipsă pe trotuar")
    page.set_input_files("#photos", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.fill("#email", "rezident@example.ro")
    screenshot(page, "report-form-filled")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/reports/\d+$"), timeout=20000)

    report_id = int(page.url.rsplit("/", 1)[1])
    assert str(report_id) in page.locator("h1").inner_text()
    assert str(report_id) in page.locator(".flash").inner_text()
    assert page.locator(".photos img").count() == 1
    assert "rezident@example.ro" not in page.content()
    assert uploads and uploads[0] < len(photo) / 3, "the photo must be shrunk on the phone before upload"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "report-page")

    committed.expire_all()
    report = committed.get(Report, report_id)
    assert report.reporter_email == "rezident@example.ro"
    assert committed.scalars(select(Photo).where(Photo.report_id == report_id)).one().width == 1600

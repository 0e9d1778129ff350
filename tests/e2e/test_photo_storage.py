"""Photos in the S3 bucket, in the browser: a resident on a phone files a report with a photo, which lands in
the bucket (Ceph's RADOS Gateway on loopback) and shows on the report's page; a clerk at a desk marks the
report invalid and still sees the photo; the public's browser, which has the photo cached, no longer gets it."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from cityreport.media.models import Photo
from cityreport.staff.accounts import create_staff
from tests.e2e.conftest import add_roads_city, screenshot
from tests.integration.conftest import BUCKET, bucket_objects, rgw, s3  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e

PASSWORD = "parola-lunga-de-test"
DESK = {"width": 1366, "height": 768}


def _phone_photo() -> bytes:
    """A 3200x2400 camera-sized picture of a street with a pothole: sky, asphalt, a dark hole."""
    sky = Image.linear_gradient("L").resize((3200, 1000)).point(lambda v: 255 - v // 3)
    image = Image.new("RGB", (3200, 2400), (92, 94, 98))
    image.paste(Image.merge("RGB", (sky.point(lambda v: v // 2), sky.point(lambda v: v * 3 // 4), sky)), (0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 2150, 3200, 2400), fill=(150, 150, 145))
    draw.ellipse((1200, 1500, 2100, 1900), fill=(35, 33, 30))
    image = Image.blend(image, Image.effect_noise((3200, 2400), 30).convert("RGB"), 0.15)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture()
def city(committed, app, rgw, s3, monkeypatch):  # noqa: F811
    prefix = f"e2e-{os.urandom(4).hex()}/"
    monkeypatch.setitem(app.config, "MEDIA_STORAGE", f"s3://{BUCKET}/{prefix}")
    for name, value in rgw.settings().items():
        monkeypatch.setitem(app.config, name, value)
    add_roads_city(committed, department_slug="roads", categories={"pothole": ("Groapă în carosabil", "Pothole")})
    create_staff(email="clerk@city.test", name="Georgiana Pavel", role="staff", password=PASSWORD,
                 department_slug="roads")
    committed.commit()
    return prefix


def _shown(page, selector: str) -> bool:
    """Every image of `selector` loaded and decoded (lazy images are scrolled to first)."""
    page.locator(selector).first.scroll_into_view_if_needed()
    page.wait_for_function(f"[...document.querySelectorAll({selector!r})]"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
    return True


def test_a_photo_from_the_bucket_is_public_until_the_report_is_marked_invalid(
        live_server, page, browser, city, committed, s3):  # noqa: F811
    base = live_server.url
    page.goto(base + "/report")
    page.select_option("#category", "pothole")
    page.fill("#lat", "46.7700")
    page.fill("#lon", "23.6200")
    page.fill("#description", "Capac de canal lipsă pe trotuar, lângă școală")
    page.set_input_files("#photos", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg",
                                            "buffer": _phone_photo()}])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/reports/\d+$"), timeout=20000)
    report_id = int(page.url.rsplit("/", 1)[1])
    assert _shown(page, ".photos img")
    screenshot(page, "photo-storage-report-phone")

    committed.expire_all()
    photo = committed.scalars(select(Photo).where(Photo.report_id == report_id)).one()
    stored = bucket_objects(s3, city)
    assert set(stored) == {photo.storage_key, photo.thumbnail_key}  # in the bucket, not on local disk
    display_url = f"{base}/media/{photo.storage_key}"
    first = page.request.get(display_url)
    assert first.status == 200 and first.body() == stored[photo.storage_key]
    assert first.headers["cache-control"] == "public, no-cache"

    clerk = browser.new_context(viewport=DESK, locale="ro-RO", service_workers="block").new_page()
    clerk.goto(base + "/staff/login")
    clerk.fill("#email", "clerk@city.test")
    clerk.fill("#password", PASSWORD)
    clerk.click("button[type=submit]")
    clerk.wait_for_url("**/staff/queue")
    clerk.goto(f"{base}/staff/reports/{report_id}")
    clerk.select_option("#status", "invalid")
    clerk.fill("#internal_note", "Fotografie fără legătură cu orașul")
    clerk.click("#status-form button[type=submit]")
    clerk.wait_for_url(f"**/staff/reports/{report_id}")
    assert _shown(clerk, "img[src*='/media/']")  # the clerk still sees it
    screenshot(clerk, "photo-storage-staff-desk")

    # The resident's browser had the photo: revalidating it now answers 404, and so does the page.
    again = page.request.get(display_url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status == 404
    assert page.goto(f"{base}/reports/{report_id}").status == 404
    clerk.context.close()

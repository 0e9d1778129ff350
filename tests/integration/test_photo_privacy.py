"""A photo is public only while its report is (issue 12, §1.9), on local disk and in the S3 bucket.

Hiding a report takes its photos away from the public at once: a cache that has seen a photo must
revalidate it on every use, and the revalidation (a conditional request with the old ETag) answers 404.
Staff who may view the report still see its photos, never stored by a shared cache.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cityreport.extensions import db
from cityreport.media.services import photo_url, process_upload, store_photos
from tests.integration.staff_helpers import (
    english,  # noqa: F401  (autouse)
    sign_in,
)


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture()
def clerk(make_staff, make_department):
    return make_staff(department=make_department())


@pytest.fixture()
def report(create_report, make_category, clerk, media_backend):
    return create_report(category=make_category(default_department=clerk.department))


@pytest.fixture()
def photo(app, report):
    (row,) = store_photos(report.id, [process_upload(_jpeg((30, 120, 60)))])
    with app.test_request_context():
        return row, photo_url(row), photo_url(row, "thumbnail")


def _post_status(client, report, status, **form):
    return client.post(f"/staff/reports/{report.id}/status", data={"status": status, "version": report.version,
                                                                    **form})


def test_a_public_photo_may_be_cached_but_is_revalidated_every_time(client, photo):
    _row, display, thumbnail = photo
    for url in (display, thumbnail):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.cache_control.public and response.cache_control.no_cache
        assert not response.cache_control.immutable and not response.cache_control.max_age
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag and again.cache_control.no_cache


def test_marking_a_report_invalid_takes_its_photos_from_the_public_at_once(app, report, photo, clerk):
    _row, display, thumbnail = photo
    public = app.test_client()
    etags = {url: public.get(url).headers["ETag"] for url in (display, thumbnail)}  # a cache has seen them

    staff = app.test_client()
    assert sign_in(staff, clerk).status_code == 303
    assert _post_status(staff, report, "invalid", internal_note="spam").status_code == 303

    for url, etag in etags.items():
        for headers in ({}, {"If-None-Match": etag}):  # a fresh fetch, and a cache revalidating its copy
            response = public.get(url, headers=headers)
            assert response.status_code == 404, (url, headers)
            assert response.headers["Cache-Control"] == "no-store"
            assert b"\xff\xd8" not in response.data

    # The department's clerk still sees them, and nothing may store that answer.
    seen = staff.get(display)
    assert seen.status_code == 200 and seen.data[:2] == b"\xff\xd8"
    assert seen.cache_control.private and seen.cache_control.no_store and not seen.cache_control.public

    # Reopening makes the report, and so its photos, public again.
    db.session.refresh(report)
    assert _post_status(staff, report, "acknowledged").status_code == 303
    assert public.get(display).status_code == 200


def test_a_hidden_report_keeps_its_photos_from_the_public_and_other_departments(
        app, client, report, photo, make_staff, make_department):
    _row, display, thumbnail = photo
    report.hidden = True  # moderation hides a report without closing it
    db.session.flush()
    assert client.get(display).status_code == 404
    assert client.get(thumbnail).status_code == 404

    other = app.test_client()
    assert sign_in(other, make_staff(department=make_department())).status_code == 303
    assert other.get(display).status_code == 404  # not their report: not even its existence shows

    admin = app.test_client()
    assert sign_in(admin, make_staff(role="city_admin")).status_code == 303
    assert admin.get(display).status_code == 200


def test_a_photo_sent_with_two_reports_stays_public_while_one_of_them_is(client, create_report, report, photo):
    row, display, _thumbnail = photo
    same = create_report(category=report.category)
    (copy,) = store_photos(same.id, [process_upload(_jpeg((30, 120, 60)))])
    assert copy.storage_key == row.storage_key  # content-addressed: one stored file, two rows
    report.hidden = True
    db.session.flush()
    assert client.get(display).status_code == 200
    same.hidden = True
    db.session.flush()
    assert client.get(display).status_code == 404


def test_serving_a_public_photo_costs_one_query(client, photo, count_queries):
    _row, display, _thumbnail = photo
    etag = client.get(display).headers["ETag"]
    with count_queries() as counter:
        assert client.get(display).status_code == 200
    assert counter.count == 1, counter.statements
    with count_queries() as counter:
        assert client.get(display, headers={"If-None-Match": etag}).status_code == 304
    assert counter.count == 1, counter.statements

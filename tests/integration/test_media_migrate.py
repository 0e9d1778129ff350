"""`cityreport media migrate`: local disk → the S3 bucket (a real Ceph RADOS Gateway), resumable and safe
to run twice, including after being killed mid-run."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from cityreport.extensions import db
from cityreport.media import rules
from cityreport.media.models import Photo
from cityreport.media.services import process_upload, store_photos
from cityreport.media.storage import LocalStorage
from cityreport.reports.services import NewReport, create_report
from tests.conftest import CENTER, TEST_DATABASE_URL, TEST_REDIS_URL
from tests.integration.conftest import BUCKET, bucket_objects
from tests.integration.intake_helpers import jpeg
from tests.integration.notify.conftest import city

CLI = str(Path(sys.executable).parent / "cityreport")


def _prefix(location: str) -> str:
    return location.split("/", 3)[3]


def _put(storage: LocalStorage, data: bytes, variant: str) -> str:
    key = rules.storage_key(hashlib.sha256(data).hexdigest(), variant)
    storage.put(key, data, "image/jpeg")
    return key


def test_migrate_copies_every_referenced_photo_once_and_a_rerun_copies_nothing(
        app, runner, create_report, s3, s3_location, tmp_path, monkeypatch):
    source = LocalStorage(tmp_path / "media")
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(source.root))
    with app.test_request_context():
        rows = [row for colour in ((200, 30, 30), (30, 200, 30), (30, 30, 200))
                for row in store_photos(create_report().id, [process_upload(jpeg(900, 700, color=colour))])]
    orphan = _put(source, b"a rolled-back upload", rules.DISPLAY)
    expected = {key: source.open(key) for row in rows for key in (row.storage_key, row.thumbnail_key)}

    first = runner.invoke(args=["media", "migrate", "--to", s3_location])
    assert first.exit_code == 0, first.output
    assert "6 photo files referenced: 6 copied" in first.output and "0 missing, 0 damaged" in first.output
    assert bucket_objects(s3, _prefix(s3_location)) == expected  # the orphan stays behind
    assert orphan not in expected

    again = runner.invoke(args=["media", "migrate", "--to", s3_location])
    assert again.exit_code == 0, again.output
    assert "0 copied (0.0 MB), 6 already there" in again.output
    assert bucket_objects(s3, _prefix(s3_location)) == expected

    # Switched over, the app serves the same photos from the bucket.
    monkeypatch.setitem(app.config, "MEDIA_STORAGE", s3_location)
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "empty"))
    response = app.test_client().get(f"/media/{rows[0].storage_key}")
    assert response.status_code == 200 and response.data == expected[rows[0].storage_key]


def test_migrate_reports_missing_and_damaged_files_and_copies_neither(
        app, runner, create_report, s3, s3_location, tmp_path):
    source = LocalStorage(tmp_path / "media")
    report = create_report()
    keys = [_put(source, f"photo {n}".encode(), rules.DISPLAY) for n in range(3)]
    for n, key in enumerate(keys):
        db.session.add(Photo(report_id=report.id, position=n, storage_key=key, thumbnail_key=key, width=1,
                             height=1, bytes=7, sha256="0" * 64))
    db.session.flush()
    source.path(keys[1]).write_bytes(b"bit rot")
    source.delete(keys[2])

    result = runner.invoke(args=["media", "migrate", "--from", str(source.root), "--to", s3_location])
    assert result.exit_code == 1, result.output
    assert f"damaged in the source (bytes do not match the key), not copied: {keys[1]}" in result.output
    assert f"missing in the source: {keys[2]}" in result.output
    assert "3 photo files referenced: 1 copied" in result.output
    assert bucket_objects(s3, _prefix(s3_location)) == {keys[0]: b"photo 0"}


def test_migrate_refuses_a_bad_target_with_a_clear_message(runner, s3_location):
    for target, message in (("s3://No_Such", "not a valid bucket name"), ("s3://missing-bucket/x", "unavailable")):
        result = runner.invoke(args=["media", "migrate", "--to", target])
        assert result.exit_code != 0 and message in result.output, result.output


def test_migrate_killed_mid_run_resumes_and_leaves_every_object_once_with_its_bytes(
        app, committed, rgw, s3, s3_location, tmp_path, monkeypatch):
    _department, category = city(db.session)
    report = create_report(NewReport(category=category, lat=CENTER[0], lon=CENTER[1], description="Groapă"))
    source = LocalStorage(tmp_path / "media")
    rng = random.Random(19)
    expected: dict[str, bytes] = {}
    for n in range(100):
        display, thumbnail = rng.randbytes(40_000), rng.randbytes(8_000)
        row = Photo(report_id=report.id, position=n, storage_key=_put(source, display, rules.DISPLAY),
                    thumbnail_key=_put(source, thumbnail, rules.THUMBNAIL), width=1, height=1,
                    bytes=len(display), sha256=hashlib.sha256(display).hexdigest())
        db.session.add(row)
        expected[row.storage_key], expected[row.thumbnail_key] = display, thumbnail
    db.session.commit()

    env = {**os.environ, "CITYREPORT_ENV": "testing", "DATABASE_URL": TEST_DATABASE_URL, "REDIS_URL": TEST_REDIS_URL,
           "SECRET_KEY": "test-secret-key", "MEDIA_ROOT": str(source.root), **rgw.settings()}
    command = [CLI, "media", "migrate", "--to", s3_location, "--jobs", "2"]
    prefix = _prefix(s3_location)

    def in_bucket() -> int:
        return s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("KeyCount", 0)

    killed = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while in_bucket() < 40 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    copied_before_kill = in_bucket()
    assert killed.returncode == -signal.SIGKILL
    assert 0 < copied_before_kill < len(expected), "the kill must land mid-run"

    # The rerun, and one more: in this process (the same command; it saves a second start-up).
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(source.root))
    resumed = app.test_cli_runner().invoke(args=command[1:])
    assert resumed.exit_code == 0, resumed.output
    assert (f"200 photo files referenced: {len(expected) - copied_before_kill} copied"
            in resumed.output), resumed.output
    assert f"{copied_before_kill} already there" in resumed.output

    twice = app.test_cli_runner().invoke(args=command[1:])
    assert twice.exit_code == 0 and "0 copied (0.0 MB), 200 already there" in twice.output, twice.output

    stored = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix, MaxKeys=1000)["Contents"]
    # Each key once, nothing else (no temporary or partial objects), each with its bytes: a single-part
    # PUT's ETag is the MD5 of what the server stored.
    assert sorted(item["Key"][len(prefix):] for item in stored) == sorted(expected)
    assert {item["Key"][len(prefix):]: item["ETag"].strip('"') for item in stored} == {
        key: hashlib.md5(data).hexdigest() for key, data in expected.items()}

"""Photo storage backends for the integration tests: local disk, and a real S3 server (Ceph's RADOS
Gateway, tests/rgw.py) started once per session on loopback when a test first asks for it."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests import rgw as rgw_server

BUCKET = "cityreport-test"


@pytest.fixture(scope="session")
def rgw() -> Iterator[rgw_server.RadosGateway]:
    gateway = rgw_server.start()
    try:
        yield gateway
    finally:
        gateway.stop()
        shutil.rmtree(gateway.root, ignore_errors=True)


def s3_client(gateway: rgw_server.RadosGateway) -> Any:
    """A plain boto3 client, independent of the app's S3Storage, to check what really is in the bucket."""
    import boto3
    from botocore.config import Config

    settings = gateway.settings()
    return boto3.client("s3", endpoint_url=settings["S3_ENDPOINT_URL"], region_name=settings["S3_REGION"],
                        aws_access_key_id=settings["S3_ACCESS_KEY_ID"],
                        aws_secret_access_key=settings["S3_SECRET_ACCESS_KEY"],
                        config=Config(s3={"addressing_style": "path"}))


@pytest.fixture(scope="session")
def s3(rgw) -> Any:
    client = s3_client(rgw)
    client.create_bucket(Bucket=BUCKET)
    return client


def bucket_objects(client: Any, prefix: str) -> dict[str, bytes]:
    """Every object under `prefix` (prefix stripped) with its bytes."""
    objects: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", ()):
            body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            objects[item["Key"][len(prefix):]] = body
    return objects


@pytest.fixture()
def s3_location(request, app, s3, rgw, monkeypatch) -> str:
    """A fresh prefix in the test bucket, with the app's S3 settings pointing at the gateway."""
    prefix = f"test-{uuid.uuid4().hex[:12]}/"
    for name, value in rgw.settings().items():
        monkeypatch.setitem(app.config, name, value)
    return f"s3://{BUCKET}/{prefix}"


@pytest.fixture(params=["local", "s3"])
def media_backend(request, app, monkeypatch) -> str:
    """Run the test once with photos on local disk and once in the S3 bucket (a prefix of its own)."""
    if request.param == "s3":
        location = request.getfixturevalue("s3_location")
        monkeypatch.setitem(app.config, "MEDIA_STORAGE", location)
    else:
        monkeypatch.setitem(app.config, "MEDIA_STORAGE", None)
    return request.param

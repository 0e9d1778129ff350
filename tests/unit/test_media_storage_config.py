"""MEDIA_STORAGE and the S3 settings: what start-up accepts and refuses, and the pure rules behind it."""

from __future__ import annotations

import hashlib

import pytest

from cityreport import config
from cityreport.media import rules


@pytest.mark.parametrize(("url", "bucket", "prefix"), [
    ("s3://photos", "photos", ""),
    ("s3://photos/", "photos", ""),
    ("s3://cityreport-photos/cluj", "cityreport-photos", "cluj/"),
    ("s3://city.photos/cluj/2026/", "city.photos", "cluj/2026/"),
    ("s3://abc//a//b", "abc", "a/b/"),
])
def test_s3_urls_give_the_bucket_and_a_normalised_prefix(url, bucket, prefix):
    assert rules.parse_s3_url(url) == rules.S3Location(bucket=bucket, prefix=prefix)


@pytest.mark.parametrize(("url", "says"), [
    ("photos", "s3://bucket/prefix"),
    ("https://s3.example.ro/photos", "s3://bucket/prefix"),
    ("s3://", "not a valid bucket name"),
    ("s3://ab", "not a valid bucket name"),
    ("s3://Photos", "not a valid bucket name"),
    ("s3://photos_2026", "not a valid bucket name"),
    ("s3://-photos", "not a valid bucket name"),
    ("s3://photos..cluj", "not a valid bucket name"),
    ("s3://192.168.1.10", "not a valid bucket name"),
    ("s3://" + "a" * 64, "not a valid bucket name"),
    ("s3://photos/../etc", "prefix part '..'"),
    ("s3://photos/cluj napoca", "prefix part"),
    ("s3://photos/x?versionId=1", "query or fragment"),
])
def test_bad_s3_urls_are_refused_saying_why(url, says):
    with pytest.raises(ValueError) as caught:
        rules.parse_s3_url(url)
    assert says in str(caught.value)


def test_content_matches_only_the_bytes_its_key_names():
    data = b"a photo"
    key = rules.storage_key(hashlib.sha256(data).hexdigest(), rules.DISPLAY)
    assert rules.content_matches_key(key, data)
    assert not rules.content_matches_key(key, data + b"!")
    assert not rules.content_matches_key("not/a/key.jpg", data)


def test_addressing_style_is_path_for_self_hosted_endpoints_and_virtual_for_aws():
    assert rules.default_addressing_style("http://minio:9000") == "path"
    assert rules.default_addressing_style(None) == "virtual"


def test_local_disk_is_the_default():
    loaded = config.load(env={})
    assert loaded["MEDIA_STORAGE"] is None and loaded["S3_REGION"] == "us-east-1"


def test_a_bucket_with_its_settings_is_accepted_also_under_the_prefixed_names():
    loaded = config.load(env={"CITYREPORT_MEDIA_STORAGE": "s3://photos/cluj", "S3_ENDPOINT_URL": "http://minio:9000",
                              "S3_ACCESS_KEY_ID": "key", "S3_SECRET_ACCESS_KEY": "secret",
                              "S3_ADDRESSING_STYLE": "virtual"})
    assert (loaded["MEDIA_STORAGE"], loaded["S3_ENDPOINT_URL"], loaded["S3_ADDRESSING_STYLE"]) == (
        "s3://photos/cluj", "http://minio:9000", "virtual")


@pytest.mark.parametrize(("env", "says"), [
    ({"MEDIA_STORAGE": "/srv/photos"}, "MEDIA_STORAGE must look like s3://bucket/prefix"),
    ({"MEDIA_STORAGE": "s3://Photos"}, "MEDIA_STORAGE 'Photos' is not a valid bucket name"),
    ({"S3_ACCESS_KEY_ID": "key"}, "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together"),
    ({"S3_SECRET_ACCESS_KEY": "secret"}, "must be set together"),
    ({"S3_ADDRESSING_STYLE": "dns"}, "S3_ADDRESSING_STYLE must be path or virtual"),
])
def test_start_up_refuses_storage_settings_that_cannot_work(env, says):
    with pytest.raises(config.ConfigError) as caught:
        config.load(env=env)
    assert says in str(caught.value)

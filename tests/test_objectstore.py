"""objectstore.py against the emulator over HTTP: s3:// URLs parsed strictly, put (SSE-KMS recorded by
S3), bounded get, paginated listing, and every failure one line naming the s3:// URL and the fix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pcicheck.errors import InputError
from pcicheck.objectstore import (
    KMS,
    NoSuchObject,
    ObjectStore,
    S3Location,
    client,
    local_or_s3,
    parse,
    parse_object,
)


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://packs", "packs", ""),
        ("s3://packs/", "packs", ""),
        ("s3://packs/daily", "packs", "daily/"),
        ("s3://packs/daily/", "packs", "daily/"),
        ("S3://packs//daily//2026/", "packs", "daily/2026/"),
        ("s3://my.packs-1/a b/c", "my.packs-1", "a b/c/"),
    ],
)
def test_urls_become_a_bucket_and_a_slash_ended_prefix(url: str, bucket: str, prefix: str) -> None:
    where = parse(url)
    assert where == S3Location(bucket, prefix)
    assert where.url("x.json") == f"s3://{bucket}/{prefix}x.json"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("s3://", "is not an S3 bucket name"),
        ("s3://Packs/a/", "is not an S3 bucket name"),
        ("s3://pa_cks/a/", "is not an S3 bucket name"),
        ("s3://ab/", "is not an S3 bucket name"),
        ("s3://a..b/", "is not an S3 bucket name"),
        ("s3://packs/a/../b/", "'..'"),
        ("s3://packs/a\\b/", "backslash"),
        ("https://packs/a/", "not an s3:// URL"),
    ],
)
def test_what_is_not_a_location_is_one_line_naming_it(url: str, why: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(url)
    assert why in str(caught.value) and str(caught.value).startswith(f"{url}: ")
    assert "s3://bucket/prefix/" in str(caught.value)


def test_an_object_url_is_its_location_and_its_name() -> None:
    assert parse_object("s3://packs/run/7/merged.json.gz") == (S3Location("packs", "run/7/"), "merged.json.gz")
    assert parse_object("s3://packs/merged.json") == (S3Location("packs"), "merged.json")
    for url in ("s3://packs", "s3://packs/", "s3://packs/run/"):
        with pytest.raises(InputError, match="names a prefix, not an object"):
            parse_object(url)
    with pytest.raises(InputError, match=r"'\.\.'"):
        parse_object("s3://packs/../merged.json")


def test_an_operand_is_a_path_unless_it_is_an_s3_url() -> None:
    assert local_or_s3("packs/a") == Path("packs/a")
    assert local_or_s3("s3://packs/a") == S3Location("packs", "a/")


@pytest.fixture
def bucket(client: Any) -> S3Location:
    client("s3").create_bucket(Bucket="packs")
    return S3Location("packs", "daily/")


def test_put_and_get_round_trip_and_sse_kms_is_recorded(bucket: S3Location, client: Any) -> None:
    store = ObjectStore()
    key_id = client("kms").create_key()["KeyMetadata"]["KeyId"]
    store.put(bucket, "a.json", b'{"a": 1}', kms_key=key_id)
    store.put(bucket, "plain.txt", b"plain")
    assert store.get(bucket, "a.json", 100) == b'{"a": 1}'
    head = client("s3").head_object(Bucket="packs", Key="daily/a.json")
    assert head["ServerSideEncryption"] == KMS and key_id in head["SSEKMSKeyId"]
    assert head_sse(client, "daily/plain.txt") != KMS


def head_sse(client: Any, key: str) -> str | None:
    return client("s3").head_object(Bucket="packs", Key=key).get("ServerSideEncryption")


def test_get_stops_past_its_limit_counting_what_streams(bucket: S3Location) -> None:
    store = ObjectStore()
    store.put(bucket, "big.bin", b"x" * 5000)
    assert store.get(bucket, "big.bin", 5000) == b"x" * 5000
    with pytest.raises(InputError) as caught:
        store.get(bucket, "big.bin", 4999, what="results document")
    assert str(caught.value) == (
        "s3://packs/daily/big.bin: results document is larger than 4999 bytes (pass a smaller results document)"
    )


def test_listing_walks_every_page(bucket: S3Location) -> None:
    s3 = client()
    calls: list[str] = []
    s3.meta.events.register("before-call.s3.ListObjectsV2", lambda **_: calls.append("list"))
    store = ObjectStore(s3, page_size=2)
    for n in range(5):
        store.put(bucket, f"p{n}/f.txt", b"%d" % n)
    store.put(S3Location("packs", "other/"), "f.txt", b"not listed")
    assert [(o.name, o.size) for o in store.objects(bucket)] == [(f"p{n}/f.txt", 1) for n in range(5)]
    assert len(calls) == 3  # 2 + 2 + 1
    calls.clear()
    store.put(bucket, "loose.txt", b"at the top")
    below, objects = store.children(bucket)
    assert [p.prefix for p in below] == [f"daily/p{n}/" for n in range(5)]
    assert [(o.name, o.size) for o in objects] == [("loose.txt", 10)]
    assert len(calls) == 3  # 6 entries, 2 a page


def test_a_missing_bucket_or_object_is_one_line_with_the_fix(bucket: S3Location) -> None:
    store = ObjectStore()
    with pytest.raises(InputError) as caught:
        list(store.objects(S3Location("no-such-bucket", "x/")))
    assert str(caught.value) == (
        "s3://no-such-bucket/x/: no such bucket (create the bucket, or check its name in the s3:// URL)"
    )
    with pytest.raises(InputError) as caught:
        store.put(S3Location("no-such-bucket"), "a", b"a")
    assert str(caught.value).startswith("s3://no-such-bucket/a: no such bucket")
    with pytest.raises(NoSuchObject) as missing:
        store.get(bucket, "absent.json", 10)
    assert str(missing.value) == "s3://packs/daily/absent.json: no such object (check the s3:// URL)"


def test_an_unreachable_endpoint_is_one_line(bucket: S3Location, monkeypatch: pytest.MonkeyPatch) -> None:
    from pcicheck.demo.emulator import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PCICHECK_AWS_RETRIES", "1")
    with pytest.raises(InputError) as caught:
        ObjectStore().get(bucket, "a.json", 10)
    assert str(caught.value).startswith("s3://packs/daily/a.json: cannot reach S3: ")
    assert str(caught.value).endswith("(check the network or AWS_ENDPOINT_URL)")


def test_access_denied_names_the_url_and_the_permission(monkeypatch: pytest.MonkeyPatch) -> None:
    """A moto server of its own that enforces IAM after its first three calls (INITIAL_NO_AUTH_ACTION_COUNT,
    read when moto starts, so not the shared in-process emulator): a user with no policy is refused."""
    import subprocess
    import sys
    import time
    import urllib.request

    import boto3

    from pcicheck.demo.emulator import FAKE_CREDENTIALS, free_port

    endpoint = f"http://127.0.0.1:{free_port()}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", endpoint.rsplit(":", 1)[1]],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.1)
        admin = {"endpoint_url": endpoint, "region_name": "us-east-1", **_keys(FAKE_CREDENTIALS)}
        boto3.client("s3", **admin).create_bucket(Bucket="packs")  # the three unauthenticated calls
        boto3.client("iam", **admin).create_user(UserName="reader")
        key = boto3.client("iam", **admin).create_access_key(UserName="reader")["AccessKey"]
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        store = ObjectStore()
        with pytest.raises(InputError) as caught:
            list(store.objects(S3Location("packs", "daily/")))
        assert str(caught.value).startswith("s3://packs/daily/: AccessDenied: ")
        assert str(caught.value).endswith(
            "(grant this identity s3:ListBucket on it, and use of its KMS key when one encrypts it)"
        )
        with pytest.raises(InputError) as caught:
            store.put(S3Location("packs", "daily/"), "a.json", b"{}", kms_key="alias/packs")
        assert "s3://packs/daily/a.json: AccessDenied: " in str(caught.value)
        assert "grant this identity s3:PutObject and kms:GenerateDataKey on it" in str(caught.value)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _keys(credentials: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
    }

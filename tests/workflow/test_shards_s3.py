"""Shard snapshots in S3, through the CLI against the emulator over HTTP: `collect --shard K/N -o
s3://bucket/prefix/` stores shard-K-of-N.json.gz under the prefix (SSE-KMS when asked), `merge
s3://bucket/prefix/` joins them exactly as it joins the same files from a folder, `evaluate s3://…` judges
the merged object as it judges the file, and a missing shard, a timed-out wait and an object past the
snapshot limit are refused in one line naming the s3:// URL."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcicheck.cli import main
from pcicheck.demo.emulator import Emulator, patched_environ
from pcicheck.errors import InputError
from pcicheck.inputfile import MAX_DOCUMENT_BYTES
from pcicheck.workflow.shards import shard_paths
from pcicheck.workflow.stored import read_snapshot_at
from tests.support.comparable import comparable
from tests.support.org_estate import ORG_SERVICES, accounts_yaml, org_accounts, seed_organisation

ACCOUNTS = org_accounts(3)
BUCKET = "scans"
RUN = f"s3://{BUCKET}/run-1/"
SHARD_NAMES = ("shard-0000-of-0002.json.gz", "shard-0001-of-0002.json.gz")


@dataclass(frozen=True)
class Stored:
    tmp: Path
    s3: Any
    kms_key: str
    folder: Path  # the same shard objects, downloaded


@pytest.fixture(scope="module")
def stored(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    """Three accounts behind cross-account roles, collected by 2 shards (the real CLI) into one prefix."""
    tmp = tmp_path_factory.mktemp("s3shards")
    emulator.reset()
    with patched_environ(emulator.env()):
        seed_organisation(emulator.endpoint, ACCOUNTS, ("us-east-1",))
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=emulator.endpoint)
        s3.create_bucket(Bucket=BUCKET)
        kms_key = boto3.client("kms", region_name="us-east-1", endpoint_url=emulator.endpoint).create_key()
        key_id = kms_key["KeyMetadata"]["KeyId"]
        listed = tmp / "accounts.yaml"
        listed.write_text(accounts_yaml(ACCOUNTS))
        for k in range(2):
            code = main(
                [
                    *("collect", "--aws", "--regions", "us-east-1", "--accounts", str(listed), "--allow-incomplete"),
                    *("-q", "--services", ORG_SERVICES, "--shard", f"{k}/2", "-o", RUN, "--out-kms-key", key_id),
                ]
            )
            assert code == 0
        folder = tmp / "shards"
        folder.mkdir()
        for name in SHARD_NAMES:
            (folder / name).write_bytes(s3.get_object(Bucket=BUCKET, Key=f"run-1/{name}")["Body"].read())
        yield Stored(tmp, s3, key_id, folder)


@pytest.fixture
def env(stored: Stored, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Stored:
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    return stored


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().err.strip()


def _copy(s3: Any, names: tuple[str, ...], prefix: str) -> None:
    for name in names:
        s3.copy_object(Bucket=BUCKET, Key=f"{prefix}{name}", CopySource={"Bucket": BUCKET, "Key": f"run-1/{name}"})


def test_each_shard_names_its_object_encrypted_with_the_kms_key(env: Stored) -> None:
    listed = env.s3.list_objects_v2(Bucket=BUCKET, Prefix="run-1/shard-")["Contents"]
    assert [o["Key"] for o in listed] == [f"run-1/{n}" for n in SHARD_NAMES]
    for name in SHARD_NAMES:
        head = env.s3.head_object(Bucket=BUCKET, Key=f"run-1/{name}")
        assert head["ServerSideEncryption"] == "aws:kms" and env.kms_key in head["SSEKMSKeyId"]
        assert json.loads(gzip.decompress((env.folder / name).read_bytes()))["request"]["aws"]["shard"]["count"] == 2


def test_merge_from_s3_equals_merge_from_files_and_evaluates_the_same(
    env: Stored, capsys: pytest.CaptureFixture[str]
) -> None:
    merged_url = RUN + "merged.json.gz"
    code, err = _run(capsys, "merge", RUN, "-o", merged_url, "--out-kms-key", env.kms_key)
    assert code == 0 and "2 shards, " in err and f"→ {merged_url}" in err, err
    local = env.tmp / "merged.json.gz"
    assert _run(capsys, "merge", str(env.folder), "-o", str(local), "-q")[0] == 0
    in_s3 = env.s3.get_object(Bucket=BUCKET, Key="run-1/merged.json.gz")
    assert in_s3["ServerSideEncryption"] == "aws:kms"
    assert in_s3["Body"].read() == local.read_bytes()  # the same shards make the same merged snapshot, to the byte
    doc = json.loads(gzip.decompress(local.read_bytes()))
    assert doc["request"]["aws"]["accounts"] == ACCOUNTS and len(doc["resources"]) > 10
    assert [s["file"] for s in doc["request"]["aws"]["partition"]["shards"]] == list(SHARD_NAMES)

    results = []
    for source, out in ((merged_url, "from-s3.json"), (str(local), "from-file.json")):
        code, err = _run(capsys, "evaluate", source, "-q", "--format", "json", "-o", str(env.tmp / out))
        assert code in (0, 1), err
        results.append(comparable(json.loads((env.tmp / out).read_text())))
    assert results[0] == results[1] and len(results[0]["results"]) > 50


def test_a_shard_alone_in_s3_is_not_evaluated(env: Stored, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, "evaluate", RUN + SHARD_NAMES[1], "-q")
    assert code == 2 and f"{RUN}{SHARD_NAMES[1]}: this snapshot is shard 1/2 of one collection" in err


def test_a_missing_shard_under_the_prefix_is_named(env: Stored, capsys: pytest.CaptureFixture[str]) -> None:
    _copy(env.s3, SHARD_NAMES[:1], "partial/")
    code, err = _run(capsys, "merge", f"s3://{BUCKET}/partial/", "-o", str(env.tmp / "never.json"))
    assert code == 2 and "\n" not in err
    assert f"1 shard snapshot missing: s3://{BUCKET}/partial/{SHARD_NAMES[1]}" in err
    code, err = _run(capsys, "merge", f"s3://{BUCKET}/empty/", "-o", str(env.tmp / "never.json"))
    assert code == 2 and f"s3://{BUCKET}/empty/shard-K-of-N.json.gz (none yet)" in err
    # Named one by one, the objects are checked as files are: the partition says which shard is absent.
    code, err = _run(capsys, "merge", f"s3://{BUCKET}/partial/{SHARD_NAMES[0]}", "-o", str(env.tmp / "never.json"))
    assert code == 2 and "shard 1/2 of partition sha256:" in err and "missing: 1 of 2 given" in err
    assert not (env.tmp / "never.json").exists()


def test_wait_polls_the_prefix_then_names_what_never_came(env: Stored, capsys: pytest.CaptureFixture[str]) -> None:
    _copy(env.s3, SHARD_NAMES[:1], "late/")
    started = time.monotonic()
    code, err = _run(capsys, "merge", f"s3://{BUCKET}/late/", "--wait", "0.5", "-o", str(env.tmp / "never.json"))
    assert time.monotonic() - started >= 0.5
    assert code == 2 and f"after 0.5 s, 1 shard snapshot missing: s3://{BUCKET}/late/{SHARD_NAMES[1]}" in err
    # A shard that lands while the merge waits is taken up by the next listing.
    found = shard_paths([f"s3://{BUCKET}/late/"], wait=60, sleep=lambda _: _copy(env.s3, SHARD_NAMES[1:], "late/"))
    assert found == [f"s3://{BUCKET}/late/{n}" for n in SHARD_NAMES]


def test_an_object_past_the_snapshot_limit_is_refused_as_a_file_is(env: Stored) -> None:
    url = RUN + SHARD_NAMES[0]
    size = (env.folder / SHARD_NAMES[0]).stat().st_size
    with pytest.raises(InputError) as in_s3:
        read_snapshot_at(url, limit=size - 1)
    with pytest.raises(InputError) as in_file:
        read_snapshot_at(str(env.folder / SHARD_NAMES[0]), limit=size - 1)
    assert str(in_s3.value).startswith(f"{url}: snapshot is larger than {size - 1} bytes")
    assert str(in_file.value).startswith(f"{env.folder / SHARD_NAMES[0]}: snapshot is larger than {size - 1} bytes")
    assert read_snapshot_at(url, limit=size).request["aws"]["shard"]["index"] == 0
    # Both default to the one limit every snapshot reader applies.
    assert read_snapshot_at.__kwdefaults__ == {"limit": MAX_DOCUMENT_BYTES}


def test_bad_destinations_fail_before_collecting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        ("-o", "s3://Not_A_Bucket/run/"): "'Not_A_Bucket' is not an S3 bucket name",
        ("-o", "s3://scans"): "s3://scans: names a prefix, not an object",
        ("-o", str(tmp_path / "s.json"), "--out-kms-key", "alias/x"): "--out-kms-key applies to a snapshot written",
    }
    for args, message in cases.items():
        started = time.monotonic()
        code, err = _run(capsys, "collect", "--aws", *args)
        assert code == 2 and message in err and time.monotonic() - started < 5, err

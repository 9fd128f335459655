"""`pcicheck history` over packs kept in S3 (the emulator, over HTTP): the same four packs, copied there by
`pcicheck report --out s3://…`, give the same history as from the folder; the history pack is written
back to S3 with SSE-KMS; a tampered object is refused naming its pack's URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcicheck.cli import main
from tests.history.conftest import CONTROL, SCANS, Packs


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.fixture
def s3_packs(history_packs: Packs, client: Any) -> Any:
    s3 = client("s3")
    s3.create_bucket(Bucket="packs")
    for name, _, _ in SCANS:
        pack = str(history_packs.folder / name)
        target = f"s3://packs/daily/{name.removesuffix('.zip')}/"
        assert main(["report", pack, "--out", target, "--sign-key", str(history_packs.private_key), "-q"]) == 0
    return s3


def test_history_from_and_to_s3(
    history_packs: Packs, s3_packs: Any, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    key_id = client("kms").create_key()["KeyMetadata"]["KeyId"]
    code, err = run(
        capsys, "history", "s3://packs/daily/", "--out", "s3://packs/history/", "--out-kms-key", key_id,
        "--pub-key", str(history_packs.public_key), "--require-signature",
    )  # fmt: skip
    assert code == 0, err
    assert "history of 4 scans (1 gaps) from s3://packs/daily/: 3 files in s3://packs/history/" in err
    stored = s3_packs.list_objects_v2(Bucket="packs", Prefix="history/")["Contents"]
    assert sorted(o["Key"] for o in stored) == ["history/history.json", "history/index.html", "history/manifest.json"]
    for o in stored:
        head = s3_packs.head_object(Bucket="packs", Key=o["Key"])
        assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"]
    doc = json.loads(s3_packs.get_object(Bucket="packs", Key="history/history.json")["Body"].read())
    assert [s["pack"] for s in doc["scans"]] == [
        "s3://packs/daily/monday/", "s3://packs/daily/a-tuesday/", "s3://packs/daily/wednesday/",
        "s3://packs/daily/0-saturday/",
    ]  # fmt: skip
    assert all(s["signature_checked"] for s in doc["scans"]) and len(doc["gaps"]) == 1

    assert run(capsys, "history", str(history_packs.folder), "--out", str(tmp_path / "local"))[0] == 0
    local = json.loads((tmp_path / "local" / "history.json").read_text())
    for key in ("gaps", "frameworks", "controls", "findings"):
        assert doc[key] == local[key], key
    control = next(c for c in doc["controls"] if c["id"] == CONTROL)
    assert control["statuses"] == ["pass", "fail", "pass", "pass"]

    code, err = run(capsys, "verify", "s3://packs/history/")
    assert code == 0 and "2 files match manifest.json" in err


def test_an_object_beside_the_packs_is_skipped(s3_packs: Any, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    s3_packs.put_object(Bucket="packs", Key="daily/old-pack.zip", Body=b"PK")
    code, err = run(capsys, "history", "s3://packs/daily/", "--out", str(tmp_path / "h"))
    assert code == 0, err
    assert "s3://packs/daily/old-pack.zip: skipped: an object, not a pack's prefix" in err


def test_a_tampered_object_is_refused_naming_its_pack(
    s3_packs: Any, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    s3_packs.put_object(Bucket="packs", Key="daily/wednesday/results.json", Body=b'{"schema": "forged"}')
    code, err = run(capsys, "history", "s3://packs/daily/", "--out", str(tmp_path / "h"))
    assert code == 2 and err.count("\n") == 1
    assert "s3://packs/daily/wednesday/: refused: fails verification: results.json: changed" in err
    assert not (tmp_path / "h").exists()

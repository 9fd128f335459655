"""Evidence packs in S3, through the CLI against the emulator over HTTP: `scan --out s3://…` writes the
same files as a folder pack (SSE-KMS on every object when asked), and verify, report and diff read
them as they read folders, with the same refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from pcicheck import paths
from pcicheck.cli import main

CLUSTER = str(paths.demo_dir() / "k8s-cluster.yaml")


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def keys(s3: Any, prefix: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket="packs", Prefix=prefix).get("Contents", [])
    return {o["Key"][len(prefix) :]: s3.get_object(Bucket="packs", Key=o["Key"])["Body"].read() for o in listed}


@pytest.fixture
def s3(client: Any) -> Any:
    made = client("s3")
    made.create_bucket(Bucket="packs")
    return made


def signing_keys(tmp_path: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "sign.pem", tmp_path / "sign.pub"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_a_pack_in_s3_holds_the_folder_packs_files_encrypted_with_the_kms_key(
    s3: Any, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    key_id = client("kms").create_key()["KeyMetadata"]["KeyId"]
    private, public = signing_keys(tmp_path)
    code, _, err = run(
        capsys, "scan", "--manifests", CLUSTER, "--out", "s3://packs/2026-12-07/", "--out-kms-key", key_id,
        "--sign-key", str(private),
    )  # fmt: skip
    assert code == 1 and "evidence pack: 9 files in s3://packs/2026-12-07/" in err
    run(capsys, "scan", "--manifests", CLUSTER, "--out", str(tmp_path / "folder"), "--sign-key", str(private))
    stored = keys(s3, "2026-12-07/")
    assert set(stored) == {p.name for p in (tmp_path / "folder").iterdir()}
    for name in stored:
        head = s3.head_object(Bucket="packs", Key=f"2026-12-07/{name}")
        assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"], name
    manifest = json.loads(stored["manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(stored) - {"manifest.json", "manifest.sig"}

    code, _, err = run(capsys, "verify", "s3://packs/2026-12-07", "--pub-key", str(public), "--require-signature")
    assert code == 0 and "s3://packs/2026-12-07: 7 files match signed manifest.json" in err


def test_verify_names_a_tampered_added_or_unsafe_object(s3: Any, capsys: pytest.CaptureFixture) -> None:
    assert run(capsys, "scan", "--manifests", CLUSTER, "--out", "s3://packs/p/")[0] == 1
    s3.put_object(Bucket="packs", Key="p/summary.md", Body=b"# all green\n")
    s3.put_object(Bucket="packs", Key="p/extra.txt", Body=b"x")
    code, _, err = run(capsys, "verify", "s3://packs/p/")
    lines = err.splitlines()
    assert code == 1
    assert "s3://packs/p/: summary.md: changed (SHA-256 differs from the manifest)" in lines
    assert "s3://packs/p/: extra.txt: added (not in the manifest)" in lines
    s3.put_object(Bucket="packs", Key="p/a/../results.json", Body=b"{}")
    code, _, err = run(capsys, "verify", "s3://packs/p/")
    assert code == 2 and err.count("\n") == 1
    assert "s3://packs/p/: key 'p/a/../results.json': its name climbs out of the pack (..)" in err


def test_report_and_diff_read_s3_packs_as_folders(s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run(capsys, "scan", "--manifests", CLUSTER, "--out", "s3://packs/a/")[0] == 1
    code, _, err = run(capsys, "report", "s3://packs/a/", "--out", "s3://packs/b/")
    assert code == 0 and "evidence pack: 7 files in s3://packs/b/" in err
    assert keys(s3, "a/")["results.json"] == keys(s3, "b/")["results.json"]
    code, _, err = run(capsys, "report", "s3://packs/a/", "--out", str(tmp_path / "local"))
    assert code == 0 and (tmp_path / "local" / "results.json").read_bytes() == keys(s3, "a/")["results.json"]
    code, out, _ = run(capsys, "diff", "s3://packs/a/", str(tmp_path / "local"), "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["new"] == [] and d["fixed"] == [] and len(d["unchanged"]) > 10
    assert d["baseline"] == "s3://packs/a/"


def test_what_cannot_be_stored_or_read_is_one_line(s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    s3.put_object(Bucket="packs", Key="used/notes.txt", Body=b"someone else's")
    code, _, err = run(capsys, "scan", "--manifests", CLUSTER, "--out", "s3://packs/used/")
    assert code == 2 and "s3://packs/used/: the prefix holds objects that are not part of this pack (notes.txt)" in err
    code, _, err = run(capsys, "scan", "--manifests", CLUSTER, "--out", "s3://packs/z/", "--zip")
    assert code == 2 and "a pack in S3 is stored as its files (drop --zip)" in err
    code, _, err = run(capsys, "scan", "--manifests", CLUSTER, "--out", str(tmp_path / "p"), "--out-kms-key", "k")
    assert code == 2 and "--out-kms-key applies to a pack written to S3" in err
    code, _, err = run(capsys, "scan", "--manifests", CLUSTER, "--out", "s3://no-such-bucket/p/")
    assert code == 2 and "s3://no-such-bucket/p/: no such bucket" in err
    code, _, err = run(capsys, "verify", "s3://packs/empty/")
    assert code == 2 and "s3://packs/empty/: no objects under this prefix: not an evidence pack" in err
    code, _, err = run(capsys, "diff", "s3://packs/used/", "s3://packs/used/")
    assert code == 2 and "s3://packs/used/: no results.json in the pack" in err
    for line in err.splitlines():
        assert "Traceback" not in line

"""The evidence pack through the CLI: scan --out (signed), pcicheck report from a saved results file
(as a zip), pcicheck verify catching a one-byte edit, and machine formats raw on stdout: at scan time, or
rendered later from a pack, byte for byte the same."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from pcicheck import paths
from pcicheck.cli import main

CLUSTER = str(paths.demo_dir() / "k8s-cluster.yaml")
PACK_FILES = {
    "index.html",
    "results.json",
    "snapshot.json.gz",
    "evidence.csv",
    "resources.csv",
    "pcicheck.yaml",
}


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_signed_pack_and_a_one_byte_edit(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "sign.pem", tmp_path / "sign.pub"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    pack = tmp_path / "pack"
    code, _, err = run(capsys, "scan", "--manifests", CLUSTER, "--out", str(pack), "--sign-key", str(private))
    assert code == 1 and "evidence pack: 9 files in" in err  # the demo cluster has findings
    assert PACK_FILES | {"summary.md", "manifest.json", "manifest.sig"} == {p.name for p in pack.iterdir()}
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["framework"]["id"] == "pci-dss-4.0.1" and len(manifest["files"]) == 7
    code, _, err = run(capsys, "verify", str(pack), "--pub-key", str(public), "--require-signature")
    assert code == 0 and "7 files match signed manifest.json" in err and "valid Ed25519 signature" in err
    # The page names the signer's key, as the manifest does.
    fingerprint = manifest["signature"]["public_key_sha256"]
    assert (
        f'signer\'s public key has SHA-256 <span class="mono">{fingerprint}</span>' in (pack / "index.html").read_text()
    )

    page = pack / "index.html"
    data = bytearray(page.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte, one bit
    page.write_bytes(bytes(data))
    code, _, err = run(capsys, "verify", str(pack), "--pub-key", str(public))
    assert code == 1 and f"{pack}: index.html: changed (SHA-256 differs from the manifest)" in err.splitlines()


def test_report_from_saved_results_as_zip(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    results, snap = tmp_path / "results.json", tmp_path / "snap.json"
    code, _, _ = run(capsys, "scan", "--manifests", CLUSTER, "--output", str(results), "--snapshot", str(snap), "-q")
    assert code == 1
    code, _, err = run(
        capsys, "report", str(results), "--out", str(tmp_path / "pack"), "--snapshot", str(snap), "--zip"
    )
    assert code == 0 and "evidence pack: 8 files in" in err
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
        assert z.read("results.json") == results.read_bytes()  # the document, byte for byte
    assert names >= PACK_FILES
    assert main(["verify", str(archive)]) == 0


def test_report_rejects_what_is_not_a_results_document(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bogus = tmp_path / "other.json"
    bogus.write_text('{"schema": "something/else"}')
    code, _, err = run(capsys, "report", str(bogus), "--out", str(tmp_path / "p"))
    assert code == 2 and "not a pcicheck/results/v2 or pcicheck/results/v1 document (schema: 'something/else')" in err
    assert len(err.strip().splitlines()) == 1


def test_pack_refuses_a_directory_with_other_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "scan", "--manifests", CLUSTER, "--out", str(tmp_path / "pack"), "-q")
    assert code == 2 and "directory holds files that are not part of this pack (notes.txt)" in err


@pytest.mark.parametrize(("fmt", "check"), [("sarif", "2.1.0"), ("junit", "<testsuites"), ("csv", "evidence_id,")])
def test_machine_formats_are_raw_on_stdout(capsys: pytest.CaptureFixture, fmt: str, check: str) -> None:
    code, out, _ = run(capsys, "scan", "--manifests", CLUSTER, "--format", fmt, "-q")
    assert code == 1 and check in out.splitlines()[0] + out[:400]
    if fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"]


def test_feeds_are_rendered_from_a_pack_as_the_scan_wrote_them(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """SARIF and JUnit are not in the pack; `report PACK --format` renders them from its sealed results.json,
    the same bytes a scan writes with --format."""
    pack = tmp_path / "pack"
    for fmt, name in (("sarif", "scan.sarif"), ("junit", "scan.xml")):
        argv = ["scan", "--manifests", CLUSTER, "--format", fmt, "--output", str(tmp_path / name), "-q"]
        code, _, _ = run(capsys, *argv, *(["--out", str(pack)] if fmt == "sarif" else []))
        assert code == 1
    assert not {"results.sarif", "junit.xml"} & {p.name for p in pack.iterdir()}
    # The SARIF scan wrote the pack too: rendering from the pack gives its --format output byte for byte.
    code, _, err = run(capsys, "report", str(pack), "--format", "sarif", "--output", str(tmp_path / "a.sarif"))
    assert code == 0 and f"sarif written to {tmp_path / 'a.sarif'}" in err
    assert (tmp_path / "a.sarif").read_bytes() == (tmp_path / "scan.sarif").read_bytes()
    code, out, _ = run(capsys, "report", str(pack / "results.json"), "--format", "junit")
    assert code == 0 and out.startswith("<?xml") and "<testsuites" in out
    assert {p.name for p in pack.iterdir()} == PACK_FILES | {"summary.md", "manifest.json"}  # nothing added


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "nothing to write"),
        (["--output", "x.sarif"], "--output names where --format's output goes"),
        (["--format", "console"], "--format console has nothing to render"),
        (["--format", "sarif", "--zip"], "--zip, --sign-key and --snapshot apply to the evidence pack"),
    ],
)
def test_report_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture, argv: list[str], message: str
) -> None:
    results = tmp_path / "results.json"
    assert run(capsys, "scan", "--manifests", CLUSTER, "--output", str(results), "-q")[0] == 1
    code, out, err = run(capsys, "report", str(results), *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""

"""The pack manifest and its signature: a one-byte edit, an added or removed file, a changed manifest
or the wrong key are each named; an untouched pack verifies, as a directory and as a zip."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from pcicheck.cli import main
from pcicheck.errors import InputError
from pcicheck.report.integrity import UNSIGNED, seal, verify

DOC: dict[str, Any] = {
    "tool": {"name": "pcicheck", "version": "0.1.0", "catalog_digest": "ab"},
    "framework": {"id": "pci-dss-3.2.1", "title": "PCI DSS v3.2.1"},
    "started_at": "2026-11-25T10:00:00Z",
    "finished_at": "2026-11-25T10:00:05Z",
    "snapshot": {"created_at": "2026-11-25T10:00:00Z", "identity": {"aws": {"account": "1"}}},
    "scope": {},
    "summary": {"pass": 1},
}
FILES = {"index.html": b"<html>report</html>", "results.json": b'{"schema": "x"}', "summary.md": b"# ok\n"}


def keys(tmp_path: Path, name: str = "k") -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / f"{name}.pem", tmp_path / f"{name}.pub"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return private, public


def write(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir()
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


def test_untouched_signed_pack_verifies(tmp_path: Path) -> None:
    private, public = keys(tmp_path)
    pack = write(tmp_path / "pack", seal(FILES, DOC, private))
    result = verify(pack, public, require_signature=True)
    assert result.ok and result.checked == 3 and result.signed
    fingerprint = json.loads((pack / "manifest.json").read_text())["signature"]["public_key_sha256"]
    assert result.notes == [
        f"manifest.sig: valid Ed25519 signature over manifest.json by the key with SHA-256 {fingerprint}"
    ]


def test_an_unsigned_pack_says_what_its_manifest_proves(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Hashes alone catch accidental change; a required signature makes an unsigned pack fail."""
    pack = write(tmp_path / "pack", seal(FILES, DOC, None))
    result = verify(pack)
    assert result.ok and not result.signed
    assert result.notes == [UNSIGNED]
    assert verify(pack, require_signature=True).problems == [UNSIGNED]
    assert main(["verify", str(pack)]) == 0
    assert main(["verify", str(pack), "--require-signature"]) == 1
    err = capsys.readouterr().err
    assert "detects accidental change only" in err and "3 files match manifest.json" in err


def test_a_signed_pack_needs_its_key_when_a_signature_is_required(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    private, public = keys(tmp_path)
    pack = write(tmp_path / "pack", seal(FILES, DOC, private))
    assert verify(pack).ok  # not asked: a note
    assert verify(pack, require_signature=True).problems == [
        "manifest.sig present but not checked: pass --pub-key KEY to check it"
    ]
    assert main(["verify", str(pack), "--pub-key", str(public), "--require-signature"]) == 0
    assert "3 files match signed manifest.json" in capsys.readouterr().err


def test_one_byte_edit_added_and_removed_files_are_named(tmp_path: Path) -> None:
    pack = write(tmp_path / "pack", seal(FILES, DOC, None))
    html = (pack / "index.html").read_bytes()
    (pack / "index.html").write_bytes(html[:-2] + b"X" + html[-1:])
    (pack / "summary.md").unlink()
    (pack / "extra.txt").write_text("planted")
    result = verify(pack)
    assert result.problems == [
        "index.html: changed (SHA-256 differs from the manifest)",
        "summary.md: removed (listed in the manifest, not in the pack)",
        "extra.txt: added (not in the manifest)",
    ]


def test_edited_manifest_breaks_the_signature(tmp_path: Path) -> None:
    private, public = keys(tmp_path)
    sealed = seal(FILES, DOC, private)
    forged = dict(FILES, **{"index.html": b"<html>forged</html>"})
    # Re-seal without the key: hashes are consistent again, but the old signature no longer matches.
    sealed_forgery = {**seal(forged, DOC, None), "manifest.sig": sealed["manifest.sig"]}
    pack = write(tmp_path / "pack", sealed_forgery)
    assert verify(pack).ok  # hashes alone cannot catch a re-sealed pack ...
    result = verify(pack, public)  # ... the signature does
    assert not result.ok and result.problems[0].startswith("manifest.sig: does not match manifest.json")
    _, other_public = keys(tmp_path, "other")
    assert not verify(write(tmp_path / "genuine", sealed), other_public).ok  # signed by another key


def test_unsigned_pack_with_a_key_asked_for(tmp_path: Path) -> None:
    _, public = keys(tmp_path)
    result = verify(write(tmp_path / "pack", seal(FILES, DOC, None)), public)
    assert result.problems == ["manifest.sig: missing, so the pack is not signed"]


def test_zip_pack(tmp_path: Path) -> None:
    sealed = seal(FILES, DOC, None)
    path = tmp_path / "pack.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in sealed.items():
            z.writestr(name, data)
    assert verify(path).ok
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("late.txt", "x")
    assert verify(path).problems == ["late.txt: added (not in the manifest)"]


def test_bad_keys_and_inputs_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    with pytest.raises(InputError, match="cannot read an Ed25519 private key"):
        seal(FILES, DOC, junk)
    assert main(["verify", str(tmp_path)]) == 2  # no manifest.json: not a pack
    err = capsys.readouterr().err
    assert "no manifest.json" in err and len(err.strip().splitlines()) == 1

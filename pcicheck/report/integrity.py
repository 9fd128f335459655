"""The evidence pack's manifest: SHA-256 and size of every file, optionally signed with Ed25519, and
the check that names any file changed, added or removed since.

The signature covers manifest.json's exact bytes; the manifest covers every other file. A verifier
needs only the public key. Without a signature the manifest proves less: it catches accidental
change (a truncated copy, an edited file), but whoever edits a file can write a new manifest too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcicheck.errors import InputError
from pcicheck.report.pack_reader import KEEP_MAX_BYTES, PACK_MAX_BYTES, PackContents, PackFile, PackSource, read_pack

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SCHEMA = "pcicheck/manifest/v1"


def file_entry(name: str, data: bytes) -> dict[str, Any]:
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def build_manifest(files: dict[str, bytes], doc: dict[str, Any], about: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the pack holds and what it is evidence of: the scan's results document, or `about` for a
    pack made of other packs (a history pack names the packs it was computed from)."""
    if about is not None:
        return {"schema": SCHEMA, **about, "files": [file_entry(name, files[name]) for name in sorted(files)]}
    return {
        "schema": SCHEMA,
        "tool": doc["tool"],
        "framework": doc["framework"],
        "started_at": doc["started_at"],
        "finished_at": doc["finished_at"],
        "snapshot_created_at": doc["snapshot"]["created_at"],
        "identity": doc["snapshot"]["identity"],
        "scope": doc["scope"],
        "summary": doc["summary"],
        "files": [file_entry(name, files[name]) for name in sorted(files)],
    }


def _private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(
            f"cannot read an Ed25519 private key: {exc}",
            path=str(path),
            fix="create one with `openssl genpkey -algorithm ed25519 -out pack-signing.pem` (unencrypted PEM)",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("the signing key is not an Ed25519 key", path=str(path), fix="use an Ed25519 key")
    return key


def _public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(
            f"cannot read an Ed25519 public key: {exc}",
            path=str(path),
            fix="export it with `openssl pkey -in pack-signing.pem -pubout -out pack-signing.pub`",
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("the public key is not an Ed25519 key", path=str(path), fix="use an Ed25519 key")
    return key


def _raw_public(key: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return bytes(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def fingerprint(key: Any) -> str:
    """SHA-256 of an Ed25519 public key's raw bytes, in hex: what a verifier compares with the key the
    signer handed over."""
    return hashlib.sha256(_raw_public(key)).hexdigest()


def signer(sign_key: Path | None) -> dict[str, str] | None:
    """Who will sign the pack: the algorithm and the public key's fingerprint, read before the files are
    rendered so the page can name it. None when the pack is not signed."""
    if sign_key is None:
        return None
    return {"algorithm": "Ed25519", "public_key_sha256": fingerprint(_private_key(sign_key).public_key())}


def seal(
    files: dict[str, bytes], doc: dict[str, Any], sign_key: Path | None, *, about: dict[str, Any] | None = None
) -> dict[str, bytes]:
    """`files` plus manifest.json (and manifest.sig when a key is given)."""
    manifest = build_manifest(files, doc, about)
    key = _private_key(sign_key) if sign_key else None
    if key is not None:
        manifest["signature"] = {
            "algorithm": "Ed25519",
            "file": SIGNATURE,
            "public_key_sha256": fingerprint(key.public_key()),
        }
    body = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    sealed = {**files, MANIFEST: body}
    if key is not None:
        sealed[SIGNATURE] = base64.b64encode(key.sign(body)) + b"\n"
    return sealed


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0
    signed: bool = False  # a valid signature was checked with the given public key
    kept: dict[str, bytes] = field(default_factory=dict)  # the files asked for, as they were verified

    @property
    def ok(self) -> bool:
        return not self.problems


UNSIGNED = (
    "not signed: the manifest detects accidental change only (whoever edits a file can write a new "
    "manifest); a signed pack and its signer's public key prove who vouches for it"
)


def verify(
    path: PackSource,
    public_key: Path | None = None,
    *,
    require_signature: bool = False,
    limit: int = PACK_MAX_BYTES,
    keep: Collection[str] = (),
    keep_limit: int = KEEP_MAX_BYTES,
) -> Verification:
    """Every file against the manifest, and the signature against `public_key`. With
    `require_signature`, a pack whose signature was not checked valid is a problem, not a note. The
    pack is read by pack_reader (duplicate or unsafe zip entries, damaged data and more than `limit`
    bytes are InputErrors); what is neither a regular file nor a directory fails verification. The
    files named in `keep` (up to `keep_limit` bytes each) come back in `kept`: the very bytes that
    were checked, so a caller never reads the pack a second time and trusts what it did not verify."""
    pack = read_pack(path, keep=(MANIFEST, SIGNATURE, *keep), limit=limit, keep_limit=keep_limit)
    result = Verification()
    result.kept = {name: f.data for name in keep if (f := pack.files.get(name)) is not None and f.data is not None}
    result.problems.extend(
        f"{name}: unexpected {kind} (a pack holds only regular files; not opened or followed)"
        for name, kind in sorted(pack.unexpected.items())
    )
    manifest_file = pack.files.get(MANIFEST)
    if manifest_file is None or manifest_file.data is None:
        if result.problems:  # e.g. manifest.json is a symlink: reported above, and nothing to check against
            return result
        raise InputError(f"no {MANIFEST}: not an evidence pack, or its manifest was removed", path=str(path))
    listed = _listed(manifest_file.data)
    if listed is None:
        result.problems.append(f"{MANIFEST} is not a pcicheck manifest (edited or corrupt)")
        return result
    _check_files(pack, listed, result)
    sig_file = pack.files.get(SIGNATURE)
    signature = sig_file.data if sig_file is not None else None
    if public_key is not None:
        _check_signature(manifest_file.data, signature, _public_key(public_key), result)
    elif signature is not None:
        unchecked = f"{SIGNATURE} present but not checked: pass --pub-key KEY to check it"
        (result.problems if require_signature else result.notes).append(unchecked)
    else:
        (result.problems if require_signature else result.notes).append(UNSIGNED)
    return result


def _listed(manifest: bytes) -> dict[str, dict[str, Any]] | None:
    """The manifest's files by path, or None when it is not a manifest's shape."""
    try:
        entries = json.loads(manifest)["files"]
        listed = {e["path"]: e for e in entries if isinstance(e, dict)}
    except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: a hostile nesting depth
        return None
    if len(listed) != len(entries) or not all(isinstance(name, str) for name in listed):
        return None
    return listed


def _check_files(pack: PackContents, listed: dict[str, dict[str, Any]], result: Verification) -> None:
    """Every file the manifest lists is there unchanged, and no other is (but the manifest and its
    signature). Names come from the manifest only as keys: none is ever opened as a path, so a listed
    `../../etc/passwd` is reported removed, never read."""
    for name, entry in sorted(listed.items()):
        if name in pack.unexpected:
            continue  # already named as an unexpected entry
        found: PackFile | None = pack.files.get(name)
        if found is None:
            result.problems.append(f"{name}: removed (listed in the manifest, not in the pack)")
        elif found.sha256 != entry.get("sha256") or found.size != entry.get("bytes"):
            result.problems.append(f"{name}: changed (SHA-256 differs from the manifest)")
        else:
            result.checked += 1
    for name in sorted(set(pack.files) - set(listed) - {MANIFEST, SIGNATURE}):
        result.problems.append(f"{name}: added (not in the manifest)")


def _check_signature(manifest: bytes, signature: bytes | None, key: Any, result: Verification) -> None:
    if signature is None:
        result.problems.append(f"{SIGNATURE}: missing, so the pack is not signed")
        return
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), manifest)
        result.signed = True
        result.notes.append(
            f"{SIGNATURE}: valid Ed25519 signature over {MANIFEST} by the key with SHA-256 {fingerprint(key)}"
        )
    except (InvalidSignature, ValueError):
        result.problems.append(
            f"{SIGNATURE}: does not match {MANIFEST} under this key (the manifest was changed, or "
            "another key signed it)"
        )

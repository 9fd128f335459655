"""The evidence pack: what an auditor reads, rendered from one results document, sealed by a manifest.

Files: index.html (for people), results.json (the results document, byte for byte), snapshot.json.gz
(the redacted raw inventory, when there is one), evidence.csv, summary.md, pcicheck.yaml
(the effective configuration) and controls/ (the custom controls the run used), manifest.json (+
manifest.sig when signed). Written to a directory, as one zip, or under an S3 prefix (one object per
file, manifest last; SSE-KMS with a given key). With the same pcicheck version, `pcicheck evaluate
snapshot.json.gz --config pcicheck.yaml [--controls controls]` re-performs the run. Feeds for other
systems (SARIF, JUnit, OCSF, ASFF) and findings.csv are not in it: `pcicheck report PACK --format
sarif` renders any of them from its results.json.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck.config import effective_text
from pcicheck.errors import InputError
from pcicheck.inputfile import MAX_DOCUMENT_BYTES, parse_json, read_bounded
from pcicheck.objectstore import ObjectStore, S3Location
from pcicheck.outputfile import writing
from pcicheck.report import results_shape
from pcicheck.report.formats import FORMATS, RESULTS_FILE, render
from pcicheck.report.integrity import MANIFEST, SIGNATURE, seal, signer
from pcicheck.report.pack_reader import PackSource, is_pack, read_one
from pcicheck.report.results_json import CONFIG_FILE
from pcicheck.results_doc import SCHEMAS


@dataclass(frozen=True)
class PackWritten:
    where: Path | S3Location
    files: dict[str, int]  # name → bytes


def load_results(path: PackSource) -> tuple[bytes, dict[str, Any]]:
    """A saved results document: its exact bytes and the parsed document. `path` is results.json, or
    an evidence pack (directory, zip or S3 prefix) whose results.json is read by the one pack reader,
    with its refusals and bounds. Either version pcicheck has written (v2, or v1 from before it); read its
    results through results_doc.results."""
    if isinstance(path, S3Location):
        raw = read_one(path, RESULTS_FILE)
        named = path.url(RESULTS_FILE)  # named so in the errors below
    elif is_pack(path):
        raw = read_one(path, RESULTS_FILE)
        named = str(path / RESULTS_FILE)
    else:
        raw = read_bounded(path, MAX_DOCUMENT_BYTES, what="results document", fix="pass results.json")
        named = str(path)
    return raw, results_document(raw, named)


def results_document(raw: bytes, named: str) -> dict[str, Any]:
    """results.json's bytes parsed and checked to be a results document this pcicheck reads; `named` is
    where they came from, for the errors."""
    doc = parse_json(raw, path=named, what="results document", fix="pass results.json written by `pcicheck scan`")
    if not isinstance(doc, dict) or doc.get("schema") not in SCHEMAS:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(
            f"not a {' or '.join(SCHEMAS)} document (schema: {found!r})", path=named, fix="pass results.json"
        )
    for key in ("controls", "requirements", "results"):
        if key not in doc:
            raise InputError(
                f"results document has no {key!r} (written by an older pcicheck)",
                path=named,
                fix="scan again with this version",
            )
    if isinstance(doc["requirements"], list) and any(
        isinstance(q, dict) and "outcome" not in q for q in doc["requirements"]
    ):
        raise InputError(
            "results document has requirement statuses, not outcomes (written by an older pcicheck)",
            path=named,
            fix="scan again with this version",
        )
    found = results_shape.problem(doc)
    if found:
        raise InputError(
            f"results document is malformed: {found}", path=named, fix="pass results.json as pcicheck wrote it"
        )
    return doc


def render_files(
    results_raw: bytes,
    doc: dict[str, Any],
    snapshot_raw: bytes | None,
    signed_by: dict[str, str] | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> dict[str, bytes]:
    """Every file of the pack but the manifest: each format of the renderer map from the one document,
    which learns what the pack is (whether, and by which key, it will be signed); the effective
    pcicheck.yaml; and `extra` (the custom controls the run used, as controls/<id>.yaml)."""
    doc = {**doc, "pack": {"signed_by": signed_by}}
    files = {FORMATS["html"].file_name: render("html", doc), RESULTS_FILE: results_raw}
    files.update((f.file_name, render(f.name, doc)) for f in FORMATS.values() if f.in_pack and f.name != "html")
    if snapshot_raw is not None:
        files["snapshot.json.gz"] = snapshot_raw
    config = doc.get("config")
    if isinstance(config, dict) and isinstance(config.get("document"), dict):
        files[CONFIG_FILE] = effective_text(config["document"]).encode()
    files.update(extra or {})
    return files


def _zip_time(stamp: str) -> tuple[int, int, int, int, int, int]:
    """An ISO time of the evidence itself (the scan's finish), so the same evidence zips to the same bytes."""
    t = stamp
    return (int(t[0:4]), int(t[5:7]), int(t[8:10]), int(t[11:13]), int(t[14:16]), int(t[17:19]))


def _write_zip(target: Path, files: Mapping[str, bytes], stamp: str) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_zip_time(stamp))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])


def _write_folder(target: Path, files: Mapping[str, bytes]) -> None:
    if target.exists() and not target.is_dir():
        raise InputError("exists and is not a directory", path=str(target), fix="choose a new directory")
    target.mkdir(parents=True, exist_ok=True)
    ours = {name.split("/", 1)[0] for name in files}
    stale = sorted(p.name for p in target.iterdir() if p.name not in ours)
    if stale:
        raise InputError(
            f"directory holds files that are not part of this pack ({', '.join(stale[:3])})",
            path=str(target),
            fix="write the pack to an empty or new directory, so its manifest covers everything in it",
        )
    for name, data in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)


def _write_s3(target: S3Location, files: Mapping[str, bytes], kms_key: str | None) -> None:
    """One object per file, the manifest and its signature last: a reader that lists the prefix while
    the pack is being written finds no manifest, or one whose every file is already there."""
    store = ObjectStore()
    stale = sorted(o.name for o in store.objects(target) if o.name not in files and not o.name.endswith("/"))
    if stale:
        raise InputError(
            f"the prefix holds objects that are not part of this pack ({', '.join(stale[:3])})",
            path=str(target),
            fix="write the pack under an empty or new prefix, so its manifest covers everything in it",
        )
    last = (MANIFEST, SIGNATURE)
    for name in [*sorted(n for n in files if n not in last), *(n for n in last if n in files)]:
        store.put(target, name, files[name], kms_key=kms_key)


def write_pack(
    out: Path | S3Location,
    results_raw: bytes,
    doc: dict[str, Any],
    snapshot_raw: bytes | None,
    *,
    sign_key: Path | None = None,
    as_zip: bool = False,
    extra: Mapping[str, bytes] | None = None,
    kms_key: str | None = None,
) -> PackWritten:
    """The pack written to `out`: a directory (or OUT.zip with `as_zip`), or an S3 prefix, whose objects
    S3 encrypts with `kms_key` when one is given (SSE-KMS)."""
    files = seal(render_files(results_raw, doc, snapshot_raw, signer(sign_key), extra), doc, sign_key)
    return store_pack(out, files, str(doc["finished_at"]), as_zip=as_zip, kms_key=kms_key)


def store_pack(
    out: Path | S3Location, files: Mapping[str, bytes], stamp: str, *, as_zip: bool = False, kms_key: str | None = None
) -> PackWritten:
    """Sealed files (manifest included) written as a pack: to a directory, OUT.zip (dated `stamp`, an
    ISO time) or an S3 prefix (SSE-KMS with `kms_key`)."""
    if isinstance(out, S3Location) and as_zip:
        raise InputError("--zip writes one file; a pack in S3 is stored as its files", path=str(out), fix="drop --zip")
    if kms_key is not None and not isinstance(out, S3Location):
        raise InputError(
            "--out-kms-key applies to a pack written to S3", path=str(out), fix="pass --out s3://bucket/prefix/"
        )
    if isinstance(out, S3Location):
        _write_s3(out, files, kms_key)
        return PackWritten(out, {name: len(data) for name, data in sorted(files.items())})
    target = (out if out.suffix == ".zip" else out.with_name(out.name + ".zip")) if as_zip else out
    with writing(target, "the evidence pack"):
        if as_zip:
            _write_zip(target, files, stamp)
        else:
            _write_folder(target, files)
    return PackWritten(target, {name: len(data) for name, data in sorted(files.items())})

"""The history pack: history.json and index.html, sealed by a manifest (signed when a key is given) as
every evidence pack is, so `pcicheck verify` checks it. Its manifest says what it is (`kind`) and names
each pack it was computed from by the SHA-256 of that pack's manifest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pcicheck import __version__
from pcicheck.history.read import HISTORY_KIND, Skipped
from pcicheck.history.render import history_document, history_html, history_json, iso
from pcicheck.history.timeline import History
from pcicheck.objectstore import S3Location
from pcicheck.report.integrity import seal
from pcicheck.report.pack import PackWritten, store_pack

HISTORY_FILE = "history.json"
PAGE_FILE = "index.html"


def history_about(h: History, source: str) -> dict[str, Any]:
    """What the manifest says of the pack: its kind, the period and every pack it rests on."""
    return {
        "kind": HISTORY_KIND,
        "tool": {"name": "pcicheck", "version": __version__},
        "source": source,
        "first_scan": iso(h.scans[0].at),
        "last_scan": iso(h.scans[-1].at),
        "packs": [{"pack": s.pack, "at": iso(s.at), "manifest_sha256": s.manifest_sha256} for s in h.scans],
    }


def write_history(
    out: Path | S3Location,
    h: History,
    source: str,
    skipped: Sequence[Skipped],
    *,
    sign_key: Path | None = None,
    as_zip: bool = False,
    kms_key: str | None = None,
) -> PackWritten:
    doc = history_document(h, source, skipped)
    files = {HISTORY_FILE: history_json(doc), PAGE_FILE: history_html(h, doc)}
    sealed = seal(files, {}, sign_key, about=history_about(h, source))
    return store_pack(out, sealed, str(iso(h.scans[-1].at)), as_zip=as_zip, kms_key=kms_key)

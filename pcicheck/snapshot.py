"""The snapshot: one versioned JSON document (gzipped when the name ends in .gz).

A snapshot is everything evaluation needs, so a scan re-evaluated next month gives the same
results: evaluation uses the snapshot's own `created_at` as `now`.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from pcicheck import __version__
from pcicheck.errors import InputError
from pcicheck.model import CollectionError, Resource, Snapshot
from pcicheck.perf import paused_gc
from pcicheck.redact import redact_snapshot

SCHEMA = "pcicheck/snapshot/v1"
SCHEMA_VERSION = 1
_SCHEMA_PREFIX = "pcicheck/snapshot/v"


def to_document(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "tool": {"name": "pcicheck", "version": snapshot.tool_version},
        "created_at": snapshot.created_at,
        "request": snapshot.request,
        "identity": snapshot.identity,
        "calls": dict(sorted(snapshot.calls.items())),
        "resources": [r.to_dict() for r in sorted(snapshot.resources, key=lambda r: r.uid)],
        "errors": [e.to_dict() for e in snapshot.errors],
    }


def snapshot_bytes(snapshot: Snapshot, *, compress: bool = True) -> bytes:
    data = json.dumps(to_document(snapshot), indent=None, separators=(",", ":"), sort_keys=False).encode()
    if not compress:
        return data
    # No name and mtime=0 in the header: identical content gives identical bytes.
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buffer, mode="wb", mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(snapshot_bytes(snapshot, compress=path.suffix == ".gz"))


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("snapshot not found", path=str(path), fix="check the path") from None
    except OSError as exc:
        raise InputError(f"cannot read snapshot: {exc.strerror}", path=str(path)) from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error):
            raise InputError(
                "snapshot is a truncated or corrupt gzip file", path=str(path), fix="collect it again"
            ) from None
    return raw


def _read_snapshot(path: Path) -> Snapshot:
    raw = _read_bytes(path)
    try:
        with paused_gc():
            doc = json.loads(raw)
    except UnicodeDecodeError:
        raise InputError("snapshot is not UTF-8 JSON", path=str(path), fix="collect it again") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"snapshot is not valid JSON ({exc.msg}, column {exc.colno})",
            path=str(path),
            line=exc.lineno,
            fix="the file is truncated or edited; collect it again",
        ) from None
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith(_SCHEMA_PREFIX):
        raise InputError(
            "not a pcicheck snapshot (no 'schema': 'pcicheck/snapshot/v1')",
            path=str(path),
            fix="write one with `pcicheck collect --aws -o snap.json.gz`",
        )
    try:
        version = int(str(doc["schema"])[len(_SCHEMA_PREFIX) :])
    except ValueError:
        raise InputError(f"unknown snapshot schema {doc['schema']!r}", path=str(path)) from None
    if version > SCHEMA_VERSION:
        raise InputError(
            f"snapshot schema v{version} is newer than this pcicheck ({__version__}) understands (v{SCHEMA_VERSION})",
            path=str(path),
            fix="upgrade pcicheck",
        )
    try:
        created = str(doc["created_at"])
        datetime.fromisoformat(created.replace("Z", "+00:00"))
        with paused_gc():
            resources = tuple(Resource.from_dict(r) for r in doc["resources"])
        errors = tuple(CollectionError.from_dict(e) for e in doc.get("errors", []))
        return Snapshot(
            tool_version=str(doc.get("tool", {}).get("version", "")),
            created_at=created,
            request=dict(doc.get("request") or {}),
            identity=dict(doc.get("identity") or {}),
            resources=resources,
            errors=errors,
            calls=dict(doc.get("calls") or {}),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"snapshot is missing or has a malformed field ({type(exc).__name__}: {exc})",
            path=str(path),
            fix="collect it again",
        ) from None


def read_snapshot(path: Path) -> Snapshot:
    """The snapshot in a file, redacted again as a fresh collection is: the file may come from an older
    pcicheck, or from another hand, with credentials in any string."""
    return redact_snapshot(_read_snapshot(path))


def merge(snapshots: list[Snapshot]) -> Snapshot:
    """One snapshot from several sources collected in the same run (AWS, manifests, …)."""
    if len(snapshots) == 1:
        return snapshots[0]
    calls: dict[str, int] = {}
    for s in snapshots:
        for k, v in s.calls.items():
            calls[k] = calls.get(k, 0) + v
    return Snapshot(
        tool_version=snapshots[0].tool_version,
        created_at=min(s.created_at for s in snapshots),
        request={
            "providers": [p for s in snapshots for p in s.request.get("providers", [])],
            **{k: v for s in snapshots for k, v in s.request.items() if k != "providers"},
        },
        identity={k: v for s in snapshots for k, v in s.identity.items()},
        resources=tuple(sorted((r for s in snapshots for r in s.resources), key=lambda r: r.uid)),
        errors=tuple(e for s in snapshots for e in s.errors),
        calls=calls,
    )


def snapshot_time(snapshot: Snapshot) -> datetime:
    return datetime.fromisoformat(snapshot.created_at.replace("Z", "+00:00"))

"""The snapshot: one versioned JSON document (gzipped when the name ends in .gz).

A snapshot is everything evaluation needs, so a scan re-evaluated next month gives the same
results: evaluation uses the snapshot's own `created_at` as `now`.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from pcicheck import __version__
from pcicheck.collect.conformance import violations
from pcicheck.errors import InputError
from pcicheck.inputfile import MAX_DOCUMENT_BYTES, gunzip_bounded, parse_json, read_bounded
from pcicheck.model import CollectionError, Resource, Snapshot
from pcicheck.outputfile import write_atomically
from pcicheck.perf import paused_gc
from pcicheck.redact import redact_snapshot, redact_text

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
    write_atomically(path, snapshot_bytes(snapshot, compress=path.suffix == ".gz"), "the snapshot")


def _parse_snapshot(raw: bytes, path: str) -> Snapshot:
    """The snapshot in `raw` (gzipped or not), checked; `path` names where it came from in every error."""
    fix = "the file is truncated or edited; collect it again"
    raw = gunzip_bounded(raw, MAX_DOCUMENT_BYTES, path=path, what="snapshot", fix="collect it again")
    with paused_gc():
        doc = parse_json(raw, path=path, what="snapshot", fix=fix)
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
        snapshot = Snapshot(
            tool_version=str(doc.get("tool", {}).get("version", "")),
            created_at=created,
            request=dict(doc.get("request") or {}),
            identity=dict(doc.get("identity") or {}),
            resources=resources,
            errors=errors,
            calls=dict(doc.get("calls") or {}),
        )
        _check_record(snapshot, path)
        _check_resources(snapshot, path)
        _check_providers(snapshot, path)
        return snapshot
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"snapshot is missing or has a malformed field ({type(exc).__name__}: {exc})",
            path=str(path),
            fix="collect it again",
        ) from None


# Which sources may hold each kind of resource: evaluation judges only the controls of the sources a
# snapshot says it read, so resources from a source it does not name would silently go unjudged.
_SOURCES = {"aws.": ("aws",), "k8s.": ("k8s", "manifests")}


# The parts of `request` and `identity` that reports read, and the kind each must have when present:
# "texts" is a list of text.
_PARTS: dict[tuple[str, ...], str] = {
    ("request", "providers"): "texts",
    **{(part, source): "mapping" for part in ("request", "identity") for source in ("aws", "k8s", "manifests", "iac")},
    **{("request", "aws", key): "texts" for key in ("regions", "services", "accounts")},
    **{("request", "manifests", key): "texts" for key in ("paths", "files")},
    ("request", "manifests", "skipped_kinds"): "mapping",
    ("identity", "aws", "accounts"): "list of mappings",
}
_KIND_OK = {
    "texts": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "mapping": lambda v: isinstance(v, dict),
    "list of mappings": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
}
_ABSENT = object()


def _part_problem(doc: dict[str, Any]) -> str | None:
    for path, kind in _PARTS.items():
        value: Any = doc
        for key in path:
            value = value.get(key, _ABSENT) if isinstance(value, dict) else _ABSENT
        if value is not _ABSENT and not _KIND_OK[kind](value):
            return f"'{'.'.join(path)}' must be {'a list of text' if kind == 'texts' else 'a ' + kind}"
    return None


def _texts(*values: Any) -> bool:
    return all(isinstance(v, str) for v in values)


def _check_record(snapshot: Snapshot, path: str) -> None:
    """The document's own fields and its collection errors have the kinds the records declare."""
    problem = None
    if not isinstance(snapshot.identity, dict) or not isinstance(snapshot.request, dict):
        problem = "'identity' and 'request' must be mappings"
    elif problem := _part_problem({"request": snapshot.request, "identity": snapshot.identity}):
        pass
    elif not all(isinstance(k, str) and type(v) is int for k, v in snapshot.calls.items()):
        problem = "'calls' must map operation names to counts"
    for e in snapshot.errors:
        if problem:
            break
        if not _texts(e.provider, e.account, e.region, e.service, e.operation, e.code, e.message):
            problem = "a collection error's provider, account, region, service, operation, code and message are text"
        elif not _texts(*e.resource_types, *e.attributes) or not (e.resource_uid is None or _texts(e.resource_uid)):
            problem = "a collection error's resource_types, attributes and resource_uid are text"
    if problem:
        raise InputError(f"snapshot is malformed: {problem}", path=str(path), fix="collect it again")


def _check_resources(snapshot: Snapshot, path: str) -> None:
    """Every resource keeps its type's contract: a hand-edited or foreign snapshot whose values have the
    wrong kinds would otherwise be read as empty and judged, not refused."""
    for resource in snapshot.resources:
        found = violations(resource)
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            raise InputError(
                f"snapshot resource does not fit its type: {redact_text(found[0])}{more}",
                path=str(path),
                fix="collect it again with this pcicheck; an edited snapshot must keep each type's attributes",
            )


def _check_providers(snapshot: Snapshot, path: str) -> None:
    providers = snapshot.request.get("providers", ["aws"])
    if not isinstance(providers, list) or not all(isinstance(p, str) for p in providers):
        raise InputError("snapshot 'request.providers' must be a list of source names", path=str(path))
    for prefix, sources in _SOURCES.items():
        held = next((r for r in snapshot.resources if r.type.startswith(prefix)), None)
        if held is not None and not set(sources) & set(providers):
            raise InputError(
                f"snapshot holds {held.type} resources but 'request.providers' ({', '.join(providers) or 'none'})"
                f" names none of {', '.join(sources)}, so they would go unjudged",
                path=str(path),
                fix="collect it again; an edited snapshot must list every source it holds",
            )


def read_snapshot(path: Path) -> Snapshot:
    """The snapshot in a file, redacted again as a fresh collection is: the file may come from an older
    pcicheck, or from another hand, with credentials in any string."""
    return read_snapshot_bytes(read_bounded(path, MAX_DOCUMENT_BYTES, what="snapshot"), str(path))


def read_snapshot_bytes(raw: bytes, where: str) -> Snapshot:
    """The snapshot in `raw`, read from `where` (a path or an s3:// URL, named in every error) by a caller
    that bounded it to MAX_DOCUMENT_BYTES as read_bounded does: checked and redacted as read_snapshot."""
    return redact_snapshot(_parse_snapshot(raw, where))


@contextmanager
def judging_file(path: Path | str) -> Iterator[None]:
    """Around the analysis of a snapshot read from `path`. The reader holds every attribute to its declared
    kind, not the inner shape of its lists and maps (a port without a number, a rule that is not a
    mapping): an analyzer tripping over one is the file's fault, reported as such, never a verdict."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if os.environ.get("PCICHECK_DEBUG"):
            raise
        raise InputError(
            f"snapshot holds a record pcicheck cannot judge ({type(exc).__name__}: {str(exc)[:200]})",
            path=str(path),
            fix="collect it again; if `pcicheck collect` wrote it unchanged, report it with PCICHECK_DEBUG=1",
        ) from None


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

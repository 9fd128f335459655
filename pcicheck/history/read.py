"""The packs a history is computed from: found under a folder or an S3 prefix, each verified against its
manifest (and its signature, when a public key is given) before anything in it is used, and reduced to
the few outcomes history needs.

A pack that fails verification is refused, naming it: history is period evidence, and one edited pack
would rewrite the period. What is read from results.json is the bytes that were verified, never a second
read of the pack.

Of a results document only these parts are read: its time (`started_at`, the moment the estate was
observed: the snapshot's own time), identity, the requirement and testing-procedure outcomes of every
framework it judged, the controls' titles and severities, and of each result its control, status,
evidence id and resource uid. `results_of` is the one place the results list is walked, so a change
of its shape is one change here.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcicheck import results_doc
from pcicheck.errors import InputError
from pcicheck.inputfile import MAX_DOCUMENT_BYTES
from pcicheck.objectstore import ObjectStore, S3Location
from pcicheck.report.formats import RESULTS_FILE
from pcicheck.report.integrity import MANIFEST, verify
from pcicheck.report.pack import results_document
from pcicheck.report.pack_reader import PackSource, is_pack

# A control's status in one scan, from its results: the worst of them, in this order.
CONTROL_ORDER = ("fail", "error", "needs_configuration", "waived", "pass", "not_applicable")
UNJUDGED = ("error", "needs_configuration")
HISTORY_KIND = "pcicheck/history"  # what a history pack's manifest says it is


@dataclass(frozen=True)
class ResultView:
    """What history reads of one result."""

    control: str
    status: str
    evidence_id: str
    resource: str  # the resource's uid


@dataclass(frozen=True)
class ControlScan:
    status: str  # the worst result's (CONTROL_ORDER), or not_applicable when nothing was judged
    counts: dict[str, int]
    failing: tuple[tuple[str, str], ...]  # (evidence id, resource uid) of each `fail` result
    unproven: frozenset[str]  # evidence ids of results that could not be judged (error, needs_configuration)


@dataclass(frozen=True)
class Scan:
    """One verified pack, as history uses it."""

    pack: str  # where it was read: a path or an s3:// URL
    at: datetime  # when the estate was observed (results.json `started_at`)
    finished_at: str
    manifest_sha256: str  # ties the history to the exact pack
    signed: bool  # its signature was checked valid under the given key
    tool_version: str
    identity: dict[str, Any]
    estate: str  # what was observed (estate_of): scans of one estate share it
    frameworks: dict[str, str]  # framework id → title
    requirements: dict[tuple[str, str], str]  # (framework, requirement) → outcome
    requirement_titles: dict[tuple[str, str], str]
    procedures: dict[tuple[str, str, str], str]  # (framework, requirement, procedure) → outcome
    procedure_titles: dict[tuple[str, str, str], str]
    controls: dict[str, ControlScan]
    control_titles: dict[str, tuple[str, str]]  # control → (title, severity)


@dataclass(frozen=True)
class Skipped:
    where: str
    why: str


@dataclass(frozen=True)
class Packs:
    scans: tuple[Scan, ...]  # oldest first
    skipped: tuple[Skipped, ...]


def results_of(doc: Mapping[str, Any]) -> Iterator[ResultView]:
    """Each result of a results document (either version: results_doc reads both) as history reads it."""
    for r in results_doc.results(doc):
        yield ResultView(
            str(r["control"]), str(r["status"]), str(r["id"]), str((r.get("resource") or {}).get("uid", ""))
        )


def read_packs(
    source: Path | S3Location,
    *,
    public_key: Path | None = None,
    require_signature: bool = False,
) -> Packs:
    """Every pack under `source`, verified and read, oldest first. InputError naming the first pack that
    fails verification, and when there is no pack at all."""
    found, skipped = _find(source)
    scans: list[Scan] = []
    for where in found:
        scan = _read_one(where, public_key, require_signature)
        if scan is None:
            skipped.append(Skipped(str(where), "a history pack, not a scan's"))
        else:
            scans.append(scan)
    if not scans:
        raise InputError(
            "holds no evidence pack",
            path=str(source),
            fix="pass the folder or s3:// prefix your scans' --out packs are in",
        )
    scans.sort(key=lambda s: (s.at, s.finished_at, s.pack))
    return Packs(tuple(scans), tuple(skipped))


def _find(source: Path | S3Location) -> tuple[list[PackSource], list[Skipped]]:
    """The packs one level below `source`: its sub-prefixes in S3; its directories and .zip files on
    disk (anything else there is named as skipped, never opened)."""
    if isinstance(source, S3Location):
        below, objects = ObjectStore().children(source)
        why = "an object, not a pack's prefix (packs in S3 are stored as their files)"
        return list(below), [Skipped(source.url(o.name), why) for o in objects if o.name]
    try:
        mode = os.stat(source).st_mode
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(source), fix="pass a folder of packs") from None
    if not stat.S_ISDIR(mode):
        raise InputError("not a folder", path=str(source), fix="pass the folder holding the packs, or an s3:// prefix")
    packs: list[PackSource] = []
    skipped: list[Skipped] = []
    try:
        entries = sorted((e, e.lstat().st_mode) for e in source.iterdir())
    except OSError as exc:
        raise InputError(f"cannot list: {exc.strerror}", path=str(source), fix="check that it is readable") from None
    for entry, kind in entries:
        if stat.S_ISLNK(kind):
            skipped.append(Skipped(str(entry), "a symbolic link: not followed"))
        elif stat.S_ISDIR(kind) or (stat.S_ISREG(kind) and entry.suffix == ".zip" and is_pack(entry)):
            packs.append(entry)
        else:
            skipped.append(Skipped(str(entry), "not a pack (neither a directory nor a .zip)"))
    return packs, skipped


def _read_one(where: PackSource, public_key: Path | None, require_signature: bool) -> Scan | None:
    checked = verify(
        where,
        public_key,
        require_signature=require_signature,
        keep=(MANIFEST, RESULTS_FILE),
        keep_limit=MAX_DOCUMENT_BYTES,
    )
    if not checked.ok:
        more = f" (and {len(checked.problems) - 1} more)" if len(checked.problems) > 1 else ""
        raise InputError(
            f"refused: fails verification: {checked.problems[0]}{more}",
            path=str(where),
            fix=f"restore it from its source, or move it out of the history's source; `pcicheck verify {where}` "
            "lists every problem",
        )
    manifest = checked.kept[MANIFEST]
    if json.loads(manifest).get("kind") == HISTORY_KIND:
        return None
    raw = checked.kept.get(RESULTS_FILE)
    if raw is None:
        raise InputError(
            f"refused: no {RESULTS_FILE} in the pack",
            path=str(where),
            fix="history reads packs written by `pcicheck scan --out` or `pcicheck report --out`",
        )
    named = where.url(RESULTS_FILE) if isinstance(where, S3Location) else str(Path(where) / RESULTS_FILE)
    return scan_of(results_document(raw, named), str(where), hashlib.sha256(manifest).hexdigest(), checked.signed)


def scan_of(doc: Mapping[str, Any], pack: str, manifest_sha256: str, signed: bool) -> Scan:
    """The parts of a (checked) results document history uses."""
    frameworks: dict[str, str] = {}
    requirements: dict[tuple[str, str], str] = {}
    requirement_titles: dict[tuple[str, str], str] = {}
    procedures: dict[tuple[str, str, str], str] = {}
    procedure_titles: dict[tuple[str, str, str], str] = {}
    views = [{"framework": doc["framework"], "requirements": doc["requirements"]}, *(doc.get("also") or ())]
    for view in views:
        fw = str(view["framework"]["id"])
        frameworks[fw] = str(view["framework"].get("title") or fw)
        for q in view["requirements"]:
            requirements[fw, q["id"]] = str(q["outcome"])
            requirement_titles[fw, q["id"]] = str(q.get("title") or "")
            for p in q.get("procedures") or ():
                procedures[fw, q["id"], p["id"]] = str(p["outcome"])
                procedure_titles[fw, q["id"], p["id"]] = str(p.get("about") or "")
    by_control: dict[str, list[ResultView]] = {str(c["id"]): [] for c in doc["controls"]}
    for r in results_of(doc):
        by_control.setdefault(r.control, []).append(r)
    controls = {cid: _control_scan(found) for cid, found in by_control.items()}
    titles = {str(c["id"]): (str(c.get("title") or ""), str(c.get("severity") or "")) for c in doc["controls"]}
    identity = dict((doc.get("snapshot") or {}).get("identity") or {})
    return Scan(
        pack=pack,
        at=_time(str(doc["started_at"]), pack),
        finished_at=str(doc.get("finished_at") or ""),
        manifest_sha256=manifest_sha256,
        signed=signed,
        tool_version=str((doc.get("tool") or {}).get("version") or ""),
        identity=identity,
        estate=estate_of(identity),
        frameworks=frameworks,
        requirements=requirements,
        requirement_titles=requirement_titles,
        procedures=procedures,
        procedure_titles=procedure_titles,
        controls=controls,
        control_titles=titles,
    )


# Per source, what names the estate itself rather than who looked at it or with which tool version: an
# assumed role's session name changes with every pod a CronJob starts, the account does not.
_ESTATE_KEYS = {"aws": ("account",), "k8s": ("cluster", "server"), "manifests": ("cluster",), "iac": ()}


def estate_of(identity: Mapping[str, Any]) -> str:
    """A scan's estate as one stable text: the AWS account(s), the cluster and its API server, the
    manifests, whether IaC was scanned."""
    parts = []
    for source in sorted(identity):
        found = identity[source] if isinstance(identity[source], Mapping) else {}
        keys = _ESTATE_KEYS.get(source, tuple(sorted(found)))
        parts.append(f"{source}(" + ", ".join(f"{k}={found.get(k)}" for k in keys) + ")")
    return " ".join(parts)


def _control_scan(results: list[ResultView]) -> ControlScan:
    counts = Counter(r.status for r in results)
    status = next((s for s in CONTROL_ORDER if counts.get(s)), "not_applicable")
    failing = tuple(sorted((r.evidence_id, r.resource) for r in results if r.status == "fail"))
    unproven = frozenset(r.evidence_id for r in results if r.status in UNJUDGED)
    return ControlScan(status, dict(sorted(counts.items())), failing, unproven)


def _time(stamp: str, pack: str) -> datetime:
    try:
        t = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"started_at {stamp!r} is not an ISO time", path=pack, fix="scan again") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)

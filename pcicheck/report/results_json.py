"""The results document, `pcicheck/results/v2`: a public contract (documented in the README).

v2 writes each resource once, in `resources` (keyed by uid, with the evidence values its results show),
and each control once, in `controls`; a result names its resource and control by id, its evidence by
path (nothing when the paths are its control's), and carries only what is its own (status, message,
waiver). A long value several places show alike (an evidence value, a message, a scope reason, a
connected-to system's links) is written once, in `values`, and named by position. v1 repeated all of
it in every result: 3,400 resources with 50 tags each made a 190 MB document. Readers resolve either
version through pcicheck.results_doc.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pcicheck import __version__, paths
from pcicheck.config import effective_document, effective_text
from pcicheck.evaluate.evaluation import Evaluation
from pcicheck.evaluate.population import where_scanned
from pcicheck.evaluate.rollup import RequirementStatus
from pcicheck.model import Control, Framework, Result, Status
from pcicheck.results_doc import CONNECTED_SHARED, RESOURCE_SHARED, SHARED, V2

SCHEMA = V2
CONFIG_FILE = "pcicheck.yaml"  # the effective configuration, in an evidence pack


def summary(results: tuple[Result, ...] | list[Result]) -> dict[str, int]:
    counts = Counter(r.status.value for r in results)
    return {s.value: counts.get(s.value, 0) for s in Status if s != Status.MANUAL}


def _head(ev: Evaluation) -> dict[str, Any]:
    """The document in key order, with `results` left to `_results` (the bulk of a large document)."""
    snap = ev.snapshot
    return {
        "schema": SCHEMA,
        "tool": {"name": "pcicheck", "version": __version__, "catalog_digest": ev.catalog.digest()},
        "framework": framework_entry(ev.framework),
        "started_at": ev.started_at,
        "finished_at": ev.finished_at,
        "snapshot": {
            "created_at": snap.created_at,
            "tool_version": snap.tool_version,
            "identity": snap.identity,
            "request": snap.request,
            "resources": len(snap.resources),
        },
        "scope": ev.config.scope.describe(),
        "config": config_entry(ev),
        "run": ev.run,
        "summary": summary(ev.results),
        # Before the results that name them, so a streaming reader has every resource when it needs it.
        "values": None,
        "resources": None,
        "results": None,
        "requirements": [requirement_entry(q) for q in ev.requirements],
        # The other frameworks asked for, judged from the same results.
        "also": [
            {"framework": framework_entry(v.framework), "requirements": [requirement_entry(q) for q in v.requirements]}
            for v in ev.also
        ],
        "controls": [control_entry(c, ev.config.params.get(c.id)) for c in _judged_controls(ev)],
        "waivers": [w.to_dict() for w in ev.waivers],
        **({"baseline": ev.baseline.to_dict()} if ev.baseline is not None else {}),
        "connected_to": None,  # written by _write_connected
        "population": population_entry(ev),
        "segmentation": ev.segmentation,
        "errors": [e.to_dict() for e in snap.errors],
    }


def population_entry(ev: Evaluation) -> dict[str, Any]:
    """What was tested, for the report's sampling section: every resource, no sample, and where."""
    return {
        "sampling": "none: every resource of the types the controls read was enumerated and judged",
        "where": where_scanned(ev.snapshot),
        "resources": len(ev.snapshot.resources),
        "scope_selectors": ev.config.scope.describe(),
    }


def config_entry(ev: Evaluation) -> dict[str, Any]:
    """The effective configuration (pcicheck.yaml's scope selectors, params and waivers, defaults written
    out), with the digest of the pcicheck.yaml a pack holds for it."""
    document = effective_document(ev.config)
    return {
        "file": CONFIG_FILE,
        "sha256": hashlib.sha256(effective_text(document).encode()).hexdigest(),
        "loaded_from": ev.config.path,
        "document": document,
    }


def framework_entry(fw: Framework) -> dict[str, Any]:
    return {"id": fw.id, "title": fw.title, **({"retired": fw.retired} if fw.retired else {})}


def requirement_entry(q: RequirementStatus) -> dict[str, Any]:
    """A requirement with its outcome and each testing procedure's: what an assessor may write, and why."""
    return {
        "id": q.id,
        "title": q.title,
        "parent": q.parent,
        "outcome": q.outcome.value,
        **({"reason": q.reason} if q.reason else {}),
        "manual": q.manual,
        "controls": list(q.controls),
        "counts": q.counts,
        "procedures": [
            {
                "id": p.procedure.id,
                "methods": list(p.procedure.methods),
                "about": p.procedure.about,
                "outcome": p.outcome.value,
                **({"reason": p.reason} if p.reason else {}),
                "controls": list(p.controls),
                "counts": p.counts,
            }
            for p in q.procedures
        ],
    }


def _judged_controls(ev: Evaluation) -> list[Control]:
    """The controls behind this document: those with results, or mapped to a reported requirement."""
    ids = {r.control.id for r in ev.results} | {cid for v in ev.views for q in v.requirements for cid in q.controls}
    return sorted((c for c in ev.catalog.controls if c.id in ids), key=lambda c: c.id)


def control_source(path: str) -> str:
    """Where a control is defined, as a reader can find it: `controls/…` for the built-in catalog,
    else relative to the working directory when below it, else as given."""
    p = Path(path).resolve()
    builtin = paths.controls_dir().resolve()
    if builtin in p.parents:
        return "controls/" + p.relative_to(builtin).as_posix()
    try:
        return p.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def control_entry(c: Control, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A control as it judged: its definition (the CEL it ran, with the params in effect after
    pcicheck.yaml's), its mapping and where that mapping comes from. A site param left unset had no value
    in effect: it is named under `needs_configuration`, not shown with its type-only default."""
    given = overrides or {}
    unset = [p for p in c.site_params if p not in given]
    return {
        "id": c.id,
        "title": c.title,
        "severity": c.severity.value,
        "domain": c.domain,
        "resource_type": c.resource,
        "scope": c.scope,
        "where": c.where,
        **({"applies_to": c.applies_to} if c.applies_to else {}),
        "assert": c.assertion,
        "params": {k: v for k, v in {**c.params, **given}.items() if k not in unset},
        **({"needs_configuration": unset} if unset else {}),
        "requirements": {fw: list(ids) for fw, ids in c.requirements.items()},
        "basis": c.basis,
        "rationale": c.rationale,
        "remediation": c.remediation,
        "evidence": list(c.evidence),
        "source": f"{control_source(c.path)}:{c.line}",
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_dumps = _ENCODER.encode


def _shown(results: tuple[Result, ...]) -> dict[str, dict[str, Any]]:
    """Per resource, the evidence values its results show, by path: the same attribute of the same
    resource, shown by every control that names it, written once. A path two results of one resource
    show with different values keeps the first; the other result then carries its own (`_evidence`)."""
    shown: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.evidence:
            values = shown.setdefault(str(r.resource["uid"]), {})
            for path, value in r.evidence.items():
                values.setdefault(path, value)
    return shown


def _evidence(r: Result, shown: dict[str, dict[str, Any]], paths: dict[str, tuple[str, ...]]) -> str:
    """A result's evidence, after its key: nothing when it shows its control's paths (written in
    `controls`), else the paths it shows, when its resource's evidence holds each with the same value,
    else its own mapping."""
    if not r.evidence:
        return "" if not paths.get(r.control.id) else ',"evidence":{}'
    values = shown[str(r.resource["uid"])]
    # Identical objects (the engine reads each from the one resource view), else equal as JSON: True == 1
    # and 1 == 1.0 in Python, not in the document.
    if all(values[p] is v or _dumps(values[p]) == _dumps(v) for p, v in r.evidence.items()):
        if tuple(r.evidence) == paths.get(r.control.id):
            return ""
        return f',"evidence":{_dumps(list(r.evidence))}'
    return f',"evidence":{_dumps(r.evidence)}'


# A reference costs its position's digits (and `_shared` on the field's name): any repeated value longer
# than this pays for it. 24, not less, so short values (`false`, `[]`, a port list) stay readable in place.
SHARED_MIN_CHARS = 24


@dataclass(frozen=True)
class Values:
    """The document's `values`: each value (as JSON text) that more than one place shows alike and that is
    long enough to be worth naming by position, in first-seen order, and each one's position. At 20,000
    Kubernetes objects the list of namespaces that may reach a workload (the same for each workload of a
    namespace) was 80 MB written per resource, and each workload's links to the CDE 27 MB: each is
    written once."""

    texts: tuple[str, ...]
    at: dict[str, int]

    @classmethod
    def of(cls, offered: Iterable[tuple[str, int]]) -> Values:
        seen: dict[str, int] = {}
        for text, times in offered:
            if len(text) >= SHARED_MIN_CHARS:
                seen[text] = seen.get(text, 0) + times
        texts = tuple(text for text, count in seen.items() if count > 1)
        return cls(texts, {text: i for i, text in enumerate(texts)})

    def field(self, name: str, value: Any) -> str:
        """`"name":value`, or `"name_shared":position` when the value is in the table."""
        text = _dumps(value)
        at = self.at.get(text)
        return f"{_dumps(name)}:{text}" if at is None else f"{_dumps(name + SHARED)}:{at}"


def _offered(
    shown: dict[str, dict[str, Any]],
    by_uid: dict[str, dict[str, Any]],
    results: tuple[Result, ...],
    connected: list[dict[str, Any]],
) -> Iterator[tuple[str, int]]:
    """What may be shared, each with how often the document would write it: evidence values (once per
    resource), resources' scope reasons, results' messages, connected-to systems' links."""
    for uid in sorted(shown):
        for value in shown[uid].values():
            yield _dumps(value), 1
    for uid in sorted(by_uid):
        yield _dumps(by_uid[uid].get("scope_reason")), 1
    for message, count in Counter(r.message for r in results).items():
        yield _dumps(message), count
    for c in connected:
        yield _dumps(c.get("links")), 1


def _by_uid(results: tuple[Result, ...]) -> dict[str, dict[str, Any]]:
    by_uid: dict[str, dict[str, Any]] = {}
    for r in results:
        by_uid.setdefault(str(r.resource["uid"]), r.resource)
    return by_uid


def _write_resources(
    by_uid: dict[str, dict[str, Any]], shown: dict[str, dict[str, Any]], table: Values, out: TextIO
) -> None:
    """The resources table: each resource the results name, once, by uid in sorted order (without its
    uid, which is its key), with the evidence values its results show (those in `values` by position).
    Written in batches."""
    batch: list[str] = []
    for i, uid in enumerate(sorted(by_uid)):
        fields = [
            table.field(k, v) if k in RESOURCE_SHARED else f"{_dumps(k)}:{_dumps(v)}"
            for k, v in by_uid[uid].items()
            if k != "uid"
        ]
        if uid in shown:
            own: dict[str, Any] = {}
            named: dict[str, int] = {}
            for path, value in shown[uid].items():
                at = table.at.get(_dumps(value))
                if at is None:
                    own[path] = value
                else:
                    named[path] = at
            fields.append(f'"evidence":{_dumps(own)}')
            if named:
                fields.append(f'"evidence_shared":{_dumps(named)}')
        batch.append(f"{',' if i else ''}{_dumps(uid)}:{{{','.join(fields)}}}")
        if len(batch) >= 4096:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))


def _write_results(
    results: tuple[Result, ...],
    shown: dict[str, dict[str, Any]],
    paths: dict[str, tuple[str, ...]],
    table: Values,
    out: TextIO,
) -> None:
    """The results array, each result naming its control, its resource and (unless they are its
    control's) its evidence's paths, written as it goes from pieces encoded once (a uid once per
    resource, a message once per distinct text). 300,000 results take a fraction of the time and memory
    of json.dumps over the equivalent dicts."""
    controls: dict[str, str] = {}
    uids: dict[str, str] = {}
    texts: dict[str, str] = {}
    batch: list[str] = []
    for i, r in enumerate(results):
        head = controls.get(r.control.id)
        if head is None:
            head = controls[r.control.id] = f'"control":{_dumps(r.control.id)},"status":"'
        uid = str(r.resource["uid"])
        ref = uids.get(uid)
        if ref is None:
            ref = uids[uid] = _dumps(uid)
        message = texts.get(r.message)
        if message is None:
            message = texts[r.message] = table.field("message", r.message)
        waiver = f',"waiver":{_dumps(r.waiver)}' if r.waiver else ""
        batch.append(
            f'{"," if i else ""}{{"id":"{r.evidence_id}",{head}{r.status.value}","resource":{ref},'
            f"{message}{_evidence(r, shown, paths)}{waiver}}}"
        )
        if len(batch) >= 4096:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))


def _write_connected(connected: list[dict[str, Any]], table: Values, out: TextIO) -> None:
    """The connected-to systems, each one's links by position in `values` when another system has the same."""
    out.write("[")
    for i, c in enumerate(connected):
        fields = (table.field(k, v) if k in CONNECTED_SHARED else f"{_dumps(k)}:{_dumps(v)}" for k, v in c.items())
        out.write(f"{',' if i else ''}{{{','.join(fields)}}}")
    out.write("]")


def write(ev: Evaluation, out: TextIO) -> None:
    """The whole document as compact JSON text (pretty-print with `jq .`)."""
    shown = _shown(ev.results)
    by_uid = _by_uid(ev.results)
    connected = ev.estate.connected_to(ev.config.scope.cde_tag)
    table = Values.of(_offered(shown, by_uid, ev.results, connected))
    head = _head(ev)
    paths = {str(c["id"]): tuple(c["evidence"]) for c in head["controls"]}
    out.write("{")
    for n, (key, value) in enumerate(head.items()):
        out.write(f"{',' if n else ''}{_dumps(key)}:")
        if key == "values":
            out.write(f"[{','.join(table.texts)}]")
        elif key == "resources":
            out.write("{")
            _write_resources(by_uid, shown, table, out)
            out.write("}")
        elif key == "results":
            out.write("[")
            _write_results(ev.results, shown, paths, table, out)
            out.write("]")
        elif key == "connected_to":
            _write_connected(connected, table, out)
        else:
            out.write(_dumps(value))
    out.write("}\n")


def render(ev: Evaluation) -> str:
    buffer = io.StringIO()
    write(ev, buffer)
    return buffer.getvalue()

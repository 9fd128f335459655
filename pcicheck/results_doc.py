"""Reading a saved results document's results, whichever version wrote it: the one accessor every reader
(baseline, diff, every renderer) goes through.

`pcicheck/results/v1` embedded in each result its resource (tags and all), its control's fixed fields
(title, severity, domain, requirements) and its evidence (the values the control shows, read from the
resource). `pcicheck/results/v2` writes each resource once, in `resources` (keyed by uid), with the
evidence values its results show under `evidence`, and each control once, in `controls`: a result names
its control and resource by id, and its evidence by the list of paths it shows (or, should two results
of one resource ever show different values at one path, as its own mapping). An evidence value several
resources show alike (a list of every namespace that may reach a workload, the same for each workload
of a namespace) is written once, in the document's `values`, and a resource's `evidence_shared` names
it by position there, path → index. `results(doc)` yields every result as v1 spelled it, the v2
references resolved, so a renderer reads one shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

V1 = "pcicheck/results/v1"
V2 = "pcicheck/results/v2"
SCHEMAS = (V2, V1)  # newest first: what this version writes, then what it still reads

# A control's fields a v2 result leaves to the controls section: the same for every result of the control.
CONTROL_FIELDS = ("title", "severity", "domain", "requirements")


def is_v2(doc: Mapping[str, Any]) -> bool:
    return doc.get("schema") == V2


def resource_evidence(entry: Mapping[str, Any], values: list[Any]) -> dict[str, Any]:
    """A v2 resource's evidence values by path: its own (`evidence`) and the shared ones it names
    (`evidence_shared`, path → position in the document's `values`)."""
    own = dict(entry.get("evidence") or {})
    for path, at in (entry.get("evidence_shared") or {}).items():
        own[str(path)] = values[at]
    return own


def resources(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every resource a result names, by uid, each with its uid (as v1 spelled it: without the evidence
    table), whichever version wrote the document."""
    if is_v2(doc):
        out = {str(uid): {"uid": uid, **res} for uid, res in (doc.get("resources") or {}).items()}
        for res in out.values():
            res.pop("evidence", None)
            res.pop("evidence_shared", None)
        return out
    found: dict[str, dict[str, Any]] = {}
    for r in doc.get("results") or ():
        res = r.get("resource") or {}
        found.setdefault(str(res.get("uid", "")), res)
    return found


def results(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Each result with its resource (a mapping with its uid) and its control's fixed fields in place.
    A v2 result's resource is the one mapping its uid names, shared by every result of that resource,
    so the results of a large document cost their own fields, not their resource's tags, each.
    The document is expected to have passed results_shape, which checks every reference resolves."""
    if not is_v2(doc):
        yield from doc.get("results") or ()
        return
    table = doc.get("resources") or {}
    shared = list(doc.get("values") or ())
    resolved: dict[str, dict[str, Any]] = {}  # uid → the resource as v1 spelled it, built on first use
    shown: dict[str, dict[str, Any]] = {}  # uid → its evidence values by path, built on first use
    fixed = {str(c.get("id")): {k: c[k] for k in CONTROL_FIELDS if k in c} for c in doc.get("controls") or ()}
    for r in doc.get("results") or ():
        uid = str(r.get("resource"))
        entry = table.get(uid) or {}
        resource = resolved.get(uid)
        if resource is None:
            resource = resolved[uid] = {"uid": uid, **entry}
            resource.pop("evidence", None)
            resource.pop("evidence_shared", None)
        evidence = r.get("evidence")
        if isinstance(evidence, list):  # paths, their values in the resource's evidence
            values = shown.get(uid)
            if values is None:
                values = shown[uid] = resource_evidence(entry, shared)
            evidence = {str(path): values.get(str(path)) for path in evidence}
        yield {**fixed.get(str(r.get("control")), {}), **r, "resource": resource, "evidence": evidence}

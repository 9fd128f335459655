"""Reading a saved results document's results, whichever version wrote it: the one accessor every reader
(baseline, diff, every renderer) goes through.

`pcicheck/results/v1` embedded in each result its resource (tags and all), its control's fixed fields
(title, severity, domain, requirements) and its evidence (the values the control shows, read from the
resource). `pcicheck/results/v2` writes each resource once, in `resources` (keyed by uid), with the
evidence values its results show under `evidence`, and each control once, in `controls`: a result names
its control and resource by id. A result's evidence is, when absent, its control's `evidence` paths;
else the list of paths it shows (or, should two results of one resource ever show different values at
one path, its own mapping), their values in its resource's `evidence`.

A long value several places show alike is written once, in the document's `values`, and named by
position: a field `<name>_shared` stands for `<name>` holding the value at that position. So a
resource's `scope_reason_shared`, a result's `message_shared`, a `connected_to` entry's `links_shared`
(the links of every workload of a namespace, the same list), and a resource's `evidence_shared`, which
maps each of its evidence paths so. v2 documents written before these names existed hold every value
in place, and read the same. `results(doc)` yields every result as v1 spelled it, the v2 references
resolved, and `connected_to(doc)` every connected-to system with its links, so a renderer reads one
shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

V1 = "pcicheck/results/v1"
V2 = "pcicheck/results/v2"
SCHEMAS = (V2, V1)  # newest first: what this version writes, then what it still reads

# A control's fields a v2 result leaves to the controls section: the same for every result of the control.
CONTROL_FIELDS = ("title", "severity", "domain", "requirements")

SHARED = "_shared"  # `<name>_shared`: the position in `values` of what `<name>` would hold
# The fields of each v2 table that may be written once in `values` and named by position.
RESOURCE_SHARED = ("scope_reason",)
RESULT_SHARED = ("message",)
CONNECTED_SHARED = ("links",)


def is_v2(doc: Mapping[str, Any]) -> bool:
    return doc.get("schema") == V2


def unshared(entry: Mapping[str, Any], values: Sequence[Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """`entry` with each of `fields` it names by position (`<name>_shared`) in place, in its key order."""
    out: dict[str, Any] = {}
    for key, value in entry.items():
        name = key.removesuffix(SHARED)
        if name != key and name in fields:
            out[name] = values[value]
        else:
            out[key] = value
    return out


def resource_evidence(entry: Mapping[str, Any], values: Sequence[Any]) -> dict[str, Any]:
    """A v2 resource's evidence values by path: its own (`evidence`) and the shared ones it names
    (`evidence_shared`, path → position in the document's `values`)."""
    own = dict(entry.get("evidence") or {})
    for path, at in (entry.get("evidence_shared") or {}).items():
        own[str(path)] = values[at]
    return own


def _resource(uid: str, entry: Mapping[str, Any], values: Sequence[Any]) -> dict[str, Any]:
    """A v2 resource as v1 spelled it: with its uid, its shared fields in place, without its evidence table."""
    resource = {"uid": uid, **unshared(entry, values, RESOURCE_SHARED)}
    resource.pop("evidence", None)
    resource.pop("evidence_shared", None)
    return resource


def resources(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every resource a result names, by uid, each with its uid (as v1 spelled it: without the evidence
    table), whichever version wrote the document."""
    if is_v2(doc):
        values = doc.get("values") or []
        return {str(uid): _resource(str(uid), res, values) for uid, res in (doc.get("resources") or {}).items()}
    found: dict[str, dict[str, Any]] = {}
    for r in doc.get("results") or ():
        res = r.get("resource") or {}
        found.setdefault(str(res.get("uid", "")), res)
    return found


def connected_to(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The systems outside the CDE connected to it, each with its `links` in place, whichever version
    wrote the document."""
    values = doc.get("values") or []
    return [unshared(c, values, CONNECTED_SHARED) for c in doc.get("connected_to") or ()]


def results(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Each result with its resource (a mapping with its uid), its control's fixed fields, its message
    and its evidence values in place. A v2 result's resource is the one mapping its uid names, shared
    by every result of that resource, so the results of a large document cost their own fields, not
    their resource's tags, each. The document is expected to have passed results_shape, which checks
    every reference resolves."""
    if not is_v2(doc):
        yield from doc.get("results") or ()
        return
    table = doc.get("resources") or {}
    shared = list(doc.get("values") or ())
    resolved: dict[str, dict[str, Any]] = {}  # uid → the resource as v1 spelled it, built on first use
    shown: dict[str, dict[str, Any]] = {}  # uid → its evidence values by path, built on first use
    controls = {str(c.get("id")): c for c in doc.get("controls") or ()}
    fixed = {cid: {k: c[k] for k in CONTROL_FIELDS if k in c} for cid, c in controls.items()}
    paths = {cid: list(c.get("evidence") or ()) for cid, c in controls.items()}
    for r in doc.get("results") or ():
        uid, cid = str(r.get("resource")), str(r.get("control"))
        entry = table.get(uid) or {}
        resource = resolved.get(uid)
        if resource is None:
            resource = resolved[uid] = _resource(uid, entry, shared)
        evidence = r.get("evidence", paths.get(cid, []))
        if isinstance(evidence, list):  # paths, their values in the resource's evidence
            values = shown.get(uid)
            if values is None:
                values = shown[uid] = resource_evidence(entry, shared)
            evidence = {str(path): values.get(str(path)) for path in evidence}
        out = {**fixed.get(cid, {}), **r, "resource": resource, "evidence": evidence}
        at = out.pop("message_shared", None)
        if at is not None:
            out["message"] = shared[at]
        yield out

"""The shape of a saved results document (pcicheck/results/v2, or v1 as older versions wrote it), checked
when `diff`, `report` or a baseline reads one back: the file may be old, edited or hostile, and every
renderer trusts what it reads. In v2 a result names its resource and control: each name must resolve.

A spec is a kind name ("text", "int", "number", "bool", "any"; "?" appended allows null), a list of one
spec (a list of such items), or a mapping of keys to specs ("key?" may be absent; "*" is any other key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pcicheck.results_doc import CONNECTED_SHARED, CONTROL_FIELDS, RESOURCE_SHARED, RESULT_SHARED, SHARED, is_v2

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.:/-]+")
_TEXTS = ["text"]
_REQUIREMENT_IDS = {"*": _TEXTS}  # framework id → requirement ids
_RESOURCE = {
    "uid": "text",
    "type": "text",
    "name": "text",
    "account": "text",
    "region": "text",
    "tags": {"*": "text"},
    "scope?": "text?",
    "scope_reason?": "text?",
    "tenant?": "text?",
    "source?": _TEXTS,
    "*": "any",
}
_RESULT = {
    "id": "text",
    "control": "text",
    "title": "text",
    "status": "text",
    "severity": "text",
    "domain": "text",
    "requirements": _REQUIREMENT_IDS,
    "resource": _RESOURCE,
    "message": "text",
    "evidence": {"*": "any"},
    "*": "any",
}
# v2: the resource once in `resources` (its uid is its key), the result naming it and its control by id.
# Its evidence: the paths it shows, resolved in its resource's `evidence`, or its own mapping (checked below).
# A field written once in `values` is named by position (`<name>_shared`): checked below to resolve, to a value
# of the field's kind, in place of the field.
_RESOURCE_V2 = {k: v for k, v in _RESOURCE.items() if k != "uid"} | {
    "evidence?": {"*": "any"},
    "evidence_shared?": {"*": "int"},
    **{f"{name}{SHARED}?": "int" for name in RESOURCE_SHARED},
}
_RESULT_V2 = {k: v for k, v in _RESULT.items() if k not in (*CONTROL_FIELDS, "message", "evidence")} | {
    "resource": "text",
    "message?": "text",
    "evidence?": "any",
    **{f"{name}{SHARED}?": "int" for name in RESULT_SHARED},
}
_CONNECTED_V2 = {"links?": ["any"], **{f"{name}{SHARED}?": "int" for name in CONNECTED_SHARED}, "*": "any"}
_PROCEDURE = {"id": "text", "*": "any"}
_REQUIREMENT = {
    "id": "text",
    "title": "text",
    "parent": "text?",
    "outcome": "text",
    "reason?": "text",
    "manual?": "bool",
    "controls": _TEXTS,
    "counts?": {"*": "int"},
    "procedures?": [_PROCEDURE],
    "*": "any",
}
_CONTROL = {
    "id": "text",
    "title": "text",
    "severity": "text",
    "domain": "text",
    "resource_type": "text",
    "scope": "text",
    "where?": "text?",
    "applies_to?": "text?",
    "assert": "text",
    "params": {"*": "any"},
    "requirements": _REQUIREMENT_IDS,
    "basis?": {"*": {"*": "any"}},
    "rationale": "text",
    "remediation": "text",
    "evidence": _TEXTS,
    "source": "text",
    "*": "any",
}
_FRAMEWORK = {"id": "text", "title": "text", "*": "any"}
RESULTS = {
    "schema": "text",
    "tool": {"name": "text", "version": "text", "*": "any"},
    "framework": _FRAMEWORK,
    "started_at": "text",
    "finished_at": "text",
    "snapshot": {
        "created_at": "text",
        "tool_version": "text",
        "identity": {"*": {"*": "any"}},
        "request": {"providers?": _TEXTS, "*": "any"},
        "resources": "int",
        "*": "any",
    },
    "summary": {"*": "int"},
    "config?": {"*": "any"},
    "scope?": {"*": "any"},
    "run?": {"*": "any"},
    "population?": {"*": "any"},
    "results": [_RESULT],
    "requirements": [_REQUIREMENT],
    "also?": [{"framework": _FRAMEWORK, "requirements": [_REQUIREMENT], "*": "any"}],
    "controls": [_CONTROL],
    "waivers?": [{"*": "any"}],
    "connected_to?": [{"*": "any"}],
    "errors?": [{"*": "any"}],
    "*": "any",
}
RESULTS_V2 = {
    **RESULTS,
    "values?": ["any"],
    "resources": {"*": _RESOURCE_V2},
    "results": [_RESULT_V2],
    "connected_to?": [_CONNECTED_V2],
}
# What a field named by position must find there: the kind its own spec asks for.
_SHARED_SPECS: dict[str, dict[str, Any]] = {
    "resources": {name: _RESOURCE[f"{name}?"] for name in RESOURCE_SHARED},
    "results": {name: _RESULT[name] for name in RESULT_SHARED},
    "connected_to": {name: _CONNECTED_V2[f"{name}?"] for name in CONNECTED_SHARED},
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "results": RESULT_SHARED
}  # of those, the fields an entry must hold, in place or by position

_KINDS: dict[str, Callable[[Any], bool]] = {
    "text": lambda v: isinstance(v, str),
    "int": lambda v: type(v) is int,
    "number": lambda v: type(v) in (int, float),
    "bool": lambda v: isinstance(v, bool),
    "any": lambda v: True,
}


def _at(where: str, key: str) -> str:
    if not _PLAIN_KEY.fullmatch(key):  # an edited document's key may hold anything: quoted, on one line
        return f"{where}[{json.dumps(key)}]"
    return f"{where}.{key}" if where else key


def _kind_problem(value: Any, spec: str, where: str) -> str | None:
    kind, nullable = spec.rstrip("?"), spec.endswith("?")
    if (value is None and nullable) or _KINDS[kind](value):
        return None
    return f"{where or 'the document'} must be {kind}{' or null' if nullable else ''}"


def _mapping_problem(value: dict[str, Any], spec: dict[str, Any], where: str) -> str | None:
    missing = next((k for k in spec if k != "*" and not k.endswith("?") and k not in value), None)
    if missing is not None:
        return f"{_at(where, missing)} is missing"
    named = {k.rstrip("?"): v for k, v in spec.items() if k != "*"}
    for key, item in value.items():
        sub = named.get(key, spec.get("*"))
        found = f"{_at(where, key)} is not expected" if sub is None else problem(item, sub, _at(where, str(key)))
        if found:
            return found
    return None


def _shared_problem(entry: dict[str, Any], table: str, where: str, values: list[Any]) -> str | None:
    """A field of a v2 entry both in place and by position, missing when required, or named by a
    position that `values` does not hold, or holds a value of the wrong kind."""
    for name, spec in _SHARED_SPECS[table].items():
        named = f"{name}{SHARED}"
        if named not in entry:
            if name not in entry and name in _REQUIRED.get(table, ()):
                return f"{where}.{name} is missing"
            continue
        if name in entry:
            return f"{where} holds both {name} and {named}"
        at = entry[named]
        if not 0 <= at < len(values):
            return f"{where}.{named} names no entry of values"
        found = problem(values[at], spec, f"values[{at}]")
        if found:
            return f"{where}.{named} names a value that cannot be its {name}: {found}"
    return None


def _reference_problem(doc: dict[str, Any]) -> str | None:
    """A v2 result naming a resource, control or shared value the document does not hold (shape already
    checked)."""
    controls = {c["id"]: c for c in doc["controls"]}
    values = doc.get("values") or []
    for uid, res in doc["resources"].items():
        where = _at("resources", uid)
        if not all(0 <= at < len(values) for at in (res.get("evidence_shared") or {}).values()):
            return f"{where}.evidence_shared names no entry of values"
        found = _shared_problem(res, "resources", where, values)
        if found:
            return found
    for i, c in enumerate(doc.get("connected_to") or ()):
        found = _shared_problem(c, "connected_to", f"connected_to[{i}]", values)
        if found:
            return found
    held: dict[str, set[str]] = {}  # uid → the paths its evidence holds, built on first use
    return next((f for i, r in enumerate(doc["results"]) if (f := _result_problem(doc, controls, held, i, r))), None)


def _result_problem(
    doc: dict[str, Any], controls: dict[str, Any], held: dict[str, set[str]], i: int, r: dict[str, Any]
) -> str | None:
    if r["resource"] not in doc["resources"]:
        return f"results[{i}].resource names no entry of resources"
    if r["control"] not in controls:
        return f"results[{i}].control names no entry of controls"
    found = _shared_problem(r, "results", f"results[{i}]", doc.get("values") or [])
    if found:
        return found
    evidence = r.get("evidence", controls[r["control"]]["evidence"])  # absent: its control's paths
    if isinstance(evidence, list):
        shown = held.get(r["resource"])
        if shown is None:
            res = doc["resources"][r["resource"]]
            shown = held[r["resource"]] = {*(res.get("evidence") or {}), *(res.get("evidence_shared") or {})}
        if not all(isinstance(p, str) and p in shown for p in evidence):
            whose = "" if "evidence" in r else " (its control's paths)"
            return f"results[{i}].evidence{whose} names a path its resource's evidence does not hold"
    elif not isinstance(evidence, dict):
        return f"results[{i}].evidence must be a list of paths or a mapping"
    return None


def problem(value: Any, spec: Any = None, where: str = "") -> str | None:
    """Where and how `value` departs from `spec` (by default the results document of the version it
    declares, with v2's references resolving), or None."""
    if spec is None:
        v2 = isinstance(value, dict) and is_v2(value)
        found = problem(value, RESULTS_V2 if v2 else RESULTS, where)
        return found or (_reference_problem(value) if v2 else None)
    if isinstance(spec, str):
        return _kind_problem(value, spec, where)
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"{where or 'the document'} must be a list"
        return next((f for i, item in enumerate(value) if (f := problem(item, spec[0], f"{where}[{i}]"))), None)
    if not isinstance(value, dict):
        return f"{where or 'the document'} must be a mapping"
    return _mapping_problem(value, spec, where)

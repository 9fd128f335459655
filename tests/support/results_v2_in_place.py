"""A results document as pcicheck/results/v2 was written before long messages, scope reasons and
connected-to links were named by position in `values` and before a result left its control's evidence
paths unsaid: each of those in place (only evidence values in `values`, by `evidence_shared`). Built
from a current document field by field, independently of pcicheck.results_doc, so tests can prove such
a document (a baseline, a diff input, an old pack) is still read, and reads the same."""

from __future__ import annotations

from typing import Any

from pcicheck import results_doc

_NAMED = {"scope_reason_shared": "scope_reason", "message_shared": "message", "links_shared": "links"}


def _in_place(entry: dict[str, Any], values: list[Any]) -> dict[str, Any]:
    return {_NAMED.get(k, k): (values[v] if k in _NAMED else v) for k, v in entry.items()}


def in_place(doc: dict[str, Any]) -> dict[str, Any]:
    assert doc["schema"] == results_doc.V2
    values = doc["values"]
    paths = {c["id"]: c["evidence"] for c in doc["controls"]}
    results = []
    for r in doc["results"]:
        row = _in_place(r, values)
        if "evidence" not in row:  # its control's paths, or none ({}) as that writer wrote an empty one
            row["evidence"] = list(paths[r["control"]]) or {}
        results.append(row)
    return doc | {
        "resources": {uid: _in_place(res, values) for uid, res in doc["resources"].items()},
        "results": results,
        "connected_to": [_in_place(c, values) for c in doc["connected_to"]],
    }

"""A results document as pcicheck wrote it before v2 (`pcicheck/results/v1`): each result carrying its
resource and its control's title, severity, domain and requirements. Built from a v2 document field by
field in v1's key order, so tests can prove an old baseline, diff input or pack is still read."""

from __future__ import annotations

from typing import Any

from pcicheck import results_doc

_V1_ORDER = ("id", "control", "title", "status", "severity", "domain", "requirements", "resource", "message")


def as_v1(doc: dict[str, Any]) -> dict[str, Any]:
    assert doc["schema"] == results_doc.V2
    rows = []
    for r in results_doc.results(doc):
        row = {k: r[k] for k in _V1_ORDER} | {"evidence": r["evidence"]}
        row["resource"] = dict(r["resource"])
        if "waiver" in r:
            row["waiver"] = r["waiver"]
        rows.append(row)
    return {("schema" if k == "schema" else k): v for k, v in doc.items() if k != "resources"} | {
        "schema": results_doc.V1,
        "results": rows,
    }

"""evidence.csv: the evidence index, the pack's one spreadsheet. Every result, passes included, one row
each: its evidence id, the testing procedures it evidences, the resource and where its configuration was
read (the API calls that read it, or the file and line), and — for a result that needs attention (fail,
error, needs_configuration, waived) — its evidence values, clipped as findings.csv's are. The passes are
what an "in place" rests on, so they are listed as the failures are; their evidence values are in
results.json (a pass shows the same attributes for every resource, 178,000 of them at 20,000 Kubernetes
objects). When the configuration was read is one time for the whole snapshot, stated in index.html,
summary.md and results.json, not repeated on every row. findings.csv (`--format csv`) is this file's
rows that need attention, with the control's title."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from pcicheck import inert, results_doc
from pcicheck.report.evidence_cell import evidence_cell

COLUMNS = (
    "evidence_id",
    "status",
    "control",
    "severity",
    "testing_procedures",
    "resource_uid",
    "resource_type",
    "resource_name",
    "account",
    "region",
    "scope",
    "tenant",
    "source",
    "message",
    "evidence",
)
ATTENTION = frozenset({"fail", "error", "needs_configuration", "waived"})  # results listed as findings


def source_text(resource: Mapping[str, Any]) -> str:
    """The API calls that read a resource, or the file and line it was written in."""
    location = resource.get("location")
    if location:
        return f"{location.get('file')}:{location.get('line')}"
    return " ".join(str(s) for s in resource.get("source") or ())


def write_evidence(doc: Mapping[str, Any], out: TextIO) -> None:
    """Cells made inert as findings.csv's are (pcicheck.inert)."""
    inert.write_csv(out, COLUMNS, _rows(doc))


def _rows(doc: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    framework = doc["framework"]["id"]
    for r in results_doc.results(doc):
        res = r["resource"]
        yield (
            r["id"],
            r["status"],
            r["control"],
            r["severity"],
            " ".join(r["requirements"].get(framework, [])),
            res["uid"],
            res["type"],
            res["name"],
            res["account"],
            res["region"],
            res.get("scope"),
            res.get("tenant"),
            source_text(res),
            r["message"],
            evidence_cell(r["evidence"]) if r["status"] in ATTENTION else "",
        )

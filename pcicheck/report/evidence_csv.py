"""evidence.csv: the evidence index, the pack's spreadsheet of results. Every result, passes included,
one row each: its evidence id, the testing procedures it evidences, the resource it judged (by uid: what
the resource is, where it sits and where its configuration was read are in resources.csv, once per
resource), the message, and — for a result that needs attention (fail, error, needs_configuration,
waived) — its evidence values, clipped as findings.csv's are. The passes are what an "in place" rests
on, so they are listed as the failures are; their evidence values are in results.json (a pass shows the
same attributes for every resource, 178,000 of them at 20,000 Kubernetes objects). A control's own
fields (severity, title) are in index.html and results.json, and with each finding in findings.csv
(`--format csv`, these rows that need attention). When the configuration was read is one time for the
whole snapshot, stated in index.html, summary.md and results.json."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from pcicheck import inert, results_doc
from pcicheck.report.evidence_cell import evidence_cell

COLUMNS = (
    "evidence_id",
    "status",
    "control",
    "testing_procedures",
    "resource_uid",
    "message",
    "evidence",
)
ATTENTION = frozenset({"fail", "error", "needs_configuration", "waived"})  # results listed as findings


def write_evidence(doc: Mapping[str, Any], out: TextIO) -> None:
    """Cells made inert as findings.csv's are (pcicheck.inert)."""
    inert.write_csv(out, COLUMNS, _rows(doc))


def _rows(doc: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    framework = doc["framework"]["id"]
    for r in results_doc.results(doc):
        yield (
            r["id"],
            r["status"],
            r["control"],
            " ".join(r["requirements"].get(framework, [])),
            r["resource"]["uid"],
            r["message"],
            evidence_cell(r["evidence"]) if r["status"] in ATTENTION else "",
        )

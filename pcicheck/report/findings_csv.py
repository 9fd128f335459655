"""findings.csv (`--format csv`; in the pack, evidence.csv holds these rows among all the others): every
result that needs attention (fail, error, needs_configuration, waived), one row each, for spreadsheets.
Cells are made inert by pcicheck.inert (shared with evidence.csv): a leading formula character is
defused with a quote, control characters are shown as escapes, every cell is quoted and rows end with
CRLF. The evidence cell is clipped (pcicheck.report.evidence_cell); the whole is in results.json."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from pcicheck import inert, results_doc
from pcicheck.report.evidence_cell import evidence_cell
from pcicheck.report.evidence_csv import ATTENTION

COLUMNS = (
    "evidence_id",
    "status",
    "severity",
    "control",
    "title",
    "requirements",
    "resource_uid",
    "resource_type",
    "resource_name",
    "account",
    "region",
    "scope",
    "tenant",
    "message",
    "evidence",
)


def write_csv(doc: Mapping[str, Any], out: TextIO) -> None:
    inert.write_csv(out, COLUMNS, _rows(doc))


def _rows(doc: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    framework = doc["framework"]["id"]
    for r in results_doc.results(doc):
        if r["status"] not in ATTENTION:
            continue
        res = r["resource"]
        yield (
            r["id"],
            r["status"],
            r["severity"],
            r["control"],
            r["title"],
            " ".join(r["requirements"].get(framework, [])),
            res["uid"],
            res["type"],
            res["name"],
            res["account"],
            res["region"],
            res.get("scope"),
            res.get("tenant"),
            r["message"],
            evidence_cell(r["evidence"]),
        )

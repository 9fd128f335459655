"""evidence.csv: the evidence index. Every result, passes included, one row each: its evidence id, the
testing procedures it evidences, the resource, when the configuration was read, and where from (the
API calls that read it, or the file and line). The passes are what an "in place" rests on, so they are
listed as the failures are."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from pcicheck import inert, results_doc

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
    "read_at",
    "source",
    "message",
)


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
    read_at = doc["snapshot"]["created_at"]
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
            read_at,
            source_text(res),
            r["message"],
        )

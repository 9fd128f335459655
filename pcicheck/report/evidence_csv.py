"""evidence.csv: the evidence index. Every result, passes included, one row each: its evidence id, the
testing procedures it evidences, the resource, when the configuration was read, and where from (the
API calls that read it, or the file and line). The passes are what an "in place" rests on, so they are
listed as the failures are."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from typing import Any, TextIO

from pcicheck.report.findings_csv import cell

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
    framework = doc["framework"]["id"]
    read_at = doc["snapshot"]["created_at"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in doc["results"]:
        res = r["resource"]
        writer.writerow(
            cell(v)
            for v in (
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
        )

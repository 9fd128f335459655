"""findings.csv: every result that needs attention (fail, error, waived), one row each, for
spreadsheets. Cells that a spreadsheet would run as a formula are defused with a leading quote."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from typing import Any, TextIO

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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A spreadsheet cell that cannot run: a leading formula character is defused with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(doc: Mapping[str, Any], out: TextIO) -> None:
    framework = doc["framework"]["id"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in doc["results"]:
        if r["status"] not in ("fail", "error", "waived"):
            continue
        res = r["resource"]
        writer.writerow(
            cell(v)
            for v in (
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
                json.dumps(r["evidence"], ensure_ascii=False, sort_keys=True),
            )
        )

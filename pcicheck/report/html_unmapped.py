"""The "Not mapped to PCI DSS" section of index.html: failed Checkov checks that pcicheck's mapping does
not tie to any requirement, read from the results document (`snapshot.request.iac.unmapped`).

Every value here comes from Checkov's output and the scanned repository, or (the reason a check is not
mapped) from the mapping by way of a results document that may have been edited, so none is trusted. This
module returns raw text; the page clips each field when it takes them, and the template autoescapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pcicheck.iac.unmapped import MAX_FINDINGS


class UnmappedRow(NamedTuple):
    check: str
    title: str
    resource: str
    where: str  # file:line
    check_type: str
    outcome: str  # "failed", or "skipped" when Checkov did not evaluate it
    # Why controls/checkov/mapping.yaml excludes the check, as results.json records it; empty for a document
    # written before the reason was recorded (the page then says nothing rather than guess).
    excluded_because: str


@dataclass(frozen=True)
class UnmappedSection:
    rows: list[UnmappedRow]
    failures: int  # every failed record counted, listed or not
    checks: int
    left_out: int  # failures counted but not listed (the list is bounded)
    passed: int


def _row(f: Mapping[str, Any]) -> UnmappedRow:
    return UnmappedRow(
        check=str(f.get("check", "")),
        title=str(f.get("title", "")),
        resource=str(f.get("resource", "")),
        where=f"{f.get('file', '')}:{f.get('line', '')}" if f.get("file") else "",
        check_type=str(f.get("check_type", "")),
        outcome=str(f.get("outcome", "failed")),
        excluded_because=str(f.get("excluded_because") or ""),
    )


def read(request: Mapping[str, Any]) -> UnmappedSection | None:
    """The section's content, or None when no unmapped check failed (the page then has no such section)."""
    unmapped = (request.get("iac") or {}).get("unmapped")
    if not isinstance(unmapped, Mapping):
        return None
    failed = unmapped.get("failed")
    counts = [n for n in failed.values() if isinstance(n, int)] if isinstance(failed, Mapping) else []
    findings = unmapped.get("findings")
    # A hand-edited document could list more than pcicheck ever writes: the page keeps the same bound.
    listed = [f for f in findings if isinstance(f, Mapping)] if isinstance(findings, list) else []
    rows = [_row(f) for f in listed[:MAX_FINDINGS]]
    failures = max(sum(counts), len(listed))
    if not failures:
        return None
    passed = unmapped.get("passed")
    return UnmappedSection(
        rows=rows,
        failures=failures,
        checks=len(counts),
        left_out=failures - len(rows),
        passed=passed if isinstance(passed, int) else 0,
    )

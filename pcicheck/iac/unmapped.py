"""Failed Checkov checks that controls/checkov/mapping.yaml does not map to PCI DSS.

They are not judged against any requirement (nobody has justified a mapping for them), but an assessor
must still see them: each failure is kept with its check, title, resource, file and line, and listed
in the snapshot request beside the per-check counts. The list is bounded so that a repository with a
huge number of such failures still yields a results document of sane size; the counts are never cut.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_FINDINGS = 5_000  # failures listed in the snapshot request; the rest are counted and said to be left out


@dataclass(frozen=True, order=True)
class UnmappedFinding:
    """One failed Checkov record of a check with no PCI DSS mapping. The field order is the sort order:
    by check, then where it was found, so the list reads check by check and is the same on every run."""

    check: str  # Checkov's id, e.g. CKV_AWS_21
    file: str  # the original file, as display_path shows it
    line: int
    resource: str  # Checkov's resource address, e.g. aws_s3_bucket.logs
    title: str  # Checkov's check_name
    check_type: str  # Checkov's framework: terraform, cloudformation, kubernetes ...
    # A record Checkov skipped through a suppression pcicheck did not neutralise: not evaluated, so it is
    # listed with the failures (as the counts have always counted it) but marked as what it is.
    skipped: bool = False
    # Why the mapping excludes the check (controls/checkov/mapping.yaml `excluded`); empty for a check the
    # pinned Checkov does not have (another Checkov release) or that is not AWS, Kubernetes or secrets.
    excluded_because: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "title": self.title,
            "resource": self.resource,
            "file": self.file,
            "line": self.line,
            "check_type": self.check_type,
            "outcome": "skipped" if self.skipped else "failed",
            "excluded_because": self.excluded_because or "not in the mapping",
        }


def bounded(findings: Iterable[UnmappedFinding], limit: int = MAX_FINDINGS) -> tuple[list[UnmappedFinding], int]:
    """The first `limit` findings in sort order, and how many were left out. Sorting before cutting
    makes the kept ones the same whatever order Checkov reported them in."""
    ordered = sorted(findings)
    return ordered[:limit], max(0, len(ordered) - limit)


@dataclass
class Unmapped:
    """What the unmapped checks found in one scan: failures counted per check and listed, passes counted."""

    failed: Counter[str] = field(default_factory=Counter)  # check id -> failed (or skipped) records
    passed: int = 0
    unknown: int = 0  # records Checkov could not decide (see checkov_shim.py)
    findings: list[UnmappedFinding] = field(default_factory=list)

    def fail(self, finding: UnmappedFinding) -> None:
        self.failed[finding.check] += 1
        self.findings.append(finding)

    def request(self, limit: int = MAX_FINDINGS) -> dict[str, Any]:
        """`snapshot.request.iac.unmapped`: the counts as before, plus the bounded list of failures."""
        kept, left_out = bounded(self.findings, limit)
        return {
            "failed": dict(sorted(self.failed.items())),
            "passed": self.passed,
            "unknown": self.unknown,
            "findings": [f.to_dict() for f in kept],
            "findings_limit": limit,
            "findings_left_out": left_out,
        }


def unmapped_line(unmapped: Unmapped, limit: int = MAX_FINDINGS) -> str:
    """The console's line about them: how many, and where an assessor finds each one."""
    total = sum(unmapped.failed.values())
    listed = "listed" if total <= limit else f"the first {limit:,} listed, the other {total - limit:,} counted"
    return (
        f"{total:,} failures of {len(unmapped.failed):,} Checkov checks with no PCI DSS mapping were not judged "
        f"against a requirement: {listed} in results.json (snapshot.request.iac.unmapped.findings) and in the "
        'evidence pack\'s index.html ("Not mapped to PCI DSS")'
    )

"""The exit code, from results, the --fail-on threshold, a baseline and --allow-incomplete (see errors.ExitCode)."""

from __future__ import annotations

from collections.abc import Iterable

from pcicheck.errors import ExitCode
from pcicheck.model import INCOMPLETE_STATUSES, Result, Severity, Status


def exit_code(
    results: Iterable[Result],
    fail_on: Severity,
    collection_errors: int = 0,
    *,
    new_only: frozenset[str] | None = None,
    allow_incomplete: bool = False,
) -> ExitCode:
    """1 on a failure at or above the threshold (with a baseline: only a new one); else 3 if anything
    could not be read or judged (an error, or a control whose site param is unset), unless that is
    allowed; else 0. Waived results never fail the gate."""
    incomplete = collection_errors > 0
    for r in results:
        gating = r.status == Status.FAIL and r.control.severity.rank >= fail_on.rank
        if gating and (new_only is None or r.evidence_id in new_only):
            return ExitCode.FINDINGS
        incomplete = incomplete or r.status in INCOMPLETE_STATUSES
    return ExitCode.INCOMPLETE if incomplete and not allow_incomplete else ExitCode.OK

"""The exit code, from results and the --fail-on threshold (see errors.ExitCode)."""

from __future__ import annotations

from collections.abc import Iterable

from pcicheck.errors import ExitCode
from pcicheck.model import Result, Severity, Status


def exit_code(results: Iterable[Result], fail_on: Severity, collection_errors: int = 0) -> ExitCode:
    """1 on a failure at or above the threshold; else 3 if anything could not be read or judged; else 0."""
    incomplete = collection_errors > 0
    for r in results:
        if r.status == Status.FAIL and r.control.severity.rank >= fail_on.rank:
            return ExitCode.FINDINGS
        incomplete = incomplete or r.status == Status.ERROR
    return ExitCode.INCOMPLETE if incomplete else ExitCode.OK

"""Started by Checkov's own Python (never imported by pcicheck): runs the `checkov` program given as the
first argument, after one change to what Checkov reports.

Checkov decides some checks UNKNOWN (a value behind an unresolved variable, a function it cannot
evaluate) and its reports keep only PASSED, FAILED and SKIPPED records: an unknown verdict vanishes, and
the resource reads as if the check never applied. Here such a record is kept as SKIPPED with the comment
UNKNOWN_MARK, so pcicheck can report it as `error` (not evaluated) naming the check and the resource.

Standard library only, and written for any Python Checkov supports: this file runs in Checkov's
environment, not pcicheck's.
"""

import importlib
import runpy
import sys

UNKNOWN_MARK = "pcicheck:checkov-unknown"


def _keep_unknown_verdicts() -> None:
    try:
        enums = importlib.import_module("checkov.common.models.enums")
        report = importlib.import_module("checkov.common.output.report")
    except ImportError:
        return  # not Checkov's environment (a stand-in program): nothing to change
    unknown, skipped = enums.CheckResult.UNKNOWN, enums.CheckResult.SKIPPED
    original = report.Report.add_record

    def add_record(self, record):  # type: ignore[no-untyped-def]
        result = record.check_result
        if isinstance(result, dict) and result.get("result") == unknown:
            record.check_result = {**result, "result": skipped, "suppress_comment": UNKNOWN_MARK}
        original(self, record)

    report.Report.add_record = add_record


def main() -> None:
    program = sys.argv[1]
    sys.argv = [program, *sys.argv[2:]]
    _keep_unknown_verdicts()
    runpy.run_path(program, run_name="__main__")


if __name__ == "__main__":
    main()

"""Running the CLI in a child process with its memory capped, so a bomb that got through fails the test
(MemoryError, killed) instead of taking the machine down."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MEMORY_CAP = 1536 * 1024 * 1024  # address space: the interpreter, pcicheck's imports and a scan fit easily
HANG_GUARD = 120  # seconds: a guard against a hang, not a timing assertion


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_capped(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Ran:
    proc = subprocess.run(
        [sys.executable, "-m", "pcicheck", *argv],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        preexec_fn=_cap,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def one_error_line(ran: Ran) -> str:
    """The run failed the way the CLI promises: exit 2, one line, no traceback, no internal error."""
    lines = ran.err.strip().splitlines()
    assert ran.code == 2, (ran.code, ran.err[-2000:])
    assert len(lines) == 1 and "Traceback" not in ran.err and "internal error" not in ran.err, ran.err[-2000:]
    return lines[0]

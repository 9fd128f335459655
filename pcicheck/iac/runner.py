"""Running Checkov as a subprocess and reading its JSON, without inheriting its silent passes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcicheck.iac.checkov_env import CheckovTool

# secrets: credentials written into the sources (CKV_SECRET_*); Checkov masks their values in its output.
FRAMEWORKS = ("terraform", "cloudformation", "kubernetes", "secrets")
SHIM = Path(__file__).with_name("checkov_shim.py")
_PYTHON = re.compile(r"python[0-9.]*$")
RUN_TIMEOUT_S = 3600
# Settings a user's environment could use to switch checks off or soften the run; Checkov reads
# them as defaults for its flags, so none of them may reach it.
_DROPPED_ENV_PREFIXES = ("CKV_", "BC_", "CHECKOV_", "PRISMA_")


@dataclass(frozen=True)
class CheckovRun:
    reports: tuple[dict[str, Any], ...]  # one per framework that found something to scan
    version: str | None
    failure: str | None  # Checkov crashed or wrote no readable report: nothing it said can be trusted
    seconds: float
    command: tuple[str, ...] = field(default_factory=tuple)
    # Checkov ran under checkov_shim.py, so its UNKNOWN verdicts were kept (as errors) rather than dropped.
    unknown_kept: bool = False


def checkov_env(env: Mapping[str, str], home: str) -> dict[str, str]:
    clean = {k: v for k, v in env.items() if not k.startswith(_DROPPED_ENV_PREFIXES)}
    clean.update(
        {
            "BC_SKIP_MAPPING": "TRUE",  # no download of Prisma metadata
            "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",  # no PyPI request for a newer Checkov
            "LOG_LEVEL": "WARNING",
            # A private HOME: Checkov also reads ~/.checkov.yaml, which could skip checks.
            "HOME": home,
        }
    )
    return clean


def interpreter(program: str) -> str | None:
    """The Python a `checkov` console script runs under, from its `#!` line (a venv's python, or
    `/usr/bin/env python3`); None when it is not a Python script."""
    try:
        with open(program, "rb") as f:
            first = f.readline(512).decode("utf-8", "replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if len(words) >= 2 and Path(words[0]).name == "env" and _PYTHON.search(words[1]):
        return shutil.which(words[1])
    return words[0] if words and _PYTHON.search(Path(words[0]).name) else None


def command(tool: CheckovTool, policies: Path) -> list[str]:
    """Checkov through checkov_shim.py when its Python is known (unknown verdicts kept), else as it is."""
    python = interpreter(tool.path)
    return [
        *([python, str(SHIM)] if python else []),
        tool.path,
        "--directory",
        ".",
        "--framework",
        *FRAMEWORKS,
        "--output",
        "json",
        "--skip-download",
        "--download-external-modules",
        "false",
        "--external-checks-dir",
        str(policies),
    ]


def parse_output(stdout: str) -> tuple[tuple[dict[str, Any], ...], str | None]:
    """Checkov's JSON: one report object, a list of them, or (nothing to scan) a bare summary."""
    data = json.loads(stdout)
    reports = data if isinstance(data, list) else [data]
    version = None
    out = []
    for report in reports:
        if not isinstance(report, dict):
            raise ValueError("a report is not a JSON object")
        summary = report.get("summary") if "summary" in report else report
        if isinstance(summary, dict) and summary.get("checkov_version"):
            version = str(summary["checkov_version"])
        if "results" in report:
            if not isinstance(report["results"], dict):
                raise ValueError("'results' is not a JSON object")
            out.append(report)
    return tuple(out), version


class BackgroundCheckov:
    """One Checkov run, started at once and left to work while pcicheck prepares the rest (finish() waits
    and reads it; stop() ends it early, on any way out). Its output goes to files in a private temporary
    folder: a pipe nobody reads while it runs would stall it once full."""

    def __init__(self, tool: CheckovTool, stage: Path, policies: Path, env: Mapping[str, str]) -> None:
        self.tool = tool
        self.cmd = command(tool, policies)
        self.started = time.monotonic()
        self._files = contextlib.ExitStack()
        folder = Path(self._files.enter_context(tempfile.TemporaryDirectory(prefix="pcicheck-checkov-")))
        home = folder / "home"  # a private HOME: Checkov also reads ~/.checkov.yaml, which could skip checks
        home.mkdir()
        self._outputs = (folder / "stdout", folder / "stderr")
        self._failure: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        fds = [os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600) for p in self._outputs]
        try:
            self._process = subprocess.Popen(
                self.cmd, cwd=stage, env=checkov_env(env, str(home)), stdout=fds[0], stderr=fds[1]
            )
        except OSError as exc:
            self._failure = f"Checkov could not run: {exc}"
        finally:
            for fd in fds:
                os.close(fd)

    def finish(self) -> CheckovRun:
        """Waits for Checkov (at most RUN_TIMEOUT_S from its start) and reads what it wrote."""
        try:
            return self._read()
        finally:
            self.stop()

    def _read(self) -> CheckovRun:
        cmd = tuple(self.cmd)
        if self._process is None:
            return CheckovRun((), self.tool.version, self._failure, time.monotonic() - self.started, cmd)
        try:
            code = self._process.wait(timeout=max(0.0, RUN_TIMEOUT_S - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            timed_out = subprocess.TimeoutExpired(self.cmd, RUN_TIMEOUT_S)
            failure = f"Checkov could not run: {timed_out}"
            return CheckovRun((), self.tool.version, failure, time.monotonic() - self.started, cmd)
        seconds = time.monotonic() - self.started
        stdout, stderr = (p.read_bytes().decode("utf-8", errors="replace") for p in self._outputs)
        stderr_tail = (stderr.strip().splitlines() or ["no output on stderr"])[-1][:300]
        # 0: nothing failed, 1: something failed; anything else is Checkov's own failure.
        if code not in (0, 1):
            return CheckovRun((), self.tool.version, f"Checkov exited {code}: {stderr_tail}", seconds, cmd)
        try:
            reports, version = parse_output(stdout)
        except (ValueError, json.JSONDecodeError) as exc:
            failure = f"Checkov wrote no readable JSON ({exc}); {stderr_tail}"
            return CheckovRun((), self.tool.version, failure, seconds, cmd)
        return CheckovRun(reports, version or self.tool.version, None, seconds, cmd, str(SHIM) in self.cmd)

    def stop(self) -> None:
        """Ends Checkov if it still runs, and removes what it was given."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._files.close()

"""Where Checkov comes from: a path given with --checkov, a `checkov` on PATH, or a private virtual
environment pcicheck creates in its cache on first use.

Checkov pins old versions of boto3, packaging and networkx, so it never shares pcicheck's
environment: it runs as a subprocess from wherever it lives.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pcicheck.errors import InputError, PcicheckError
from pcicheck.paths import cache_dir

CHECKOV_VERSION = "3.3.30"
INSTALL_TIMEOUT_S = 1800


@dataclass(frozen=True)
class CheckovTool:
    path: str
    source: str  # flag | path | cache
    version: str | None  # known up front for the cache; read from Checkov's own output otherwise


class CheckovInstallFailed(PcicheckError):
    """pip could not install Checkov into the cache (no registry access, disk full...)."""


def venv_dir(env: Mapping[str, str], version: str = CHECKOV_VERSION) -> Path:
    return cache_dir(env) / f"checkov-{version}"


def _venv_checkov(venv: Path) -> Path:
    return venv / "bin" / "checkov"


def _installed(venv: Path, version: str) -> bool:
    """A finished install: the marker is written only after pip succeeded."""
    marker = venv / ".pcicheck-installed"
    return marker.is_file() and marker.read_text().strip() == version and _venv_checkov(venv).is_file()


def install(
    env: Mapping[str, str],
    say: Callable[[str], None],
    version: str = CHECKOV_VERSION,
    python: str = sys.executable,
) -> Path:
    """Create the cache's virtual environment with checkov==version, once. A lock file keeps two
    pcicheck runs from installing into the same directory at the same time."""
    venv = venv_dir(env, version)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f".checkov-{version}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(venv, version):
            return _venv_checkov(venv)
        say(f"installing Checkov {version} into {venv} (first use; takes a minute or two)")
        shutil.rmtree(venv, ignore_errors=True)  # a half-finished earlier attempt
        steps = (
            [python, "-m", "venv", str(venv)],
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"checkov=={version}",
            ],
        )
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise CheckovInstallFailed(f"installing Checkov failed: {exc}", path=str(venv)) from exc
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise CheckovInstallFailed(
                    f"installing Checkov failed ({' '.join(step[-2:])}): {last}",
                    path=str(venv),
                    fix="check access to the package registry, or pass --checkov PATH to an installed checkov",
                )
        (venv / ".pcicheck-installed").write_text(version + "\n")
    return _venv_checkov(venv)


def available_checkov(flag: Path | None, env: Mapping[str, str], version: str = CHECKOV_VERSION) -> CheckovTool | None:
    """--checkov first, then a finished install in the cache, then `checkov` on PATH; None when there is
    none (find_checkov then installs one).

    The cache comes before PATH so that results stay pinned to the reviewed release once it is there;
    a checkov on PATH saves the first-use install on machines that already have one.
    """
    if flag is not None:
        if not flag.is_file() or not os.access(flag, os.X_OK):
            raise InputError("--checkov is not an executable file", path=str(flag), fix="pass the checkov program")
        return CheckovTool(str(flag), "flag", None)
    venv = venv_dir(env, version)
    if _installed(venv, version):
        return CheckovTool(str(_venv_checkov(venv)), "cache", version)
    on_path = shutil.which("checkov", path=env.get("PATH"))
    return CheckovTool(on_path, "path", None) if on_path else None


def find_checkov(
    flag: Path | None, env: Mapping[str, str], say: Callable[[str], None], version: str = CHECKOV_VERSION
) -> CheckovTool:
    """The Checkov available_checkov finds, else one installed into the cache now."""
    found = available_checkov(flag, env, version)
    return found or CheckovTool(str(install(env, say, version)), "cache", version)

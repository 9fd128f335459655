"""The first half of `pcicheck iac PATH`: the sources staged, and Checkov started on them in the background,
so that pcicheck's own preparation (its rules and waivers, the Checkov mapping, the Kubernetes objects,
the modules that judge and report) runs while Checkov works rather than before it. scan.py does the rest.

Only what staging and starting need is imported here. A Checkov that first has to be installed is not
installed here: that waits for `checkov()`, after the caller has checked its own inputs, so a typo in
pcicheck.yaml is reported at once rather than after a two-minute install.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pcicheck import paths
from pcicheck.errors import InputError
from pcicheck.iac.checkov_env import CheckovTool, available_checkov, find_checkov
from pcicheck.iac.runner import BackgroundCheckov, CheckovRun
from pcicheck.iac.sources import Staged, stage_sources


@dataclass
class Launched:
    """PATH staged, and Checkov running on it when it was there to start."""

    path: Path
    staged: Staged
    env: dict[str, str]
    checkov_flag: Path | None
    announce: Callable[[str], None]
    running: BackgroundCheckov | None = None

    def checkov(self) -> tuple[CheckovTool | None, CheckovRun]:
        """Checkov's finished run (None and an empty run when nothing staged is Checkov's to judge)."""
        if not self.staged.files:
            return None, CheckovRun((), None, None, 0.0)
        if self.running is None:
            tool = find_checkov(self.checkov_flag, self.env, self.announce)
            self.running = BackgroundCheckov(tool, self.staged.stage, paths.checkov_policies_dir(), self.env)
        return self.running.tool, self.running.finish()


@contextmanager
def launched_iac(path: Path, checkov: Path | None, announce: Callable[[str], None]) -> Iterator[Launched]:
    """Stages PATH into a temporary folder and starts Checkov on it; on the way out, by any way, a
    Checkov still running is ended and the folder removed."""
    if not path.exists():
        raise InputError("no such file or directory", path=str(path), fix="pass the directory of IaC sources")
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="pcicheck-iac-") as tmp:
        staged = stage_sources(path.resolve(), Path(tmp), env)
        if staged.files == 0 and not staged.problems:
            raise InputError(
                "nothing to scan: no Terraform, CloudFormation, Kubernetes, Helm or Kustomize sources",
                path=str(path),
                fix="pass the directory that holds them",
            )
        launched = Launched(path, staged, env, checkov, announce)
        tool = available_checkov(checkov, env) if staged.files else None
        try:
            if tool is not None:
                launched.running = BackgroundCheckov(tool, staged.stage, paths.checkov_policies_dir(), env)
            yield launched
        finally:
            if launched.running is not None:
                launched.running.stop()

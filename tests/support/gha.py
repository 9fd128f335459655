"""The part of a GitHub Actions runner the CI recipes use, to run their steps here: `run:` steps in
bash as the runner starts them (`bash --noprofile --norc -eo pipefail`), with GITHUB_OUTPUT,
GITHUB_PATH, GITHUB_STEP_SUMMARY and RUNNER_TEMP as files and folders of the test; `${{ }}` for
inputs, env and step outputs; `if:` with always(), ==, != and &&; composite actions (action.yml)
run step by step. An expression or condition it does not know fails the test: nothing is skipped
silently. Steps that `uses:` a hosted action are recorded with their resolved inputs, or answered by a
stand-in the test gives (setup-python's python-path)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
COMPARISON = re.compile(r"([\w.-]+) (==|!=) '([^']*)'")
StandIn = Callable[[dict[str, str]], dict[str, str]]


@dataclass
class Context:
    inputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    steps: dict[str, dict[str, str]] = field(default_factory=dict)

    def value(self, expr: str) -> str:
        head, _, rest = expr.partition(".")
        if head == "inputs" and rest in self.inputs:
            return self.inputs[rest]
        if head == "env" and rest in self.env:
            return self.env[rest]
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
            return self.steps.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"expression the test runner does not know: {expr}")

    def substitute(self, value: Any) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), str(value))

    def condition(self, cond: str | None, failed: bool) -> bool:
        if cond is None:
            return not failed
        always, holds = False, True
        for term in (t.strip() for t in cond.split("&&")):
            if term == "always()":
                always = True
            elif m := COMPARISON.fullmatch(term):
                equal = self.value(m.group(1)) == m.group(3)
                holds = holds and (equal if m.group(2) == "==" else not equal)
            else:
                raise AssertionError(f"condition the test runner does not know: {term}")
        return holds and (always or not failed)


@dataclass
class Runner:
    workspace: Path
    temp: Path
    env: dict[str, str]
    actions: Mapping[str, Path] = field(default_factory=dict)  # `uses:` -> a local action.yml
    stand_ins: Mapping[str, StandIn] = field(default_factory=dict)  # `uses:` prefix -> outputs
    not_run: tuple[str, ...] = ()  # `run:` scripts starting so need the hosting service (git push, gh)
    hosted: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # hosted actions not run
    logs: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)  # GITHUB_PATH additions, newest first

    def run_steps(self, steps: list[dict[str, Any]], ctx: Context, extra_env: Mapping[str, str] = {}) -> bool:
        """Run the steps; True when one failed (the job's or the action's result)."""
        failed = False
        for number, step in enumerate(steps):
            if not ctx.condition(step.get("if"), failed):
                continue
            sid = step.get("id", f"step{number}")
            if "uses" in step:
                with_ = {k: ctx.substitute(v) for k, v in (step.get("with") or {}).items()}
                outputs, bad = self.use(step["uses"], with_)
            elif step["run"].startswith(self.not_run):
                self.hosted.append((step["run"].split()[0], {}))
                outputs, bad = {}, False
            else:
                env = {k: ctx.substitute(v) for k, v in (step.get("env") or {}).items()}
                outputs, bad = self.shell(step.get("name", sid), step["run"], {**extra_env, **env})
            ctx.steps[sid] = outputs
            failed = failed or bad
        return failed

    def use(self, uses: str, with_: dict[str, str]) -> tuple[dict[str, str], bool]:
        if uses in self.actions:
            return self.composite(self.actions[uses], with_)
        for prefix, stand_in in self.stand_ins.items():
            if uses.startswith(prefix):
                return stand_in(with_), False
        self.hosted.append((uses, with_))
        return {}, False

    def composite(self, action_file: Path, with_: dict[str, str]) -> tuple[dict[str, str], bool]:
        action = yaml.safe_load(action_file.read_text())
        assert action["runs"]["using"] == "composite"
        unknown = set(with_) - set(action["inputs"])
        assert not unknown, f"inputs {action_file} does not declare: {unknown}"
        inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()} | with_
        ctx = Context(inputs=inputs)
        failed = self.run_steps(action["runs"]["steps"], ctx, {"GITHUB_ACTION_PATH": str(action_file.parent)})
        return {k: ctx.substitute(v["value"]) for k, v in action.get("outputs", {}).items()}, failed

    def shell(self, name: str, script: str, step_env: Mapping[str, str]) -> tuple[dict[str, str], bool]:
        output = self.temp / f"output-{len(self.logs)}"
        output.write_text("")
        paths = self.temp / "github-path"
        paths.touch()
        env = {
            **self.env,
            **step_env,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_PATH": str(paths),
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(self.temp),
            "PATH": os.pathsep.join([*self.path, self.env.get("PATH", os.environ["PATH"])]),
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.logs[name] = done
        self.path = [line for line in reversed(paths.read_text().splitlines()) if line]
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return outputs, done.returncode != 0

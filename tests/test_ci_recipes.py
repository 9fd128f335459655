"""The CI recipes in examples/ and .pre-commit-hooks.yaml, exercised by running the very commands
they run (read from the YAML files), in a throwaway repository: the baseline job, then the gate on a
change with one new violation (fails), with a waiver (passes), plus GitLab's script and the hooks.

Steps that need the hosting service (`uses:` actions, `pip install`, `gh`, `git push`, `curl` to the
GitLab API) are not run; the files they consume are checked instead."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.gate.test_gate_cli import CHANGED, NAMESPACE, WEB

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SKIPPED = ("pip ", "gh ", "git ", "curl ")


def bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", command], cwd=cwd, env=full, capture_output=True, text=True, timeout=180
    )


def repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "deploy" / "k8s").mkdir(parents=True)
    (repo / ".pcicheck").mkdir()
    (repo / "deploy" / "k8s" / "app.yaml").write_text(NAMESPACE)
    (repo / ".pcicheck" / "waivers.yaml").write_text("waivers: []\n")
    # The site's own settings, read from the working directory: its approved registry has no default.
    (repo / "pcicheck.yaml").write_text(
        "params:\n  k8s-workload-image-allowed-registry: {registries: [registry.example.com/]}\n"
    )
    return repo


def steps(job: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["run"] for s in job["steps"] if "run" in s and "name" in s}


def test_github_workflow(tmp_path: Path) -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "github" / "pcicheck.yml").read_text())
    env = {k: str(v) for k, v in workflow["env"].items()}
    repo = repository(tmp_path)
    baseline = steps(workflow["jobs"]["baseline"])
    assert bash(baseline["Refresh the baseline"], repo, env).returncode == 0
    assert (repo / ".pcicheck" / "baseline.json").is_file()
    assert baseline["Commit it"].startswith("git ")  # needs the hosting service: not run here

    gate = steps(workflow["jobs"]["gate"])
    run = [name for name, command in gate.items() if not command.startswith(SKIPPED)]
    assert run == ["Gate on new findings", "Job summary"]
    (repo / "deploy" / "k8s" / "app.yaml").write_text(CHANGED)  # the pull request: one new violation
    summary_file = tmp_path / "step-summary.md"
    env["GITHUB_STEP_SUMMARY"] = str(summary_file)
    failed = bash(gate["Gate on new findings"], repo, env)
    assert failed.returncode == 1 and "exit 1: a control at or above --fail-on failed" in failed.stderr
    assert (repo / "pcicheck.sarif").is_file() and (repo / "pcicheck-pack" / "index.html").is_file()
    assert bash(gate["Job summary"], repo, env).returncode == 0
    summary = summary_file.read_text()
    assert "**Since the baseline:** 1 new" in summary and "k8s-workload-image-allowed-registry" in summary

    today = dt.datetime.now(dt.UTC).date()
    (repo / ".pcicheck" / "waivers.yaml").write_text(
        "waivers:\n"
        f"  - {{id: W-1, control: k8s-workload-image-allowed-registry, resource: {{uid: '{WEB}'}},\n"
        "      justification: mirror pending (RISK-9 tracks it), approved_by: QSA, ticket: RISK-9,\n"
        f"      created: {today - dt.timedelta(days=1)}, expires: {today + dt.timedelta(days=30)}}}\n"
    )
    for stale in ("pcicheck-pack", "pcicheck.sarif"):
        subprocess.run(["rm", "-rf", str(repo / stale)], check=True)
    passed = bash(gate["Gate on new findings"], repo, env)
    assert passed.returncode == 0, passed.stderr[-2000:]


def test_gitlab_job(tmp_path: Path) -> None:
    job = yaml.safe_load((ROOT / "examples" / "gitlab" / ".gitlab-ci.yml").read_text())["pcicheck"]
    env = {k: str(v) for k, v in job["variables"].items()}
    repo = repository(tmp_path)
    subprocess.run(
        [str(BIN / "pcicheck"), "scan", "--manifests", "deploy/k8s", "--output", ".pcicheck/baseline.json", "-q"],
        cwd=repo,
        check=False,
    )
    (repo / "deploy" / "k8s" / "app.yaml").write_text(CHANGED)
    assert all(line.startswith(SKIPPED) for line in job["before_script"] + job["after_script"])
    (script,) = job["script"]
    result = bash(script, repo, env)
    assert result.returncode == 1
    junit = (repo / job["artifacts"]["reports"]["junit"]).read_text()
    assert "<testsuites" in junit and "k8s-workload-image-allowed-registry" in junit
    assert "pcicheck-pack/summary.md" in job["after_script"][0] and (repo / "pcicheck-pack" / "summary.md").is_file()


def test_pre_commit_hooks(tmp_path: Path) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    repo = repository(tmp_path)
    clean = NAMESPACE.replace(
        "labels: {tenant: acme}", "labels: {tenant: acme, pod-security.kubernetes.io/enforce: restricted}"
    )
    clean += (
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n"
    )
    (repo / "deploy" / "k8s" / "app.yaml").write_text(clean)
    manifests = hooks["pcicheck-manifests"]
    args = ["--manifests", "deploy/k8s", "--waivers", ".pcicheck/waivers.yaml"]  # as the file's example
    argv = shlex.split(manifests["entry"]) + args
    ok = subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=repo, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr[-2000:]  # the hardened manifests have nothing high or critical
    (repo / "deploy" / "k8s" / "app.yaml").write_text(
        NAMESPACE.replace("allowPrivilegeEscalation: false", "privileged: true")
    )
    bad = subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=repo, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    controls = shlex.split(hooks["pcicheck-controls"]["entry"])
    valid = subprocess.run(
        [str(BIN / controls[0]), *controls[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert valid.returncode == 0 and "controls valid" in valid.stderr
    waivers = hooks["pcicheck-waivers"]  # pass_filenames: pre-commit appends the changed waiver files
    assert waivers.get("pass_filenames", True)
    today = dt.datetime.now(dt.UTC).date()
    (repo / ".pcicheck" / "waivers.yaml").write_text(
        "waivers:\n"
        "  - {id: W-1, control: k8s-workload-no-privileged, resource: {match: '*agent*'}, justification: eBPF,\n"
        f"     approved_by: QSA, ticket: R-1, created: {today - dt.timedelta(days=40)}, "
        f"expires: {today - dt.timedelta(days=1)}}}\n"
    )
    argv = [*shlex.split(waivers["entry"]), ".pcicheck/waivers.yaml"]
    lapsed = subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=repo, capture_output=True, text=True, check=False)
    assert lapsed.returncode == 1 and "waiver W-1 expired on" in lapsed.stderr

"""The CI recipes, exercised by running the very commands they run (read from the YAML files), in a
throwaway repository: the composite action (action.yml) inside the example workflow, whose baseline job
installs pcicheck from this repository and refreshes the baseline, and whose gate job fails on a change
with one new violation and passes with a waiver; GitLab's job, installing from a git URL of this
repository; and the pre-commit hooks' entries.

Installs are real (`pip install` of this repository, built by hatchling) but offline and quick: pip
may not reach an index (PIP_NO_INDEX) and finds the dependencies already installed, because the
test's own environment is on PYTHONPATH; pcicheck itself is then imported from the fresh install.
Steps that need the hosting service (hosted actions such as upload-sarif, `gh`, `git push`, `curl`
to the GitLab API) are not run; the files they consume are checked instead."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

import yaml

from tests.gate.test_gate_cli import CHANGED, NAMESPACE, WEB
from tests.support.gha import Context, Runner

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SKIPPED = ("pip ", "gh ", "git ", "curl ")
ACTION = "YOUR-ORG/pcicheck@COMMIT-SHA"  # the example workflow's placeholder for this repository


def offline_install_env() -> dict[str, str]:
    """pip installs from this repository without an index; the dependencies are this environment's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    return env | {
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # sic: pip reads this as --no-build-isolation (hatchling from here)
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }


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


def test_github_workflow_with_the_action(tmp_path: Path) -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "github" / "pcicheck.yml").read_text())
    repo = repository(tmp_path)
    (tmp_path / "runner").mkdir()
    runner = Runner(
        workspace=repo,
        temp=tmp_path / "runner",
        env=offline_install_env() | {k: str(v) for k, v in workflow["env"].items()},
        actions={ACTION: ROOT / "action.yml"},
        stand_ins={"actions/setup-python@": lambda w: {"python-path": sys.executable, "python-version": "3.11"}},
        not_run=("git ", "gh "),
    )
    runner.env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "step-summary.md")

    def job(name: str) -> bool:
        return runner.run_steps(workflow["jobs"][name]["steps"], Context(env=dict(workflow["env"])))

    # Push to main: the action installs pcicheck from this repository, then the baseline is refreshed.
    assert not job("baseline"), {k: v.stderr[-2000:] for k, v in runner.logs.items()}
    install = runner.logs["Install pcicheck from the action's repository"]
    assert install.stdout.strip() == "0.1.0"
    venv = runner.temp / "pcicheck-venv"
    assert runner.path == [str(venv / "bin")] and (venv / "bin" / "pcicheck").is_file()
    assert "Scan" not in runner.logs  # install-only
    assert (repo / ".pcicheck" / "baseline.json").is_file()
    assert ("git", {}) in runner.hosted  # committing the baseline needs the hosting service

    # The pull request: one new violation. The action's gate fails the job after the summary and SARIF.
    (repo / "deploy" / "k8s" / "app.yaml").write_text(CHANGED)
    runner.hosted.clear()
    assert job("gate")
    gate = runner.logs["Gate (--fail-on)"]
    assert gate.returncode == 1 and "a control at or above medium failed" in gate.stdout
    sarif = json.loads((repo / "pcicheck.sarif").read_text())
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "pcicheck"
    uploads = [w for uses, w in runner.hosted if uses.startswith("github/codeql-action/upload-sarif@")]
    assert uploads == [{"sarif_file": "pcicheck.sarif", "category": "pcicheck"}]
    assert ("gh", {}) in runner.hosted  # the PR comment, with the pack's summary.md
    assert (repo / "pcicheck-pack" / "index.html").is_file()
    summary = (tmp_path / "step-summary.md").read_text()
    assert "**Since the baseline:** 1 new" in summary and "k8s-workload-image-allowed-registry" in summary
    # Where the pack went: findings come from the installed pcicheck, not from this checkout.
    results = json.loads((repo / "pcicheck-pack" / "results.json").read_text())
    assert results["tool"]["version"] == "0.1.0"

    today = dt.datetime.now(dt.UTC).date()
    (repo / ".pcicheck" / "waivers.yaml").write_text(
        "waivers:\n"
        f"  - {{id: W-1, control: k8s-workload-image-allowed-registry, resource: {{uid: '{WEB}'}},\n"
        "      justification: mirror pending (RISK-9 tracks it), approved_by: QSA, ticket: RISK-9,\n"
        f"      created: {today - dt.timedelta(days=1)}, expires: {today + dt.timedelta(days=30)}}}\n"
    )
    for stale in ("pcicheck-pack", "pcicheck.sarif"):
        subprocess.run(["rm", "-rf", str(repo / stale)], check=True)
    assert not job("gate"), runner.logs["Gate (--fail-on)"].stdout
    assert "no failing control at or above medium" in runner.logs["Gate (--fail-on)"].stdout


def test_the_action_stops_on_bad_input(tmp_path: Path) -> None:
    """Exit 2 (a manifests path that does not exist): the gate says so; no SARIF to upload."""
    repo = repository(tmp_path)
    (tmp_path / "runner").mkdir()
    venv = tmp_path / "runner" / "pcicheck-venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "pcicheck").symlink_to(BIN / "pcicheck")  # the install is the test above's business
    runner = Runner(
        workspace=repo,
        temp=tmp_path / "runner",
        env=dict(os.environ) | {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")},
        stand_ins={"actions/setup-python@": lambda w: {"python-path": "true"}},
    )
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = [s for s in action["runs"]["steps"] if s.get("name") != "Install pcicheck from the action's repository"]
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()} | {"manifests": "no/such/dir"}
    runner.path = [str(venv)]
    assert runner.run_steps(steps, Context(inputs=inputs))
    assert runner.logs["Gate (--fail-on)"].returncode == 2
    assert not any(uses.startswith("github/codeql-action/upload-sarif@") for uses, _ in runner.hosted)


def test_gitlab_job(tmp_path: Path) -> None:
    job = yaml.safe_load((ROOT / "examples" / "gitlab" / ".gitlab-ci.yml").read_text())["pcicheck"]
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    env = {k: str(v) for k, v in job["variables"].items()}
    assert env["PCICHECK_PIP_SPEC"].startswith("git+https://")  # the placeholder: this repository's URL
    env |= {"PCICHECK_PIP_SPEC": f"git+file://{ROOT}@{head.stdout.strip()}", "CI_PROJECT_DIR": str(tmp_path / "repo")}
    repo = repository(tmp_path)
    subprocess.run(
        [str(BIN / "pcicheck"), "scan", "--manifests", "deploy/k8s", "--output", ".pcicheck/baseline.json", "-q"],
        cwd=repo,
        check=False,
    )
    (repo / "deploy" / "k8s" / "app.yaml").write_text(CHANGED)
    assert all(line.startswith(SKIPPED) for line in job["after_script"])
    # GitLab runs before_script and script in one shell: install from the repository, then scan.
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", "\n".join(job["before_script"] + job["script"])],
        cwd=repo,
        env=offline_install_env() | env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert (repo / ".pcicheck-venv" / "bin" / "pcicheck").is_file()
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

"""The gate as CI uses it: a change that adds one violation fails against the baseline with a short
explanation; a valid waiver lets it pass; an expired one fails it again. Plus `pcicheck diff`,
--allow-incomplete and output without a terminal."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pcicheck import results_doc
from pcicheck.cli import main
from tests.support.results_v1 import as_v1

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {tenant: acme}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4.2@DIGEST
          resources: {limits: {cpu: 500m, memory: 256Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
""".replace("@DIGEST", "@sha256:" + "0123456789abcdef" * 4)
CHANGED = NAMESPACE.replace("registry.example.com/shop/web:1.4.2", "docker.io/library/nginx:1.27")
PRIVILEGED = NAMESPACE.replace("capabilities: {drop: [ALL]}}", "capabilities: {drop: [ALL]}, privileged: true}")
WEB = "k8s://manifests/shop/Deployment/web"


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def waiver_file(path: Path, created: dt.date, expires: dt.date) -> Path:
    path.write_text(
        "waivers:\n"
        "  - id: W-7\n"
        "    control: k8s-workload-image-allowed-registry\n"
        f"    resource: {{uid: '{WEB}'}}\n"
        "    justification: upstream nginx until the mirror is approved; digest pinned in RISK-77\n"
        "    approved_by: Head of Platform Risk Jane Roe\n"
        "    ticket: RISK-77\n"
        f"    created: {created.isoformat()}\n"
        f"    expires: {expires.isoformat()}\n"
    )
    return path


def test_new_violation_waiver_and_expiry(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    repo = tmp_path / "k8s"
    repo.mkdir()
    (repo / "app.yaml").write_text(NAMESPACE)
    # The site's approved registry: the control has no default (without it, it needs configuration).
    cfg = tmp_path / "pcicheck.yaml"
    cfg.write_text("params:\n  k8s-workload-image-allowed-registry: {registries: [registry.example.com/]}\n")
    base = tmp_path / "base.json"

    def scan(*more: str) -> tuple[int, str, str]:
        return run(capsys, "scan", "--config", str(cfg), "--manifests", str(repo), *more)

    code, _, _ = scan("--output", str(base), "-q")
    assert code == 1  # the existing state has findings of its own: that is what a baseline is for
    code, _, err = scan("--baseline", str(base))
    assert code == 0 and "0 new," in err and "exit 0:" in err

    (repo / "app.yaml").write_text(CHANGED)  # the change under review: one image from an unapproved registry
    code, _, err = scan("--baseline", str(base))
    assert code == 1 and "1 new, 0 fixed, 4 unchanged findings" in err
    (new_line,) = [line for line in err.splitlines() if line.strip().startswith("new:")]
    assert "medium k8s-workload-image-allowed-registry Deployment shop/web" in new_line
    assert "exit 1: a control at or above --fail-on failed" in err

    today = dt.datetime.now(dt.UTC).date()
    valid = waiver_file(tmp_path / "waivers.yaml", today - dt.timedelta(days=3), today + dt.timedelta(days=60))
    out_file = tmp_path / "now.json"
    code, _, err = scan("--baseline", str(base), "--waivers", str(valid), "--output", str(out_file))
    assert (
        code == 0
        and "waiver W-7 (k8s-workload-image-allowed-registry, approved by Head of Platform Risk Jane Roe, RISK-77)"
        in err
    )
    doc = json.loads(out_file.read_text())
    (waived,) = [r for r in results_doc.results(doc) if r["status"] == "waived"]
    assert waived["resource"]["uid"] == WEB and waived["waiver"]["ticket"] == "RISK-77"
    assert doc["waivers"][0]["status"] == "applied" and doc["waivers"][0]["matched"] == [waived["id"]]

    expired = waiver_file(tmp_path / "old.yaml", today - dt.timedelta(days=90), today - dt.timedelta(days=1))
    code, _, err = scan("--baseline", str(base), "--waivers", str(expired))
    assert code == 1 and "waiver W-7 expired on" in err

    code, out, _ = run(capsys, "diff", str(base), str(out_file), "--format", "json")
    changes = json.loads(out)
    assert code == 1 and [f["resource"] for f in changes["new"]] == [f"Deployment shop/web ({WEB})"]
    assert changes["fixed"] == [] and changes["unchanged"]
    code, out, _ = run(capsys, "diff", str(base), str(out_file), "--format", "markdown")
    assert (
        out.startswith("### pcicheck: 1 new, 0 fixed,") and "| medium | `k8s-workload-image-allowed-registry` |" in out
    )
    assert run(capsys, "diff", str(out_file), str(out_file))[0] == 0

    # A baseline written before results v2 (each result embedding its resource) still matches finding by
    # finding: against this version's v2 document, and as --baseline of a new scan.
    base_v1 = tmp_path / "base-v1.json"
    base_v1.write_text(json.dumps(as_v1(json.loads(base.read_text()))))
    code, out, _ = run(capsys, "diff", str(base_v1), str(out_file), "--format", "json")
    assert code == 1 and json.loads(out) == {**changes, "baseline": str(base_v1)}
    code, _, err = scan("--baseline", str(base_v1))
    assert code == 1 and "1 new, 0 fixed, 4 unchanged findings" in err
    code, out, _ = run(capsys, "diff", str(out_file), str(base_v1), "--format", "json")
    assert code == 0 and [f["resource"] for f in json.loads(out)["fixed"]] == [f"Deployment shop/web ({WEB})"]


def test_bad_waivers_file_stops_before_scanning(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "w.yaml"
    bad.write_text("waivers:\n  - id: W-1\n    control: k8s-workload-no-privileged\n")  # no resource, …
    code, _, err = run(capsys, "scan", "--manifests", str(tmp_path), "--waivers", str(bad))
    assert code == 2 and err.strip().count("\n") == 0 and "w.yaml:2: waiver is missing resource" in err


def test_allow_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    snap = tmp_path / "s.json"
    snap.write_text(
        json.dumps(
            {
                "schema": "pcicheck/snapshot/v1",
                "tool_version": "0.1.0",
                "created_at": "2026-11-25T00:00:00Z",
                "request": {"providers": ["aws"], "aws": {"regions": ["us-east-1"]}},
                "identity": {},
                "resources": [],
                "errors": [
                    {
                        "provider": "aws",
                        "account": "1",
                        "region": "us-east-1",
                        "service": "s3",
                        "operation": "ListBuckets",
                        "code": "AccessDenied",
                        "message": "no",
                        "resource_types": ["aws.s3.bucket"],
                        "resource_uid": None,
                        "attributes": [],
                    }
                ],
                "calls": {},
            }
        )
    )
    assert run(capsys, "evaluate", str(snap))[0] == 3
    assert run(capsys, "evaluate", str(snap), "--allow-incomplete")[0] == 0


def test_no_terminal_no_color(tmp_path: Path) -> None:
    """CI has no TTY: no escape codes, no wrapping at 80 columns, machine output untouched."""
    (tmp_path / "app.yaml").write_text(PRIVILEGED)
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color"}
    proc = subprocess.run(
        [sys.executable, "-m", "pcicheck", "scan", "--manifests", str(tmp_path), "--format", "sarif"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stderr and "\x1b[" not in proc.stdout
    assert json.loads(proc.stdout)["version"] == "2.1.0"

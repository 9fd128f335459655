"""Checkov's silent passes, each turned into something pcicheck reports: a missing path is a usage
error (exit 2); an unparsable file, an unrendered Helm chart or Kustomization, a check Checkov skipped
on its own and Checkov failing outright are `error` results (exit 3 unless something failed)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pcicheck.cli import main
from tests.iac.conftest import RunIac, failures, fake_program, statuses


def _errors(doc: dict) -> dict[str, str]:
    return {r["resource"]["uid"]: r["message"] for r in statuses(doc, "error")}


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["iac", str(tmp_path / "nope"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"pcicheck: error: {tmp_path / 'nope'}: no such file or directory (pass the directory of IaC sources)"
    ]


def test_a_directory_without_sources_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "README.md").write_text("nothing here\n")
    (tmp_path / "package.json").write_text('{"name": "x"}\n')
    assert main(["iac", str(tmp_path), "--quiet"]) == 2
    assert "nothing to scan" in capsys.readouterr().err


CHART = {
    "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "values.yaml": "privileged: true\n",
    "templates/deployment.yaml": "kind: Deployment\n{{ .Values.privileged }}\n",
}

RENDERED = """\
---
# Source: shop/templates/namespace.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945
          securityContext:
            privileged: true
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_helm_chart_without_helm_is_an_error_not_a_pass(
    run_iac: RunIac, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    _write(src / "charts" / "shop", CHART)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no helm, kustomize or kubectl
    code, doc = run_iac(src)
    assert code == 3
    assert _errors(doc) == {
        "iac://charts/shop/Chart.yaml": "helm is not installed: this Helm chart was not rendered, so nothing in it "
        "was evaluated"
    }
    assert doc["snapshot"]["request"]["iac"]["renderers"] == {"helm": "missing"}
    assert doc["snapshot"]["request"]["iac"]["checkov"] is None  # nothing was left for Checkov to read


def test_kustomization_without_kustomize_or_kubectl_is_an_error(
    run_iac: RunIac, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    _write(src / "overlays" / "prod", {"kustomization.yaml": "resources: [../../base]\n"})
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    code, doc = run_iac(src)
    assert code == 3
    assert list(_errors(doc)) == ["iac://overlays/prod/kustomization.yaml"]
    assert "kustomize or kubectl is not installed" in _errors(doc)["iac://overlays/prod/kustomization.yaml"]


def test_rendered_helm_is_judged_and_a_failed_kustomize_build_is_an_error(
    iac_env: Path, run_iac: RunIac, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    _write(src / "charts" / "shop", CHART)
    _write(src / "overlays" / "prod", {"kustomization.yaml": "resources: [missing.yaml]\n"})
    bin_dir = tmp_path / "bin"
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(RENDERED)
    fake_program(bin_dir, "helm", f"import sys\nsys.stdout.write(open({str(rendered)!r}).read())\n")
    fake_program(
        bin_dir,
        "kustomize",
        "import sys\nsys.stderr.write('Error: accumulating resources: missing.yaml\\n')\nsys.exit(1)\n",
    )
    monkeypatch.setenv("PATH", str(bin_dir))
    code, doc = run_iac(src)
    assert code == 1
    assert ("ckv-k8s-16", "iac://charts/shop/templates/deployment.yaml#Deployment.shop.web") in failures(doc)
    assert ("k8s-workload-no-privileged", "k8s://iac:charts/shop/shop/Deployment/web") in failures(doc)
    (priv,) = [r for r in statuses(doc, "fail") if r["control"] == "ckv-k8s-16"]
    assert priv["resource"]["location"]["file"].endswith("src/charts/shop/templates/deployment.yaml")
    assert priv["evidence"]["rendered_by"] == "helm"
    # Unmapped checks' failures point at the template as the mapped ones do (its own line is unknown: 1).
    unmapped = doc["snapshot"]["request"]["iac"]["unmapped"]["findings"]
    assert unmapped and {(f["file"].rpartition("src/")[2], f["line"], f["check_type"]) for f in unmapped} == {
        ("charts/shop/templates/deployment.yaml", 1, "kubernetes")
    }
    assert _errors(doc) == {
        "iac://overlays/prod/kustomization.yaml": "kustomize could not render it: "
        "Error: accumulating resources: missing.yaml"
    }
    assert set(doc["snapshot"]["request"]["iac"]["renderers"]) == {"helm", "kustomize"}


def test_parse_errors_are_errors(iac_env: Path, run_iac: RunIac, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "broken.tf").write_text('resource "aws_kms_key" "k" {\n  description = "x"\n')
    (tmp_path / "src" / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  labels: [a\n")
    code, doc = run_iac(tmp_path / "src")
    assert code == 3  # nothing failed, but the scan is incomplete
    assert _errors(doc) == {
        "iac://broken.tf": "Checkov (terraform) could not parse it: its checks were not evaluated",
        "iac://broken.yaml": "not valid YAML at line 5: expected ',' or ']', but got '<stream end>'",
    }


def test_checkov_crash_is_an_error(run_iac: RunIac, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.tf").write_text('resource "aws_kms_key" "k" {}\n')
    crash = fake_program(
        tmp_path / "bin", "checkov", "import sys\nsys.stderr.write('Traceback: boom\\n')\nsys.exit(2)\n"
    )
    code, doc = run_iac(tmp_path / "src", "--checkov", str(crash))
    assert code == 3
    assert _errors(doc) == {
        "iac://": "Checkov exited 2: Traceback: boom: no Checkov result can be trusted for this path"
    }


def test_unreadable_checkov_output_is_an_error(run_iac: RunIac, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.tf").write_text('resource "aws_kms_key" "k" {}\n')
    garbage = fake_program(tmp_path / "bin", "checkov", "print('Passed checks: 12')\n")
    code, doc = run_iac(tmp_path / "src", "--checkov", str(garbage))
    assert code == 3
    (message,) = _errors(doc).values()
    assert message.startswith("Checkov wrote no readable JSON")


def test_a_check_checkov_skipped_anyway_is_an_error(run_iac: RunIac, tmp_path: Path) -> None:
    """Should a suppression form slip past the neutralising, the skipped check is not a pass."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.tf").write_text('resource "aws_kms_key" "k" {}\n')
    report = {
        "check_type": "terraform",
        "results": {
            "passed_checks": [],
            "failed_checks": [],
            "skipped_checks": [
                {
                    "check_id": "CKV_AWS_7",
                    "check_name": "Ensure rotation for customer created CMKs is enabled",
                    "check_result": {"result": "SKIPPED", "suppress_comment": "not now"},
                    "file_path": "/main.tf",
                    "file_line_range": [1, 1],
                    "resource": "aws_kms_key.k",
                }
            ],
            "parsing_errors": [],
        },
        "summary": {"checkov_version": "9.9.9"},
    }
    fake = fake_program(tmp_path / "bin", "checkov", f"print({json.dumps(json.dumps(report))})\n")
    code, doc = run_iac(tmp_path / "src", "--checkov", str(fake))
    assert code == 3
    (error,) = statuses(doc, "error")
    assert error["control"] == "ckv-aws-7"
    assert error["message"].startswith("Checkov skipped this check (not now)")
    assert doc["snapshot"]["request"]["iac"]["checkov"] == {
        "path": str(fake),
        "version": "9.9.9",
        "source": "flag",
        "unknown_verdicts": "reported as error",  # a Python script: run under checkov_shim.py
    }


SUPPRESSED = {
    "main.tf": """\
        resource "aws_kms_key" "k" {
          # checkov:skip=CKV_AWS_7:rotation later
          description = "x"
        }
        """,
    "cfn.yaml": """\
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          Vol:
            Type: AWS::EC2::Volume
            Metadata:
              checkov:
                skip:
                  - id: CKV_AWS_3
                    comment: "scratch disk"
            Properties:
              AvailabilityZone: !Select [0, !GetAZs ""]
              Size: 10
        """,
    "pod.yaml": """\
        apiVersion: v1
        kind: Pod
        metadata:
          name: debug
          namespace: tools
          annotations:
            checkov.io/skip1: CKV_K8S_16=needs the host
        spec:
          containers:
            - name: debug
              image: busybox@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945
              securityContext:
                privileged: true
        """,
    # A repository's own Checkov configuration must not switch checks off either.
    ".checkov.yaml": "skip-check:\n  - CKV_AWS_7\n  - CKV_AWS_3\n  - CKV_K8S_16\nsoft-fail: true\n",
}


def test_every_suppression_form_is_evaluated_and_reported(
    iac_env: Path, run_iac: RunIac, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    _write(src, {name: textwrap.dedent(text) for name, text in SUPPRESSED.items()})
    monkeypatch.setenv("CKV_SKIP_CHECK", "CKV_AWS_7,CKV_AWS_3,CKV_K8S_16")  # nor may the environment
    code, doc = run_iac(src)
    assert code == 1
    skipped = {
        r["control"]: r["evidence"].get("inline_skip")
        for r in statuses(doc, "fail")
        if r["control"] in ("ckv-aws-7", "ckv-aws-3", "ckv-k8s-16")
    }
    assert skipped == {"ckv-aws-7": "rotation later", "ckv-aws-3": "scratch disk", "ckv-k8s-16": "needs the host"}
    found = doc["snapshot"]["request"]["iac"]["inline_suppressions"]["found"]
    assert {(Path(f["file"]).name, f["line"], tuple(f["checks"])) for f in found} == {
        ("main.tf", 2, ("CKV_AWS_7",)),
        ("cfn.yaml", 6, ("CKV_AWS_3",)),
        ("pod.yaml", 7, ("CKV_K8S_16",)),
    }
    assert (src / ".checkov.yaml").read_text() == SUPPRESSED[".checkov.yaml"]  # sources are never edited

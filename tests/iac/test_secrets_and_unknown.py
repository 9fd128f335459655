"""Checkov's secrets framework is run and mapped, with the secret's value in no output; Checkov's UNKNOWN
verdicts (a value behind an unresolved variable) become `error` results instead of vanishing."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.iac.checkov_env import venv_dir
from pcicheck.iac.mapping import load_mapping
from pcicheck.iac.runner import checkov_env
from tests.iac.conftest import statuses

# Shaped like an AWS access key pair (AKIA + 16, and 40 characters), made up for this test.
ACCESS_KEY = "AKIAZ5PQW3RT7YUIOPLK"
SECRET_KEY = "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"
TEMPLATE = f"""\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
Outputs:
  DeployKeyId:
    Value: {ACCESS_KEY}
  DeploySecret:
    Value: {SECRET_KEY}
"""


def _every_output(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_aws_key_in_cloudformation_outputs_is_reported_and_never_written(
    iac_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "template.yaml").write_text(TEMPLATE)
    assert ACCESS_KEY in (src / "template.yaml").read_text()  # the hostile input: a live-looking key in Outputs
    out = tmp_path / "out"
    code = main(
        ["iac", str(src), "--format", "json", "--output", str(out / "results.json"), "--out", str(out / "pack")]
    )
    captured = capsys.readouterr()
    assert code == 1
    doc = json.loads((out / "results.json").read_text())
    found = [r for r in statuses(doc, "fail") if r["control"] == "ckv-secret-2"]
    assert [(r["resource"]["name"], r["resource"]["location"]["line"]) for r in found] == [
        ("AWS Access Key (line 7)", 7)
    ]
    assert load_mapping().checks["CKV_SECRET_2"].requirements["pci-dss-4.0.1"] == ("8.3.2.b", "8.6.2.b")
    # Neither the key, nor its secret, nor Checkov's SHA-1 of it (its resource name) is in any output.
    forbidden = [ACCESS_KEY, SECRET_KEY, hashlib.sha1(ACCESS_KEY.encode()).hexdigest()]
    outputs = {**_every_output(out), "<stdout>": captured.out.encode(), "<stderr>": captured.err.encode()}
    assert len(outputs) > 5  # results.json and the whole evidence pack
    leaks = [(name, s[:6]) for name, data in outputs.items() for s in forbidden if s.encode() in data]
    assert leaks == []


def test_a_verdict_checkov_cannot_reach_is_an_error_naming_check_and_resource(iac_env: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.tf").write_text(
        'variable "rotate" {}\nresource "aws_kms_key" "payments" {\n  enable_key_rotation = var.rotate\n}\n'
    )
    # The hostile input: Checkov on its own keeps no record at all of CKV_AWS_7 on this key.
    plain = subprocess.run(
        [
            str(venv_dir({"PCICHECK_CACHE": str(iac_env)}) / "bin" / "checkov"),
            *("-d", ".", "--framework", "terraform", "--output", "json", "--skip-download", "--check", "CKV_AWS_7"),
        ],
        cwd=src,
        env=checkov_env({"PATH": "/usr/bin:/bin"}, str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "CKV_AWS_7" not in plain.stdout
    out = tmp_path / "results.json"
    code = main(["iac", str(src), "--quiet", "--format", "json", "--output", str(out)])
    doc = json.loads(out.read_text())
    assert code != 0  # never a silent pass (other checks fail on this key too, so 1 rather than 3)
    errors = {r["control"]: r for r in statuses(doc, "error")}
    assert "ckv-aws-7" in errors
    message = errors["ckv-aws-7"]["message"]
    assert "CKV_AWS_7" in message and "aws_kms_key.payments" in message
    assert errors["ckv-aws-7"]["evidence"]["evaluated_keys"] == ["enable_key_rotation"]
    assert not [r for r in results_doc.results(doc) if r["control"] == "ckv-aws-7" and r["status"] == "pass"]
    assert doc["snapshot"]["request"]["iac"]["checkov"]["unknown_verdicts"] == "reported as error"

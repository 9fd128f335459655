"""End to end through the CLI: real boto3 over HTTP against the emulator seeded with the demo estate."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from pcicheck import paths, results_doc
from pcicheck.cli import main
from pcicheck.demo.emulator import Emulator, patched_environ
from pcicheck.demo.seed import seed_estate
from tests.support.faultproxy import denying_proxy

REGIONS = "us-east-1,eu-west-2"


@pytest.fixture(scope="module")
def demo_estate(emulator: Emulator) -> Iterator[Emulator]:
    """The demo estate, seeded once for this module; tests here only read it."""
    emulator.reset()
    with patched_environ(emulator.env()):
        seed_estate(paths.demo_dir() / "aws-estate.yaml", emulator.endpoint)
        yield emulator


@pytest.fixture(scope="module")
def scanned(demo_estate: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("scan")
    code = main(
        [
            "scan",
            "--aws",
            "--regions",
            REGIONS,
            "--quiet",
            "--format",
            "json",
            "--output",
            str(out / "results.json"),
            "--snapshot",
            str(out / "snap.json.gz"),
        ]
    )
    return {"code": code, "doc": json.loads((out / "results.json").read_text()), "dir": out}


def by_control(doc: dict[str, Any], control: str) -> dict[str, str]:
    return {r["resource"]["name"]: r["status"] for r in results_doc.results(doc) if r["control"] == control}


def test_scan_finds_the_deliberate_violations(scanned: dict[str, Any]) -> None:
    doc = scanned["doc"]
    assert scanned["code"] == 1  # failures at or above the default --fail-on low
    assert doc["schema"] == "pcicheck/results/v2"
    assert doc["framework"]["id"] == "pci-dss-4.0.1"
    assert [a["framework"]["id"] for a in doc["also"]] == ["pci-dss-3.2.1"]  # both by default
    assert sum(doc["summary"].values()) == len(doc["results"])
    assert by_control(doc, "aws-s3-tenant-bucket-tenant-key")["tillpoint-globex-exports"] == "fail"
    routes = by_control(doc, "aws-apigatewayv2-route-authorization")
    assert routes["payments-api POST /refunds"] == "fail"
    assert routes["payments-api POST /payments"] == "pass"
    assert by_control(doc, "aws-ec2-cde-instance-no-public-ip")["ops-debug"] == "fail"
    assert by_control(doc, "aws-iam-console-user-mfa")["bob.support"] == "fail"
    assert by_control(doc, "aws-guardduty-enabled") == {"us-east-1": "pass", "eu-west-2": "fail"}
    # Names: the Name tag, else the KMS alias, else the resource's own name.
    rotation = by_control(doc, "aws-kms-key-rotation")
    assert rotation["alias/eu-reporting"] == "fail"


def test_results_carry_scope_requirements_and_evidence(scanned: dict[str, Any]) -> None:
    doc = scanned["doc"]
    (result,) = [
        r
        for r in results_doc.results(doc)
        if r["control"] == "aws-ec2-cde-instance-no-public-ip" and r["resource"]["name"] == "ops-debug"
    ]
    assert result["resource"]["scope"] == "cde"
    reason = result["resource"]["scope_reason"]
    assert reason == "tag pci-scope=cde" or reason.startswith("in ")  # its own tag, or its subnet/VPC
    assert set(result["requirements"]) == {"pci-dss-3.2.1", "pci-dss-4.0.1"}
    assert result["evidence"]["public_ip"]
    reqs = {q["id"]: q for q in doc["requirements"]}
    assert reqs["12.6"]["outcome"] == "manual"  # security awareness: no configuration evidences it
    assert reqs["A1"]["outcome"] == "not_in_place"
    assert doc["snapshot"]["identity"]["aws"]["account"] == "123456789012"


def test_snapshot_re_evaluates_to_the_same_results(scanned: dict[str, Any], capsys: pytest.CaptureFixture) -> None:
    snap = scanned["dir"] / "snap.json.gz"
    body = json.loads(gzip.decompress(snap.read_bytes()))
    assert body["schema"] == "pcicheck/snapshot/v1"
    assert body["request"]["aws"]["regions"] == REGIONS.split(",")
    bucket = next(r for r in body["resources"] if r["type"] == "aws.s3.bucket")
    assert "s3:GetBucketEncryption" in bucket["source"] or "s3:GetEncryptionConfiguration" in bucket["source"]
    capsys.readouterr()
    code = main(["evaluate", str(snap), "--quiet", "--format", "json"])
    again = json.loads(capsys.readouterr().out)
    assert code == scanned["code"]
    assert again["results"] == scanned["doc"]["results"]


def test_no_secret_values_or_full_access_key_ids_leave(scanned: dict[str, Any]) -> None:
    raw = gzip.decompress((scanned["dir"] / "snap.json.gz").read_bytes()).decode()
    assert "demo-not-a-secret" not in raw
    assert not re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", raw)
    assert "AKIA****" in raw  # the caller's key id was there, and is redacted


def test_fail_on_critical_with_only_high_findings(demo_estate: Emulator, capsys: pytest.CaptureFixture) -> None:
    code = main(["scan", "--aws", "--regions", REGIONS, "--quiet", "--fail-on", "critical"])
    # No critical control fails in the demo; errors remain (emulator gaps), so the scan is incomplete.
    assert code == 3


def test_access_denied_on_one_service(demo_estate: Emulator, capsys: pytest.CaptureFixture) -> None:
    with (
        denying_proxy(demo_estate.endpoint, {"ListKeys"}) as (endpoint, seen),
        patched_environ({"AWS_ENDPOINT_URL": endpoint}),
    ):
        capsys.readouterr()
        code = main(["scan", "--aws", "--regions", REGIONS, "--quiet", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert seen and code == 1
    kms_errors = [e for e in doc["errors"] if e["service"] == "kms"]
    assert {e["region"] for e in kms_errors} == {"us-east-1", "eu-west-2"}
    assert all(e["code"] == "AccessDeniedException" for e in kms_errors)
    rotation = [r for r in results_doc.results(doc) if r["control"] == "aws-kms-key-rotation"]
    assert rotation and {r["status"] for r in rotation} == {"error"}
    assert "AccessDeniedException" in rotation[0]["message"]
    # Other services were still read and judged.
    assert by_control(doc, "aws-iam-console-user-mfa")["bob.support"] == "fail"

"""`--format asff`: AwsSecurityFinding documents validated against botocore's own securityhub model
(BatchImportFindings' input, in batches of 100, with the enums ParamValidator leaves unchecked),
traceable by evidence id, placed in their resource's account and region, hostile text inert."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from pcicheck import paths
from pcicheck.cli import main
from pcicheck.collect.registry import resource_types
from pcicheck.errors import InputError
from pcicheck.report.asff import (
    ID_PREFIX,
    MAX_DESCRIPTION,
    MAX_MAP_ENTRIES,
    MAX_TITLE,
    OTHER_TYPES,
    RESOURCE_TYPES,
    Home,
    asff_findings,
)
from pcicheck.report.formats import FORMATS, render
from pcicheck.report.securityhub import BATCH
from tests.report.conftest import GOLDEN_SNAPSHOT, SCANNED_AT

MODEL = botocore.session.get_session().get_service_model("securityhub")
IMPORT = MODEL.operation_model("BatchImportFindings")
SECRET = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key id
HOSTILE = '"}],"AwsAccountId":"999999999999"<img src=x onerror=alert(1)>\x1b[2J\u202e'


def _enum_problems(value: Any, shape: Any, where: str = "") -> list[str]:
    """Values outside a string shape's enum: botocore's ParamValidator checks types, required members
    and unknown keys, not enums (the service does)."""
    kind = shape.type_name
    if kind == "string" and shape.enum and value not in shape.enum:
        return [f"{where}={value!r}"]
    if kind == "structure":
        return [p for k, v in value.items() for p in _enum_problems(v, shape.members[k], f"{where}.{k}")]
    if kind == "list":
        return [p for i, v in enumerate(value) for p in _enum_problems(v, shape.member, f"{where}[{i}]")]
    if kind == "map":
        return [p for k, v in value.items() for p in _enum_problems(v, shape.value, f"{where}[{k}]")]
    return []


def _valid(findings: list[dict[str, Any]]) -> None:
    """As BatchImportFindings takes them: batches of at most 100, each valid against the model."""
    for start in range(0, len(findings), BATCH):
        params = {"Findings": findings[start : start + BATCH]}
        report = ParamValidator().validate(params, IMPORT.input_shape)
        assert not report.has_errors(), report.generate_report()
        assert _enum_problems(params, IMPORT.input_shape) == []


def _findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(render("asff", doc))
    return findings


def test_every_finding_is_valid_for_batch_import_findings(estate_doc: dict[str, Any]) -> None:
    findings = _findings(estate_doc)
    assert len(findings) > 300
    _valid(findings)
    assert all(f["SchemaVersion"] == "2018-10-08" and f["RecordState"] == "ACTIVE" for f in findings)
    assert {f["Types"][0] for f in findings} == {
        "Software and Configuration Checks/Industry and Regulatory Standards/PCI-DSS"
    }
    assert len({f["Id"] for f in findings}) == len(findings)


def test_the_validation_catches_what_security_hub_would_refuse(estate_doc: dict[str, Any]) -> None:
    """The checks above fail on a missing member, an unknown key and a value outside an enum."""
    finding = _findings(estate_doc)[0]
    for broken in (
        {k: v for k, v in finding.items() if k != "AwsAccountId"},
        {**finding, "Compliance": {**finding["Compliance"], "Verdict": "ok"}},
    ):
        assert ParamValidator().validate({"Findings": [broken]}, IMPORT.input_shape).has_errors()
    wrong = {**finding, "Compliance": {"Status": "PASS"}}
    assert _enum_problems({"Findings": [wrong]}, IMPORT.input_shape) == [".Findings[0].Compliance.Status='PASS'"]


def test_each_finding_carries_its_evidence_id_status_and_place(estate_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(estate_doc)
    fails = [r for r in doc["results"] if r["status"] == "fail"]
    fails[0]["status"] = "waived"
    fails[0]["waiver"] = {"id": "W-1", "justification": "until the migration", "approved_by": "QSA"}
    fails[1]["status"] = "error"
    findings = _findings(doc)
    _valid(findings)
    results = [r for r in doc["results"] if r["status"] != "not_applicable"]
    assert [f["Id"] for f in findings] == [ID_PREFIX + r["id"] for r in results]
    assert [f["ProductFields"]["pcicheck/evidenceId"] for f in findings] == [r["id"] for r in results]
    by_status = {r["status"]: f for r, f in zip(results, findings, strict=True)}
    expected = {
        "pass": ("PASSED", "INFORMATIONAL", "RESOLVED"),
        "fail": ("FAILED", None, "NEW"),
        "waived": ("FAILED", None, "SUPPRESSED"),
        "error": ("NOT_AVAILABLE", None, "NEW"),
        "needs_configuration": ("WARNING", None, "NEW"),
    }
    for status, (compliance, label, workflow) in expected.items():
        f = by_status[status]
        assert (f["Compliance"]["Status"], f["Workflow"]["Status"]) == (compliance, workflow)
        assert f["Severity"]["Label"] == (label or f["Severity"]["Original"].upper())
        assert f["FindingProviderFields"]["Severity"] == f["Severity"]
    assert by_status["waived"]["ProductFields"]["pcicheck/waiver/approved_by"] == "QSA"
    assert by_status["fail"]["Remediation"]["Recommendation"]["Text"] and "Remediation" not in by_status["pass"]
    # Placed where Security Hub accepts them: the resource's account and region, else the home ones.
    for r, f in zip(results, findings, strict=True):
        resource = r["resource"]
        assert f["GeneratorId"] == ID_PREFIX + r["control"]
        assert f["Compliance"]["RelatedRequirements"][0].startswith("PCI DSS v4.0.1/")
        assert f["ProductArn"] == f"arn:aws:securityhub:{f['Region']}:123456789012:product/123456789012/default"
        (res,) = f["Resources"]
        assert res["Id"] == resource["uid"]
        if resource["type"].startswith("aws.") and resource["region"]:
            assert f["Region"] == res["Region"] == resource["region"]
        elif resource["type"].startswith("aws."):  # global: IAM, CloudFront, the account
            assert f["Region"] == res["Region"] == "us-east-1"
        else:
            assert f["Region"] == "us-east-1" and res["Type"] == "Other" and "Partition" not in res
            assert res["Details"]["Other"]["pcicheckType"] == resource["type"]
    regions = {f["Region"] for f in findings}
    assert regions == {"us-east-1", "eu-west-2"}


def test_the_resource_type_map_decides_every_aws_type_with_security_hubs_names() -> None:
    declared = {name for name in resource_types() if name.startswith("aws.")}
    assert set(RESOURCE_TYPES) | OTHER_TYPES == declared and not set(RESOURCE_TYPES) & OTHER_TYPES
    details = set(MODEL.shape_for("ResourceDetails").members)
    assert set(RESOURCE_TYPES.values()) - details == {"AwsAccount"}  # the one ASFF type without details


def test_hostile_names_stay_strings_and_credentials_do_not_leave(estate_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(estate_doc)
    target = next(r for r in doc["results"] if r["status"] == "fail" and r["resource"]["type"] == "aws.s3.bucket")
    target["resource"]["name"] = HOSTILE
    target["resource"]["tags"] = {"owner": HOSTILE * 5, "key": SECRET, **{f"t{i:02d}": "v" for i in range(60)}}
    target["message"] = f"access key {SECRET} in use"
    target["title"] = "T" * 400
    text = render("asff", doc).decode()
    assert SECRET not in text and "AKIA****MPLE" in text
    findings = json.loads(text)
    _valid(findings)
    (finding,) = [f for f in findings if f["Id"] == ID_PREFIX + target["id"]]
    assert finding["AwsAccountId"] == "123456789012"  # the name did not become a field
    assert HOSTILE in finding["Description"] and len(finding["Description"]) <= MAX_DESCRIPTION
    assert len(finding["Title"]) == MAX_TITLE and finding["Title"].endswith("…")
    tags = finding["Resources"][0]["Tags"]
    assert len(tags) == MAX_MAP_ENTRIES and tags["owner"] == (HOSTILE * 5)[:255] + "…"


def test_results_v2_renders_as_v1_did(estate_v2: dict[str, Any], estate_doc: dict[str, Any]) -> None:
    """Results v2 keeps each resource once and names it by uid; the findings are the same as from v1."""
    assert asff_findings(estate_v2) == asff_findings(estate_doc)


def test_a_scan_without_aws_has_no_account_to_put_findings_in(estate_doc: dict[str, Any]) -> None:
    k8s_only = copy.deepcopy(estate_doc)
    k8s_only["snapshot"]["identity"].pop("aws")
    with pytest.raises(InputError, match="no AWS identity") as caught:
        asff_findings(k8s_only)
    assert "--format ocsf" in str(caught.value) and "\n" not in str(caught.value)
    # Imported, they belong to the importing account and region.
    findings = asff_findings(k8s_only, Home("aws", "210987654321", "eu-west-1"))
    k8s = next(f for f in findings if f["Resources"][0]["Id"].startswith("k8s://"))
    assert (k8s["AwsAccountId"], k8s["Region"]) == ("210987654321", "eu-west-1")
    assert k8s["ProductArn"] == "arn:aws:securityhub:eu-west-1:210987654321:product/210987654321/default"


def test_asff_is_a_format_outside_the_pack() -> None:
    fmt = FORMATS["asff"]
    assert fmt.is_json and not fmt.in_pack and fmt.file_name == "findings.asff.json"


def test_the_cli_writes_asff_and_refuses_a_scan_without_aws(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(GOLDEN_SNAPSHOT.read_text().replace("<time>", SCANNED_AT))
    out = tmp_path / "findings.asff.json"
    code = main(["evaluate", str(snapshot), "--format", "asff", "--output", str(out), "--quiet"])
    assert code == 1  # the demo estate's deliberate failures
    findings = json.loads(out.read_text())
    _valid(findings)
    assert {f["Compliance"]["Status"] for f in findings} >= {"PASSED", "FAILED"}
    capsys.readouterr()
    code = main(["scan", "--manifests", str(paths.demo_dir() / "k8s-cluster.yaml"), "--format", "asff", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("pcicheck: error: ASFF findings belong to an AWS account")

"""`--format ocsf`: OCSF Compliance Findings, each validated by py-ocsf-models (the OCSF model Prowler
maintains), traceable by evidence id, with hostile text inert and credentials redacted."""

from __future__ import annotations

import copy
import json
import typing
from typing import Any

import pytest
from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from pydantic import BaseModel

from pcicheck import paths
from pcicheck.cli import main
from pcicheck.errors import InputError
from pcicheck.redact import redact_value
from pcicheck.report.finding_parts import Outbound
from pcicheck.report.formats import FORMATS, render
from pcicheck.report.ocsf import ocsf_events

HOSTILE = '"},{"class_uid":1}<script>alert(1)</script>\x1b]0;owned\x07\u202e'
SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # a GitHub token's shape, not a token


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional and list)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _unknown_keys(value: Any, model: type[BaseModel], where: str = "") -> list[str]:
    """Keys the model does not define: pydantic ignores them, so a misspelt field would pass validation."""
    found = []
    for key, item in value.items():
        field = model.model_fields.get(key)
        if field is None:
            found.append(f"{where}{key}")
            continue
        nested = _models(field.annotation)
        if not nested or key in ("data", "unmapped"):  # free-form objects in OCSF
            continue
        for element in item if isinstance(item, list) else [item]:
            if isinstance(element, dict):
                found += _unknown_keys(element, nested[0], f"{where}{key}.")
    return found


def _events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(render("ocsf", doc))
    return events


def test_every_event_is_a_valid_compliance_finding(estate_doc: dict[str, Any]) -> None:
    events = _events(estate_doc)
    assert len(events) > 300
    for event in events:
        parsed = ComplianceFinding.model_validate(event)
        assert _unknown_keys(event, ComplianceFinding) == []
        assert (parsed.class_uid, parsed.category_uid, parsed.type_uid) == (2003, 2, 200301)
        assert parsed.metadata.version == OCSF_VERSION == "1.5.0"
        assert parsed.metadata.product.name == "pcicheck" and parsed.time > 1_700_000_000_000
        assert parsed.compliance.standards and parsed.compliance.requirements
        assert all(r.startswith(("PCI DSS v4.0.1/", "PCI DSS v3.2.1/")) for r in parsed.compliance.requirements)


def test_each_finding_carries_its_evidence_id_and_status(estate_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(estate_doc)
    fails = [r for r in doc["results"] if r["status"] == "fail"]
    fails[0]["status"], fails[0]["waiver"] = "waived", {"id": "W-1", "justification": "until the migration"}
    fails[1]["status"] = "error"
    events = _events(doc)
    findings = [r for r in doc["results"] if r["status"] != "not_applicable"]
    assert [e["finding_info"]["uid"] for e in events] == [r["id"] for r in findings]  # passes too, in order
    by_status = {r["status"]: e for r, e in zip(findings, events, strict=True)}
    assert set(by_status) == {"pass", "fail", "waived", "error", "needs_configuration"}
    expected = {"pass": 1, "fail": 3, "waived": 3, "error": 2, "needs_configuration": 2}
    for status, event in by_status.items():
        assert event["compliance"]["status_id"] == expected[status] and event["status_code"] == status
    assert by_status["waived"]["status"] == "Suppressed" and by_status["fail"]["status"] == "New"
    assert by_status["waived"]["unmapped"]["pcicheck"]["waiver"]["id"] == "W-1"
    assert by_status["pass"]["severity"] == "Informational" and "remediation" not in by_status["pass"]
    assert by_status["fail"]["severity_id"] >= 2 and by_status["fail"]["remediation"]["desc"]
    aws = next(e for e in events if e["resources"][0]["type"].startswith("aws.") and e["resources"][0].get("region"))
    assert aws["resources"][0]["cloud_partition"] == "aws"
    k8s = next(e for e in events if e["resources"][0]["type"] == "k8s.workload")
    assert k8s["resources"][0]["namespace"] and "region" not in k8s["resources"][0]


def test_hostile_names_stay_strings_and_credentials_do_not_leave(estate_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(estate_doc)
    target = next(r for r in doc["results"] if r["status"] == "fail")
    target["resource"]["name"] = HOSTILE
    target["resource"]["tags"] = {"owner": HOSTILE, "token": SECRET}
    target["message"] = f"found {SECRET} in the environment"
    text = render("ocsf", doc).decode()
    assert SECRET not in text and SECRET[-4:] in text  # redacted, still recognisable
    events = json.loads(text)
    (event,) = [e for e in events if e["finding_info"]["uid"] == target["id"]]
    assert event["resources"][0]["name"] == HOSTILE  # one string value, byte for byte, nothing injected
    assert f"owner={HOSTILE}" in event["resources"][0]["labels"]
    assert len(events) == sum(r["status"] != "not_applicable" for r in doc["results"])
    ComplianceFinding.model_validate(event)


def test_results_v2_renders_as_v1_did(estate_v2: dict[str, Any], estate_doc: dict[str, Any]) -> None:
    """Results v2 keeps each resource once and names it by uid; the findings are the same as from v1."""
    assert ocsf_events(estate_v2) == ocsf_events(estate_doc)


def test_an_unparsable_scan_time_is_one_clear_error(estate_doc: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="finished_at 'yesterday' is not an ISO-8601 UTC time"):
        ocsf_events({**estate_doc, "finished_at": "yesterday"})


def test_ocsf_is_a_format_outside_the_pack() -> None:
    fmt = FORMATS["ocsf"]
    assert fmt.is_json and not fmt.in_pack and fmt.file_name == "findings.ocsf.json"


def test_the_cli_writes_ocsf_on_stdout(capsys: pytest.CaptureFixture) -> None:
    code = main(["scan", "--manifests", str(paths.demo_dir() / "k8s-cluster.yaml"), "--format", "ocsf", "--quiet"])
    events = json.loads(capsys.readouterr().out)
    assert code == 1 and len(events) > 50
    for event in events:
        ComplianceFinding.model_validate(event)
    assert {e["resources"][0]["type"].split(".")[0] for e in events} == {"k8s"}


def test_outbound_redacts_as_redact_value_does_keys_included() -> None:
    value = {SECRET: [SECRET, {"k": f"x {SECRET}"}, 3, None], "plain": "text", "n": 1.5}
    clean = Outbound()
    assert clean(value) == redact_value(value) and SECRET not in json.dumps(clean(value))
    assert clean(value) == clean(value)  # the memory of seen strings changes nothing

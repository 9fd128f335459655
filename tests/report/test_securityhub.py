"""`pcicheck security-hub`: the findings imported with BatchImportFindings into the emulator over HTTP
(moto's Security Hub), read back with GetFindings; a re-import updates and never duplicates; findings
Security Hub refuses, or of another account, are counted and make the exit 1."""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcicheck.cli import main
from pcicheck.demo.emulator import Emulator
from pcicheck.report.asff import ID_PREFIX, Home, asff_findings
from pcicheck.report.securityhub import BATCH, _send

ACCOUNT = "123456789012"  # moto's default account: the importing identity
HOME = Home("aws", ACCOUNT, "us-east-1")  # the emulator's session region (AWS_DEFAULT_REGION)


def _stored(endpoint: str, region: str) -> dict[str, dict[str, Any]]:
    client = boto3.client("securityhub", region_name=region, endpoint_url=endpoint)
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("get_findings").paginate(PaginationConfig={"PageSize": 100}):
        found += page["Findings"]
    ids = [f["Id"] for f in found]
    assert len(ids) == len(set(ids))  # never two findings under one id
    return {f["Id"]: f for f in found}


def _import(tmp_path: Path, capsys: pytest.CaptureFixture, doc: dict[str, Any]) -> tuple[int, str]:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    code = main(["security-hub", str(path)])
    return code, capsys.readouterr().err


def test_import_then_reimport_updates_in_place(
    aws: Emulator, estate_doc: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    expected = asff_findings(estate_doc, HOME)
    per_region = Counter(f["Region"] for f in expected)
    assert per_region["us-east-1"] > BATCH  # more than one batch in a region
    code, err = _import(tmp_path, capsys, estate_doc)
    batches = sum(math.ceil(n / BATCH) for n in per_region.values())
    assert code == 0, err
    assert f"{len(expected)} of {len(expected)} findings imported into account {ACCOUNT}" in err
    assert f"{batches} batches" in err
    stored = {region: _stored(aws.endpoint, region) for region in per_region}
    for region, count in per_region.items():
        assert len(stored[region]) == count
    for finding in expected:  # what Security Hub holds is what was rendered, traceable by evidence id
        held = stored[finding["Region"]][finding["Id"]]
        assert held == finding
        assert held["Id"] == ID_PREFIX + held["ProductFields"]["pcicheck/evidenceId"]

    # The failure is fixed: the next scan's import turns the same finding PASSED, adding none.
    later = copy.deepcopy(estate_doc)
    fixed = next(r for r in later["results"] if r["status"] == "fail" and r["resource"]["type"].startswith("aws."))
    fixed["status"], fixed["message"] = "pass", "met"
    later["finished_at"] = "2026-02-28T12:00:00Z"
    code, err = _import(tmp_path, capsys, later)
    assert code == 0, err
    region = fixed["resource"]["region"] or "us-east-1"
    again = {r: _stored(aws.endpoint, r) for r in per_region}
    assert {r: len(v) for r, v in again.items()} == dict(per_region)
    held = again[region][ID_PREFIX + fixed["id"]]
    assert held["Compliance"]["Status"] == "PASSED" and held["UpdatedAt"] == "2026-02-28T12:00:00.000Z"


def test_findings_of_another_account_are_not_sent_and_counted(
    aws: Emulator, estate_doc: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    doc = copy.deepcopy(estate_doc)
    other = next(r for r in doc["results"] if r["status"] == "fail" and r["resource"]["type"] == "aws.s3.bucket")
    other["resource"] = {**other["resource"], "account": "210987654321", "uid": "arn:aws:s3:::elsewhere"}
    code, err = _import(tmp_path, capsys, doc)
    assert code == 1
    assert f"not imported: {ID_PREFIX}{other['id']}: OtherAccount: belongs to account 210987654321" in err
    assert "1 findings were not imported" in err
    total = sum(len(_stored(aws.endpoint, r)) for r in ("us-east-1", "eu-west-2"))
    assert total == len(asff_findings(doc, HOME)) - 1


def test_findings_security_hub_refuses_are_counted(aws: Emulator, estate_doc: dict[str, Any]) -> None:
    """The API's FailedFindings, as the emulator answers for a finding without a resource."""
    good, bad = asff_findings(estate_doc, HOME)[:2]
    client = boto3.client("securityhub", region_name=good["Region"], endpoint_url=aws.endpoint)
    succeeded, failed = _send(client, good["Region"], [good, {**bad, "Resources": []}])
    assert succeeded == 1
    (refused,) = failed
    assert refused.id == bad["Id"] and refused.code == "InvalidInput" and "resource" in refused.message


def test_no_security_hub_to_reach_is_one_line_and_exit_2(
    estate_doc: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # the discard port: nothing listens
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(key, value)
    code, err = _import(tmp_path, capsys, estate_doc)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("pcicheck: error: cannot identify the importing account") and "(check the" in lines[0]

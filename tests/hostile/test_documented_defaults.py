"""Issue 15, documented defaults. Where an AWS API documents the value of a field its answer leaves out
(KMS GetKeyRotationStatus RotationPeriodInDays: "The default value is 365 days"; EKS publicAccessCidrs:
"The default value is 0.0.0.0/0 and additionally ::/0 for dual-stack IPv6 clusters"), pcicheck used to
report `error` — `make demo` showed key rotation as "could not evaluate … often an attribute that is null"
for all five keys. Now the collector uses the documented value and records in the snapshot that it did and
why (`defaulted`), and the result's evidence and message show it. Every other absent field is absent (not
null, not a guessed value), so a control that needs it is `error`: a key whose DescribeKey leaves out
KeyManager used to be read as "not a customer key", not applicable."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.services import eks, kms
from pcicheck.model import Resource, Snapshot
from pcicheck.snapshot import read_snapshot, write_snapshot

ACCOUNT = "123456789012"
REGION = "eu-west-2"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"


def _collect(spec: Any, service: str, answers: list[tuple[str, dict[str, Any]]]) -> tuple[list[Resource], list[Any]]:
    """Run a real collector against a real boto3 client whose answers are botocore's Stubber's: each answer
    is checked against botocore's output shape, so only what AWS could send is sent."""
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    for operation, answer in answers:
        stub.add_response(operation, answer)
    with stub:
        ctx = CollectContext(spec=spec, account=ACCOUNT, region=REGION, partition="aws", make_client=lambda *_: client)
        resources = list(spec.collect(ctx))
        stub.assert_no_pending_responses()
    return resources, ctx.errors


def _kms(metadata: dict[str, Any], rotation: dict[str, Any] | None) -> Resource:
    answers: list[tuple[str, dict[str, Any]]] = [
        ("list_keys", {"Keys": [{"KeyId": KEY_ID, "KeyArn": KEY_ARN}]}),
        ("list_aliases", {"Aliases": [{"AliasName": "alias/cde", "TargetKeyId": KEY_ID}]}),
        ("describe_key", {"KeyMetadata": {"KeyId": KEY_ID, "Arn": KEY_ARN, **metadata}}),
    ]
    if rotation is not None:
        answers.append(("get_key_rotation_status", rotation))
    if metadata.get("KeyManager") != "AWS":
        answers.append(("list_resource_tags", {"Tags": []}))
    (key,), errors = _collect(kms.SPEC, "kms", answers)
    assert errors == []
    return key


CUSTOMER_KEY = {
    "KeyManager": "CUSTOMER",
    "KeyState": "Enabled",
    "KeySpec": "SYMMETRIC_DEFAULT",
    "KeyUsage": "ENCRYPT_DECRYPT",
    "Origin": "AWS_KMS",
}


def _evaluate(tmp_path: Path, resources: tuple[Resource, ...], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    snap = tmp_path / "snap.json.gz"
    write_snapshot(Snapshot("0.1.0", "2026-11-25T10:00:00Z", {"providers": ["aws"]}, {}, resources, ()), snap)
    out = tmp_path / "results.json"
    code = main(["evaluate", str(snap), "--format", "json", "-o", str(out), "-q"])
    assert code in (0, 1, 3), capsys.readouterr().err
    return {r["control"]: r for r in results_doc.results(json.loads(out.read_text()))}


def test_rotation_on_without_a_period_takes_the_documented_365_and_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = _kms(CUSTOMER_KEY, {"KeyRotationEnabled": True})  # the field AWS may leave out, left out
    assert key.attributes["rotation_period_days"] == 365
    assert "The default value is 365 days" in key.defaulted["rotation_period_days"]

    # The snapshot keeps the record, and a reader gets it back.
    snap = tmp_path / "kept.json.gz"
    write_snapshot(Snapshot("0.1.0", "2026-11-25T10:00:00Z", {"providers": ["aws"]}, {}, (key,), ()), snap)
    (stored,) = json.loads(gzip.decompress(snap.read_bytes()))["resources"]
    assert stored["defaulted"] == key.defaulted
    assert read_snapshot(snap).resources[0].defaulted == key.defaulted

    result = _evaluate(tmp_path, (key,), capsys)["aws-kms-key-rotation"]
    assert result["status"] == "pass"
    assert "rotation_period_days: not reported, the documented default was used" in result["message"]
    assert "The default value is 365 days" in result["evidence"]["rotation_period_days (defaulted)"]


def test_a_reported_period_is_not_marked_defaulted() -> None:
    key = _kms(CUSTOMER_KEY, {"KeyRotationEnabled": True, "RotationPeriodInDays": 730})
    assert key.attributes["rotation_period_days"] == 730 and key.defaulted == {}


@pytest.mark.parametrize(
    ("metadata", "rotation", "absent"),
    [
        # No documented default for whether rotation is on: unknown, never "off" (fail) or "on".
        (CUSTOMER_KEY, {"RotationPeriodInDays": 365}, {"rotation_enabled", "rotation_period_days"}),
        # No KeyManager: was read as null, so `manager == "CUSTOMER"` left the key out (not applicable).
        ({k: v for k, v in CUSTOMER_KEY.items() if k != "KeyManager"}, None, {"manager", "rotation_enabled"}),
        ({k: v for k, v in CUSTOMER_KEY.items() if k != "KeyState"}, None, {"state", "rotation_enabled"}),
        ({k: v for k, v in CUSTOMER_KEY.items() if k != "KeySpec"}, None, {"key_spec", "rotation_enabled"}),
    ],
)
def test_other_absent_fields_stay_absent_and_the_control_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], metadata: dict[str, Any], rotation: Any, absent: set[str]
) -> None:
    key = _kms(metadata, rotation)
    assert absent <= set(kms.TYPE.attributes) - set(key.attributes)
    assert key.defaulted == {}
    result = _evaluate(tmp_path, (key,), capsys)["aws-kms-key-rotation"]
    assert result["status"] == "error", result


def _cluster(vpc: dict[str, Any], network: dict[str, Any] | None = None) -> Resource:
    cluster = {
        "name": "cde",
        "arn": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/cde",
        "version": "1.31",
        "status": "ACTIVE",
        "resourcesVpcConfig": {"vpcId": "vpc-1", "endpointPrivateAccess": True, **vpc},
        "logging": {"clusterLogging": []},
        **({"kubernetesNetworkConfig": network} if network else {}),
    }
    (resource,), errors = _collect(
        eks.SPEC, "eks", [("list_clusters", {"clusters": ["cde"]}), ("describe_cluster", {"cluster": cluster})]
    )
    assert errors == []
    return resource


def test_a_public_eks_endpoint_without_cidrs_is_open_to_the_internet_as_documented(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = _cluster({"endpointPublicAccess": True})
    assert cluster.attributes["public_access_cidrs"] == ["0.0.0.0/0"]
    assert "0.0.0.0/0" in cluster.defaulted["public_access_cidrs"]
    result = _evaluate(tmp_path, (cluster,), capsys)["aws-eks-endpoint-not-public"]
    assert result["status"] == "fail", result  # was `error`: the control could not read the CIDRs
    assert "public_access_cidrs (defaulted)" in result["evidence"]

    ipv6 = _cluster({"endpointPublicAccess": True}, {"ipFamily": "ipv6"})
    assert ipv6.attributes["public_access_cidrs"] == ["0.0.0.0/0", "::/0"]


def test_eks_cidrs_are_not_defaulted_when_public_access_is_off_or_unknown() -> None:
    assert "public_access_cidrs" not in _cluster({"endpointPublicAccess": False}).attributes
    unknown = _cluster({})
    assert "public_access_cidrs" not in unknown.attributes and unknown.defaulted == {}
    reported = _cluster({"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})
    assert reported.attributes["public_access_cidrs"] == ["203.0.113.0/24"] and reported.defaulted == {}


@pytest.mark.parametrize(
    ("defaulted", "words"),
    [
        ({"rotation_period_days": 365}, "defaulted must map attribute names to the reason"),
        ({"aliases": "documented"}, "recorded as defaulted but absent"),
    ],
)
def test_a_snapshot_with_a_malformed_default_record_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], defaulted: dict[str, Any], words: str
) -> None:
    key = _kms(CUSTOMER_KEY, {"KeyRotationEnabled": True})
    doc_path = tmp_path / "snap.json"
    write_snapshot(Snapshot("0.1.0", "2026-11-25T10:00:00Z", {"providers": ["aws"]}, {}, (key,), ()), doc_path)
    doc = json.loads(doc_path.read_text())
    doc["resources"][0]["attributes"].pop("aliases")
    doc["resources"][0]["defaulted"] = defaulted
    doc_path.write_text(json.dumps(doc))
    code = main(["evaluate", str(doc_path), "--format", "json", "-o", str(tmp_path / "r.json"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and words in err and str(doc_path) in err and "Traceback" not in err, err

"""Least privilege: the shipped IAM policy covers every API call a full scan of the demo estate
makes (recorded at botocore's call boundary, so a collector that bypassed the counting helpers is
caught too), and grants nothing that reads data or secrets."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.client import BaseClient

from pcicheck import paths
from pcicheck.cli import main
from pcicheck.collect.aws.actions import provenance_action
from pcicheck.collect.aws.policy import FORBIDDEN, NO_PERMISSION, iam_action, iam_policy, iam_policy_json
from pcicheck.collect.aws.runner import AwsOptions, collect_aws
from pcicheck.demo.emulator import Emulator
from pcicheck.demo.seed import load_estate, seed_estate

ROOT = Path(__file__).resolve().parents[3]


def test_every_call_of_a_demo_scan_is_in_the_policy(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator.reset()
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    estate = paths.demo_dir() / "aws-estate.yaml"
    seed_estate(estate, emulator.endpoint)

    calls: set[tuple[Any, str]] = set()  # (botocore service model, API operation)
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        with lock:
            calls.add((self.meta.service_model, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    try:
        snapshot = collect_aws(AwsOptions(regions=tuple(r.name for r in load_estate(estate).regions)))
        # Without --regions the region listing is a call too; one cheap collector is enough to make it.
        collect_aws(AwsOptions(services=("guardduty",)))
    finally:
        emulator.reset()
    assert len(snapshot.resources) > 80
    granted = set(iam_policy()["Statement"][0]["Action"])
    needed = {iam_action(model, op) for model, op in calls}
    assert needed - granted - set(NO_PERMISSION) == set()
    assert len(calls) > 40  # the recorder saw the scan


def test_policy_is_read_only_and_shipped() -> None:
    actions = iam_policy()["Statement"][0]["Action"]
    assert not set(actions) & set(FORBIDDEN)
    verbs = {a.split(":", 1)[1] for a in actions}
    # BatchGet* (codebuild:BatchGetProjects) is a read of several resources in one call.
    assert all(v.startswith(("Get", "List", "Describe", "BatchGet")) or v == "GET" for v in verbs)
    assert (ROOT / "deploy" / "pcicheck-iam-policy.json").read_text() == iam_policy_json()


def test_iam_policy_command(capsys: pytest.CaptureFixture) -> None:
    assert main(["iam-policy"]) == 0
    assert json.loads(capsys.readouterr().out) == iam_policy()


@pytest.mark.parametrize(
    ("service", "operation", "provenance", "iam"),
    [
        ("s3", "GetPublicAccessBlock", "s3:GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        # S3 Control signs as s3: the same provenance name, another IAM action (declared by account.py).
        ("s3control", "GetPublicAccessBlock", "s3:GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock"),
        ("cloudwatch", "DescribeAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarms"),
        ("resourcegroupstaggingapi", "GetResources", "tag:GetResources", "tag:GetResources"),
        ("elbv2", "DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancers", None),
        ("opensearch", "DescribeDomains", "es:DescribeDomains", None),
        ("apigatewayv2", "GetApis", "apigateway:GetApis", "apigateway:GET"),
    ],
)
def test_call_names_come_from_one_prefix_table(service: str, operation: str, provenance: str, iam: str | None) -> None:
    """The provenance name a snapshot records and the IAM action the policy grants share one prefix."""
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    method = xform_name(operation)
    assert provenance_action(client, method) == provenance
    assert iam_action(client.meta.service_model, operation) == (iam or provenance)

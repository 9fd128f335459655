"""GuardDuty collector against the moto server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
from botocore.config import Config

from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.services.guardduty import SPEC, SPECS
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
REGION = "us-west-2"


def test_detector(client: Any, run_service: Any) -> None:
    gd = client("guardduty", REGION)
    detector = gd.create_detector(
        Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES", Tags={"Name": "primary", "pci": "cde"}
    )["DetectorId"]
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    (found,) = resources
    assert found.uid == f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{detector}"
    assert found.type == "aws.guardduty.detector"
    assert found.name == "primary"
    assert found.tags == {"Name": "primary", "pci": "cde"}
    assert found.source == ("guardduty:GetDetector", "guardduty:ListDetectors")
    assert found.attributes == {
        "detector_id": detector,
        "status": "ENABLED",
        "finding_publishing_frequency": "FIFTEEN_MINUTES",
    }
    assert set(found.attributes) == set(resource_types()["aws.guardduty.detector"].attributes)
    assert violations(found) == []  # kinds and nullability as declared
    assert calls == {"guardduty:ListDetectors": 1, "guardduty:GetDetector": 1}
    assert set(calls) <= set(SPEC.permissions)
    assert SPECS == (SPEC,)


def test_disabled_detector(client: Any, run_service: Any) -> None:
    gd = client("guardduty", REGION)
    detector = gd.create_detector(Enable=False)["DetectorId"]
    (found,), errors, _ = run_service(SPEC, REGION)
    assert errors == []
    assert found.name == detector
    assert found.attributes["status"] == "DISABLED"


def test_no_detector_yields_nothing(run_service: Any) -> None:
    assert run_service(SPEC, REGION)[:2] == ([], [])


def test_get_detector_denied_fails_closed(client: Any, aws: Any) -> None:
    detector = client("guardduty", REGION).create_detector(Enable=True)["DetectorId"]

    def denied(**_: Any) -> Any:
        return SimpleNamespace(status_code=403, headers={}), {
            "Error": {"Code": "AccessDeniedException", "Message": "not authorized"},
            "ResponseMetadata": {},
        }

    def make_client(name: str, region: str) -> Any:
        c = boto3.client(
            name, region_name=region, endpoint_url=aws.endpoint, config=Config(retries={"max_attempts": 1})
        )
        c.meta.events.register("before-call.guardduty.GetDetector", denied)
        return c

    ctx = CollectContext(spec=SPEC, account=ACCOUNT, region=REGION, partition="aws", make_client=make_client)
    (found,) = list(SPEC.collect(ctx))
    assert found.attributes == {"detector_id": detector}
    (error,) = ctx.errors
    assert (error.resource_uid, error.operation, error.code) == (
        found.uid,
        "GetDetector",
        "AccessDeniedException",
    )
    assert error.attributes == ("status", "finding_publishing_frequency", "tags")

"""AWS Config collector against the moto server: one resource per region, with or without a
recorder, so an unmonitored region has something to fail."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.config import SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def test_region_without_recorder(run_service: Any) -> None:
    [region], errors, calls = run_service(SPEC, REGION)
    assert errors == []
    assert (region.uid, region.type) == (f"aws://123456789012/{REGION}/config", "aws.config.region")
    assert region.attributes == {"region": REGION, "recorders": []}
    assert set(region.attributes) == set(resource_types()["aws.config.region"].attributes)
    assert violations(region) == []  # kinds and nullability as declared
    assert set(calls) == set(SPEC.permissions)


def test_recording_recorder(client: Any, run_service: Any) -> None:
    config = client("config", REGION)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-logs"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    [region], errors, _ = run_service(SPEC, REGION)
    assert errors == []
    [recorder] = region.attributes["recorders"]
    assert recorder["recording"] is True and recorder["all_supported"] is True
    assert recorder["include_global_resource_types"] is True
    assert region.source == ("config:DescribeConfigurationRecorderStatus", "config:DescribeConfigurationRecorders")

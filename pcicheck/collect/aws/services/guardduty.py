"""GuardDuty detectors: ListDetectors for the ids, GetDetector for each one's settings.

A region with no detector yields nothing here; "GuardDuty is on in every scanned region" is
a question about regions, answered by comparing against the aws.region resources.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ServiceSpec, name_from_tags
from pcicheck.model import Resource, resource_type

DETECTOR = resource_type(
    "aws.guardduty.detector",
    "GuardDuty detector",
    detector_id="string",
    status="string: 'ENABLED'|'DISABLED'",
    finding_publishing_frequency="string",
)


def collect(ctx: CollectContext) -> Iterator[Resource]:
    gd = ctx.client()
    detector_ids = list(ctx.pages(gd, "list_detectors", "DetectorIds"))
    for detector_id in detector_ids:
        uid = f"arn:{ctx.partition}:guardduty:{ctx.region}:{ctx.account}:detector/{detector_id}"
        source = [ctx.action(gd, "list_detectors")]
        detail = ctx.get(
            gd,
            "get_detector",
            uid=uid,
            resource_type=DETECTOR.name,
            attributes=("status", "finding_publishing_frequency", "tags"),
            DetectorId=detector_id,
        )
        status: Any = FAILED
        frequency: Any = FAILED
        tags: dict[str, str] = {}
        if detail is not FAILED:
            source.append(ctx.action(gd, "get_detector"))
            status = detail.get("Status", FAILED)
            frequency = detail.get("FindingPublishingFrequency", FAILED)
            tags = {str(k): str(v) for k, v in (detail.get("Tags") or {}).items()}
        yield ctx.resource(
            type=DETECTOR.name,
            uid=uid,
            name=name_from_tags(tags, detector_id),
            tags=tags,
            attributes={
                "detector_id": detector_id,
                "status": status,
                "finding_publishing_frequency": frequency,
            },
            source=source,
        )


SPEC = ServiceSpec(
    name="guardduty",
    client="guardduty",
    regional=True,
    types=(DETECTOR,),
    permissions=("guardduty:ListDetectors", "guardduty:GetDetector"),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)

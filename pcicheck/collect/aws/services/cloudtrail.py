"""CloudTrail trails, each collected once, in its home region.

Shadow trails are included so that, in a member account, the organization trail (which
exists there only as a shadow) is seen; keeping only trails whose HomeRegion is the region
asked means a multi-region trail is still collected once, not in every region it covers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ServiceSpec, name_from_tags, tag_map
from pcicheck.model import Resource

TRAIL = "aws.cloudtrail.trail"


def _opt(data: dict[str, Any], key: str) -> Any:
    """A field AWS always sends: missing means unknown, so the attribute stays absent."""
    return data.get(key, FAILED)


def collect(ctx: CollectContext) -> Iterator[Resource]:
    ct = ctx.client()
    # DescribeTrails has no paginator: it returns every trail in one response.
    trails = list(ctx.pages(ct, "describe_trails", "trailList", includeShadowTrails=True))
    for trail in trails:
        home = trail.get("HomeRegion", ctx.region)
        if home != ctx.region:
            continue  # the collector of its home region owns it
        arn = trail["TrailARN"]
        source = [ctx.action(ct, "describe_trails")]
        status = ctx.get(ct, "get_trail_status", uid=arn, resource_type=TRAIL, attributes=("is_logging",), Name=arn)
        is_logging: Any = FAILED
        if status is not FAILED:
            is_logging = _opt(status, "IsLogging")
            source.append(ctx.action(ct, "get_trail_status"))
        # ListTags' NextToken is "reserved for future use": one call per trail reads all its tags.
        tag_resp = ctx.get(ct, "list_tags", uid=arn, resource_type=TRAIL, attributes=("tags",), ResourceIdList=[arn])
        tags: dict[str, str] = {}
        if tag_resp is not FAILED:
            source.append(ctx.action(ct, "list_tags"))
            for entry in tag_resp.get("ResourceTagList") or ():
                if entry.get("ResourceId") == arn:
                    tags = tag_map(entry.get("TagsList"))
        yield ctx.resource(
            type=TRAIL,
            uid=arn,
            name=name_from_tags(tags, trail.get("Name", arn)),
            tags=tags,
            attributes={
                "trail_arn": arn,
                "home_region": home,
                "is_multi_region": _opt(trail, "IsMultiRegionTrail"),
                "is_organization_trail": _opt(trail, "IsOrganizationTrail"),
                "log_file_validation": _opt(trail, "LogFileValidationEnabled"),
                "kms_key_id": trail.get("KmsKeyId"),
                "is_logging": is_logging,
                "s3_bucket": trail.get("S3BucketName", ""),
                "cloudwatch_logs_log_group_arn": trail.get("CloudWatchLogsLogGroupArn"),
                "include_global_service_events": _opt(trail, "IncludeGlobalServiceEvents"),
            },
            source=source,
        )


SPEC = ServiceSpec(
    name="cloudtrail",
    client="cloudtrail",
    regional=True,
    resource_types=(TRAIL,),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:ListTags"),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)

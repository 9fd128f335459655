"""Every tagged resource of a region, from the Resource Groups Tagging API (aws.tagging.resource).

One paginated GetResources call lists each resource that carries tags (or once did) with its tags,
whatever its service: so tag coverage can be judged on resources pcicheck has no collector for.
A resource that never carried a tag is not returned by the API.

The uid is not the resource's ARN: a resource another collector reads (a bucket, a key) keeps that
uid; this record is the tag view of it, `aws://<account>/<region>/tagging/<arn>`. analyze/scope.py
lets it inherit the CDE scope and tenant that the other record has (e.g. from its subnet).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec, name_from_tags, tag_map
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.tagging.resource",
    "A tagged resource of any service, from the Resource Groups Tagging API; "
    "uid aws://<account>/<region>/tagging/<arn>; tags = its tags",
    arn="string: the resource's ARN",
    service="string: ARN service ('ec2', 's3', 'kms', ...)",
    resource_type="string?: the kind in the ARN ('instance', 'key', ...); null for S3 buckets",
)
# The resource part of an ARN names its kind before the first '/' or ':' ("instance/i-…", "key/…");
# an S3 bucket's ("my-bucket") has none.
_KIND = re.compile(r"^([^/:]+)[/:]")


def _arn_parts(arn: str) -> tuple[str, str | None, str]:
    """(service, kind or None, the id part) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", None, arn
    service, rest = parts[2], parts[5]
    kind = _KIND.match(rest)
    if kind is None:
        return service, None, rest
    return service, kind.group(1), rest[kind.end() :]


def collect(ctx: CollectContext) -> Iterator[Resource]:
    tagging = ctx.client()
    listing = ctx.action(tagging, "get_resources")
    for item in ctx.pages(tagging, "get_resources", "ResourceTagMappingList"):
        arn = str(item["ResourceARN"])
        service, kind, ident = _arn_parts(arn)
        tags = tag_map(item.get("Tags"))
        yield ctx.resource(
            type=TYPE.name,
            uid=f"aws://{ctx.account}/{ctx.region}/tagging/{arn}",
            name=name_from_tags(tags, ident or arn),
            tags=tags,
            attributes={"arn": arn, "service": service, "resource_type": kind},
            source={listing},
        )


SPEC = ServiceSpec(
    name="tagging",
    client="resourcegroupstaggingapi",
    regional=True,
    types=(TYPE,),
    permissions=("tag:GetResources",),
    collect=collect,
)

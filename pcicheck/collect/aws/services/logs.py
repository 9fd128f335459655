"""CloudWatch Logs log groups (aws.logs.log_group): retention and KMS encryption.

DescribeLogGroups alone carries both, so a log group is never half-read. Tags are not read:
log groups are judged account-wide, not by CDE or tenant tag.
"""

from __future__ import annotations

from collections.abc import Iterator

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec
from pcicheck.model import Resource

TYPE = "aws.logs.log_group"


def collect(ctx: CollectContext) -> Iterator[Resource]:
    logs = ctx.client()
    listing = ctx.action(logs, "describe_log_groups")
    for group in ctx.pages(logs, "describe_log_groups", "logGroups"):
        name = str(group["logGroupName"])
        # `arn` ends in ':*' (the streams); logGroupArn, newer, is the group itself.
        arn = str(group.get("logGroupArn") or str(group.get("arn", "")).removesuffix(":*"))
        retention = group.get("retentionInDays")
        yield ctx.resource(
            type=TYPE,
            uid=arn,
            name=name,
            attributes={
                "name": name,
                "arn": arn,
                # AWS leaves the field out when events never expire.
                "retention_days": int(retention) if retention is not None else None,
                "kms_key_id": group.get("kmsKeyId"),
                "log_group_class": group.get("logGroupClass", "STANDARD"),
            },
            source={listing},
        )


SPEC = ServiceSpec(
    name="logs",
    client="logs",
    regional=True,
    resource_types=(TYPE,),
    permissions=("logs:DescribeLogGroups",),
    collect=collect,
)

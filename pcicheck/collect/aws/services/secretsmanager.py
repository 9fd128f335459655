"""Secrets Manager secrets, metadata only.

ListSecrets carries everything the contract needs. Secret values are never read: this module
calls no GetSecretValue (and the shipped IAM policy does not grant it), and no DescribeSecret
either, since ListSecrets already has the rotation and key metadata.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ServiceSpec, iso, name_from_tags, tag_map
from pcicheck.model import Resource, resource_type

SECRET = resource_type(
    "aws.secretsmanager.secret",
    "Secrets Manager secret (metadata only: values are never read)",
    arn="string: ARN",
    description="string",
    kms_key_id="string?: key id/ARN/alias; null = the AWS-managed aws/secretsmanager key",
    rotation_enabled="bool",
    rotation_days="int?: RotationRules.AutomaticallyAfterDays (a rate() schedule read as days)",
    last_rotated_date="timestamp?",
    next_rotation_date="timestamp?",
    last_accessed_date="timestamp?",
    created_date="timestamp?",
)

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$")


def _rotation_days(secret: dict[str, Any]) -> Any:
    """RotationRules.AutomaticallyAfterDays; else a `rate(...)` schedule read as days (rounded
    up, so the interval is never understated); a cron schedule cannot be read as one number,
    so the attribute stays absent rather than look like 'no rotation'."""
    rules = secret.get("RotationRules") or {}
    days = rules.get("AutomaticallyAfterDays")
    if days:
        return int(days)
    schedule = rules.get("ScheduleExpression")
    if not schedule:
        return None
    match = _RATE.match(str(schedule).strip())
    if not match:
        return FAILED
    amount, unit = int(match.group(1)), match.group(2)
    return amount if unit.startswith("day") else max(1, math.ceil(amount / 24))


def collect(ctx: CollectContext) -> Iterator[Resource]:
    sm = ctx.client()
    secrets = list(ctx.pages(sm, "list_secrets", "SecretList"))
    source = [ctx.action(sm, "list_secrets")]
    for secret in secrets:
        arn = secret["ARN"]
        tags = tag_map(secret.get("Tags"))
        yield ctx.resource(
            type=SECRET.name,
            uid=arn,
            name=name_from_tags(tags, secret.get("Name", arn)),
            tags=tags,
            attributes={
                "arn": arn,
                "description": secret.get("Description", ""),
                "kms_key_id": secret.get("KmsKeyId") or None,
                # ListSecrets may omit RotationEnabled when rotation was never configured: that is 'off'.
                "rotation_enabled": bool(secret.get("RotationEnabled", False)),
                "rotation_days": _rotation_days(secret),
                "last_rotated_date": iso(secret.get("LastRotatedDate")),
                "next_rotation_date": iso(secret.get("NextRotationDate")),
                "last_accessed_date": iso(secret.get("LastAccessedDate")),
                "created_date": iso(secret.get("CreatedDate")),
            },
            source=source,
        )


SPEC = ServiceSpec(
    name="secretsmanager",
    client="secretsmanager",
    regional=True,
    types=(SECRET,),
    permissions=("secretsmanager:ListSecrets",),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)

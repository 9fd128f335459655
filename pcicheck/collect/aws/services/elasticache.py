"""ElastiCache replication groups (aws.elasticache.replication_group): backups, failover, encryption, AUTH.

DescribeReplicationGroups (paginated) carries everything judged here; ListTagsForResource per group
gives the tags (scope). Replication groups are the Redis OSS and Valkey deployments; Memcached
clusters and serverless caches are not read. A flag the API leaves out reads as off, which can only
fail a control, never pass one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec, tag_map
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.elasticache.replication_group",
    "ElastiCache (Redis OSS / Valkey) replication group; uid = its ARN",
    replication_group_id="string",
    arn="string: replication group ARN",
    engine="string?: 'redis'|'valkey', or null when the API does not say",
    status="string?: 'available'|'creating'|'modifying'|…",
    snapshot_retention_limit="int: days automatic backups are kept (0: automatic backups off)",
    automatic_failover="string?: 'enabled'|'disabled'|'enabling'|'disabling'",
    at_rest_encryption_enabled="bool",
    kms_key_id="string?: KMS key id/ARN for encryption at rest; null: AWS-owned key or none",
    transit_encryption_enabled="bool: TLS",
    transit_encryption_mode="string?: 'required'|'preferred' (plaintext still accepted); null when set before "
    "modes existed",
    auth_token_enabled="bool: Redis AUTH token",
)


def attributes_of(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "replication_group_id": str(group["ReplicationGroupId"]),
        "arn": str(group["ARN"]),
        "engine": group.get("Engine"),
        "status": group.get("Status"),
        # 0 means automatic backups are off.
        "snapshot_retention_limit": int(group.get("SnapshotRetentionLimit") or 0),
        "automatic_failover": group.get("AutomaticFailover"),
        "at_rest_encryption_enabled": group.get("AtRestEncryptionEnabled") is True,
        "kms_key_id": group.get("KmsKeyId") or None,
        "transit_encryption_enabled": group.get("TransitEncryptionEnabled") is True,
        # 'preferred' still accepts plaintext clients (a migration step); null predates the setting
        # and means TLS-only whenever transit encryption is on.
        "transit_encryption_mode": group.get("TransitEncryptionMode"),
        "auth_token_enabled": group.get("AuthTokenEnabled") is True,
    }


def collect(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client()
    listing = ctx.action(client, "describe_replication_groups")
    for group in ctx.pages(client, "describe_replication_groups", "ReplicationGroups"):
        attributes = attributes_of(group)
        arn = attributes["arn"]
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        tagged = reads.get(client, "list_tags_for_resource", ("tags",), ResourceName=arn)
        tags = {} if tagged is FAILED else tag_map(tagged.get("TagList"))
        yield reads.resource(attributes["replication_group_id"], attributes, tags)


SPEC = ServiceSpec(
    name="elasticache",
    client="elasticache",
    regional=True,
    types=(TYPE,),
    permissions=("elasticache:DescribeReplicationGroups", "elasticache:ListTagsForResource"),
    collect=collect,
)

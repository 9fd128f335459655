"""DynamoDB tables (aws.dynamodb.table): server-side encryption key and point-in-time recovery.

ListTables names them; per table, DescribeTable gives the encryption settings, DescribeKey on the
table's KMS key tells a customer-managed key from the AWS-managed one, DescribeContinuousBackups gives
PITR and ListTagsOfResource the tags. Each failed read leaves only what it was for absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec, tag_map
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.dynamodb.table",
    "DynamoDB table; uid = its ARN",
    table_name="string",
    arn="string: table ARN",
    table_status="string?: 'CREATING'|'ACTIVE'|'UPDATING'|'DELETING'|…",
    sse_type="string?: 'KMS', or null when the AWS-owned key encrypts it",
    kms_key_arn="string?: KMS key ARN",
    kms_key_manager="string?: 'CUSTOMER'|'AWS' (the AWS-managed aws/dynamodb key); null without a KMS key",
    pitr_enabled="bool: point-in-time recovery",
)
DESCRIPTION = ("table_status", "sse_type", "kms_key_arn", "kms_key_manager")


def _table(ctx: CollectContext, dynamodb: Any, name: str, listing: str) -> Resource:
    arn = f"arn:{ctx.partition}:dynamodb:{ctx.region}:{ctx.account}:table/{name}"
    reads = ResourceReads(ctx, arn, TYPE.name, {listing})
    attributes: dict[str, Any] = {"table_name": name, "arn": arn, **dict.fromkeys(DESCRIPTION, FAILED)}
    described = reads.get(dynamodb, "describe_table", DESCRIPTION, TableName=name)
    if described is not FAILED:
        table = described.get("Table") or {}
        sse = table.get("SSEDescription") or {}
        # No SSEDescription (or a disabled one) means the AWS-owned key, which the account cannot see or control.
        kms = sse.get("Status") in ("ENABLED", "UPDATING") and sse.get("SSEType") == "KMS"
        key = sse.get("KMSMasterKeyArn") if kms else None
        attributes.update(
            table_status=table.get("TableStatus"),
            sse_type="KMS" if kms else None,
            kms_key_arn=key,
            kms_key_manager=None,
        )
        if key:
            answer = reads.get(ctx.client("kms"), "describe_key", ("kms_key_manager",), KeyId=key)
            attributes["kms_key_manager"] = answer if answer is FAILED else answer["KeyMetadata"].get("KeyManager")
    backups = reads.get(dynamodb, "describe_continuous_backups", ("pitr_enabled",), TableName=name)
    attributes["pitr_enabled"] = (
        backups
        if backups is FAILED
        else (backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription") or {}).get(
            "PointInTimeRecoveryStatus"
        )
        == "ENABLED"
    )
    tagged = reads.all_pages(dynamodb, "list_tags_of_resource", "Tags", ("tags",), ResourceArn=arn)
    tags = {} if tagged is FAILED else tag_map(tagged)
    return reads.resource(name, attributes, tags)


def collect(ctx: CollectContext) -> Iterator[Resource]:
    dynamodb = ctx.client()
    listing = ctx.action(dynamodb, "list_tables")
    for name in ctx.pages(dynamodb, "list_tables", "TableNames"):
        yield _table(ctx, dynamodb, str(name), listing)


SPEC = ServiceSpec(
    name="dynamodb",
    client="dynamodb",
    regional=True,
    types=(TYPE,),
    permissions=(
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:DescribeTable",
        "dynamodb:ListTables",
        "dynamodb:ListTagsOfResource",
        "kms:DescribeKey",
    ),
    collect=collect,
)

"""DynamoDB collector against the moto server: a CMK-encrypted table with PITR, one on the AWS-owned
key, the AWS-managed key told apart by DescribeKey, and refused reads leaving only their part unknown."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.dynamodb import SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"
SCHEMA: dict[str, Any] = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def test_dynamodb_tables(client: Any, run_service: Any) -> None:
    key = client("kms", REGION).create_key()["KeyMetadata"]["Arn"]
    dynamodb = client("dynamodb", REGION)
    dynamodb.create_table(
        TableName="cards",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
        Tags=[{"Key": "pci-scope", "Value": "cde"}],
        **SCHEMA,
    )
    dynamodb.update_continuous_backups(
        TableName="cards", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    dynamodb.create_table(TableName="plain", **SCHEMA)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    cards = by_name["cards"]
    assert (cards.uid, cards.tags) == (f"arn:aws:dynamodb:{REGION}:123456789012:table/cards", {"pci-scope": "cde"})
    assert set(cards.attributes) == set(resource_types()["aws.dynamodb.table"].attributes)
    assert violations(cards) == []  # kinds and nullability as declared
    assert [cards.attributes[k] for k in ("sse_type", "kms_key_arn", "kms_key_manager", "pitr_enabled")] == [
        "KMS",
        key,
        "CUSTOMER",
        True,
    ]
    plain = by_name["plain"].attributes
    assert [plain[k] for k in ("sse_type", "kms_key_arn", "kms_key_manager", "pitr_enabled")] == [
        None,
        None,
        None,
        False,
    ]
    assert set(calls) == set(SPEC.permissions)


def test_dynamodb_aws_managed_key_and_denied_reads(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    dynamodb = client("dynamodb")
    dynamodb.create_table(TableName="cards", SSESpecification={"Enabled": True, "SSEType": "KMS"}, **SCHEMA)

    def aws_managed(parsed: dict[str, Any], **_: Any) -> None:
        # moto reports every key as CUSTOMER; AWS answers AWS for the aws/dynamodb key.
        parsed["KeyMetadata"]["KeyManager"] = "AWS"

    [table], ctx = run_with_hooks(
        aws,
        SPEC,
        {
            "after-call.kms.DescribeKey": aws_managed,
            "before-parameter-build.dynamodb.DescribeContinuousBackups": deny("DescribeContinuousBackups"),
        },
    )
    assert (table.attributes["sse_type"], table.attributes["kms_key_manager"]) == ("KMS", "AWS")
    assert "pitr_enabled" not in table.attributes
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (table.uid, ("pitr_enabled",))

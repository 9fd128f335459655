"""KMS key collector against the moto server: rotation, aliases, names, key kinds, fail-closed reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.services.kms import SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
REGION = "eu-west-1"


def run_with_hooks(aws: Any, hooks: dict[str, Callable[..., Any]]) -> tuple[list[Any], CollectContext]:
    """Collect with botocore event hooks on the client: how a test makes one call fail or
    answer with a field moto leaves out."""

    def make_client(name: str, region: str) -> Any:
        client = boto3.client(name, region_name=region, endpoint_url=aws.endpoint)
        for event, handler in hooks.items():
            client.meta.events.register(event, handler)
        return client

    ctx = CollectContext(spec=SPEC, account=ACCOUNT, region=REGION, partition="aws", make_client=make_client)
    return list(SPEC.collect(ctx)), ctx


def deny(operation: str, code: str = "AccessDeniedException", only: str | None = None) -> Callable[..., None]:
    """A `before-parameter-build` hook: it sees the call's own parameters, so it can pick one key."""

    def handler(params: dict[str, Any], **_: Any) -> None:
        if only is None or params.get("KeyId") == only:
            raise ClientError({"Error": {"Code": code, "Message": "not authorized"}}, operation)

    return handler


def by_id(resources: list[Any]) -> dict[str, Any]:
    return {r.attributes["key_id"]: r for r in resources}


def test_customer_key_with_rotation_aliases_and_name_tag(client: Any, aws: Any) -> None:
    kms = client("kms", REGION)
    # moto omits KeyUsage from DescribeKey unless it was given at creation (KMS always returns it).
    key = kms.create_key(
        Description="card data key",
        KeyUsage="ENCRYPT_DECRYPT",
        Tags=[{"TagKey": "Name", "TagValue": "pan-key"}],
    )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    kms.create_alias(AliasName="alias/zeta", TargetKeyId=key["KeyId"])
    kms.create_alias(AliasName="alias/alpha", TargetKeyId=key["KeyId"])
    next_rotation = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)

    def real_rotation_shape(parsed: dict[str, Any], **_: Any) -> None:
        # moto 5.2.5 returns only KeyRotationEnabled; KMS also returns the period and next date.
        parsed.update({"RotationPeriodInDays": 180, "NextRotationDate": next_rotation})

    resources, ctx = run_with_hooks(aws, {"after-call.kms.GetKeyRotationStatus": real_rotation_shape})

    assert ctx.errors == []
    [resource] = resources
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key['KeyId']}"
    assert (resource.uid, resource.type, resource.region, resource.name) == (
        arn,
        "aws.kms.key",
        REGION,
        "pan-key",
    )
    assert resource.tags == {"Name": "pan-key"}
    assert resource.attributes == {
        "key_id": key["KeyId"],
        "arn": arn,
        "manager": "CUSTOMER",
        "state": "Enabled",
        "key_spec": "SYMMETRIC_DEFAULT",
        "key_usage": "ENCRYPT_DECRYPT",
        "origin": "AWS_KMS",
        "description": "card data key",
        "creation_date": resource.attributes["creation_date"],
        "multi_region": False,
        "rotation_enabled": True,
        "rotation_period_days": 180,
        "next_rotation_date": "2027-05-01T12:00:00Z",
        "aliases": ["alias/alpha", "alias/zeta"],
    }
    assert set(resource.attributes) == set(resource_types()["aws.kms.key"].attributes)
    assert violations(resource) == []  # kinds and nullability as declared
    assert resource.source == (
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "kms:ListAliases",
        "kms:ListKeys",
        "kms:ListResourceTags",
    )


def test_rotation_off_names_from_alias_or_id(client: Any, run_service: Any) -> None:
    kms = client("kms", REGION)
    aliased = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/payments", TargetKeyId=aliased)
    bare = kms.create_key()["KeyMetadata"]["KeyId"]

    resources, errors, calls = run_service(SPEC, REGION)

    assert errors == []
    keys = by_id(resources)
    assert keys[aliased].name == "alias/payments"
    assert keys[bare].name == bare
    assert keys[bare].attributes["aliases"] == []
    for key in keys.values():
        rotation = {k: key.attributes[k] for k in ("rotation_enabled", "rotation_period_days", "next_rotation_date")}
        assert rotation == {
            "rotation_enabled": False,
            "rotation_period_days": None,
            "next_rotation_date": None,
        }
    # Aliases are listed once per region, not once per key.
    assert calls["kms:ListAliases"] == 1


def test_rotation_enabled_without_a_period_takes_the_documented_default_and_says_so(
    client: Any, run_service: Any
) -> None:
    """moto leaves RotationPeriodInDays out. The KMS API reference documents its default (365 days): the
    collector uses it and records that it did, so the evidence never passes a guessed value off as read."""
    kms = client("kms", REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key)

    [resource], errors, _ = run_service(SPEC, REGION)

    assert errors == []
    assert resource.attributes["rotation_enabled"] is True
    assert resource.attributes["rotation_period_days"] == 365
    assert set(resource.defaulted) == {"rotation_period_days"}
    assert "The default value is 365 days" in resource.defaulted["rotation_period_days"]


def test_asymmetric_hmac_and_pending_deletion_keys(client: Any, run_service: Any) -> None:
    kms = client("kms", REGION)
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)

    resources, errors, calls = run_service(SPEC, REGION)

    assert errors == []
    keys = by_id(resources)
    assert set(keys) == {rsa, hmac, doomed}  # nothing skipped, not even a key about to go
    assert keys[rsa].attributes["key_spec"] == "RSA_2048"
    assert keys[rsa].attributes["key_usage"] == "SIGN_VERIFY"
    assert keys[hmac].attributes["key_spec"] == "HMAC_256"
    assert keys[doomed].attributes["state"] == "PendingDeletion"
    for key in keys.values():
        assert key.attributes["rotation_enabled"] is None
        assert key.attributes["rotation_period_days"] is None
    # KMS refuses rotation status for these kinds/states; the collector does not ask.
    assert "kms:GetKeyRotationStatus" not in calls


def test_aws_managed_key_rotates_yearly_when_status_is_refused(client: Any, aws: Any) -> None:
    """moto makes every key CUSTOMER-managed; the hook turns one into an AWS-managed key whose
    key policy refuses GetKeyRotationStatus, as some AWS-managed key policies do."""
    kms = client("kms", REGION)
    managed = kms.create_key(Description="Default key for S3")["KeyMetadata"]["KeyId"]

    def aws_managed(parsed: dict[str, Any], **_: Any) -> None:
        parsed["KeyMetadata"]["KeyManager"] = "AWS"

    def s3_alias(parsed: dict[str, Any], **_: Any) -> None:
        # moto reserves alias/aws/* for keys of its own that ListKeys never returns.
        for alias in parsed["Aliases"]:
            if alias["AliasName"] == "alias/aws/s3":
                alias["TargetKeyId"] = managed

    resources, ctx = run_with_hooks(
        aws,
        {
            "after-call.kms.DescribeKey": aws_managed,
            "after-call.kms.ListAliases": s3_alias,
            "before-parameter-build.kms.GetKeyRotationStatus": deny("GetKeyRotationStatus"),
        },
    )

    assert ctx.errors == []
    [key] = resources
    assert key.name == "alias/aws/s3"
    assert key.attributes["manager"] == "AWS"
    assert (key.attributes["rotation_enabled"], key.attributes["rotation_period_days"]) == (True, 365)
    assert key.tags == {}
    assert "kms:ListResourceTags" not in key.source  # AWS-managed keys cannot carry tags


def test_imported_key_material_reads_as_rotation_off(client: Any, aws: Any) -> None:
    kms = client("kms", REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]

    resources, ctx = run_with_hooks(
        aws,
        {
            "before-parameter-build.kms.GetKeyRotationStatus": deny(
                "GetKeyRotationStatus", "UnsupportedOperationException"
            )
        },
    )

    assert ctx.errors == []
    [resource] = resources
    assert resource.attributes["key_id"] == key
    assert resource.attributes["rotation_enabled"] is False


def test_denied_rotation_status_is_absent_and_recorded(client: Any, aws: Any) -> None:
    kms = client("kms", REGION)
    locked = kms.create_key()["KeyMetadata"]["KeyId"]
    readable = kms.create_key()["KeyMetadata"]["KeyId"]

    resources, ctx = run_with_hooks(
        aws, {"before-parameter-build.kms.GetKeyRotationStatus": deny("GetKeyRotationStatus", only=locked)}
    )

    keys = by_id(resources)
    rotation = {"rotation_enabled", "rotation_period_days", "next_rotation_date"}
    assert not rotation & set(keys[locked].attributes)
    assert keys[locked].attributes["state"] == "Enabled"
    assert rotation <= set(keys[readable].attributes)
    [error] = ctx.errors
    assert error.resource_uid == keys[locked].uid
    assert set(error.attributes) == rotation
    assert (error.operation, error.code, error.region) == (
        "GetKeyRotationStatus",
        "AccessDeniedException",
        REGION,
    )


def test_failed_alias_listing_costs_only_aliases(client: Any, aws: Any) -> None:
    kms = client("kms", REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/payments", TargetKeyId=key)

    [resource], ctx = run_with_hooks(aws, {"before-parameter-build.kms.ListAliases": deny("ListAliases")})

    assert "aliases" not in resource.attributes
    assert resource.attributes["manager"] == "CUSTOMER"
    assert resource.name == key
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.operation) == (
        resource.uid,
        ("aliases",),
        "ListAliases",
    )


def test_failed_describe_leaves_described_attributes_absent(client: Any, aws: Any) -> None:
    kms = client("kms", REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]

    [resource], ctx = run_with_hooks(aws, {"before-parameter-build.kms.DescribeKey": deny("DescribeKey")})

    assert set(resource.attributes) == {"key_id", "arn", "aliases"}
    assert resource.attributes["key_id"] == key
    [error] = ctx.errors
    assert "rotation_enabled" in error.attributes and "manager" in error.attributes


def test_permissions_cover_every_call(client: Any, run_service: Any) -> None:
    kms = client("kms", REGION)
    kms.create_key(Tags=[{"TagKey": "team", "TagValue": "payments"}])

    [resource], errors, calls = run_service(SPEC, REGION)

    assert errors == []
    assert resource.tags == {"team": "payments"}
    assert set(calls) == set(SPEC.permissions)

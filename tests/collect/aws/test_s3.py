"""S3 bucket collector against the moto server: configured and unconfigured buckets, fail-closed reads."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.services.s3 import SPEC, _whole_bucket, denies_insecure_transport
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LOG_DELIVERY = 'uri="http://acs.amazonaws.com/groups/s3/LogDelivery"'


def secure_transport_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecure",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def run_with_hooks(aws: Any, hooks: dict[str, Callable[..., Any]]) -> tuple[list[Any], CollectContext, list[Any]]:
    """Collect with botocore event hooks on every client: how a test makes one call fail or
    return a shape moto cannot produce. Also records which (client, region) pairs were made."""
    made: list[tuple[str, str]] = []

    def make_client(name: str, region: str) -> Any:
        made.append((name, region))
        client = boto3.client(name, region_name=region, endpoint_url=aws.endpoint)
        for event, handler in hooks.items():
            client.meta.events.register(event, handler)
        return client

    ctx = CollectContext(spec=SPEC, account=ACCOUNT, region="us-east-1", partition="aws", make_client=make_client)
    return list(SPEC.collect(ctx)), ctx, made


def by_name(resources: list[Any]) -> dict[str, Any]:
    return {r.uid.rsplit(":", 1)[1]: r for r in resources}


def test_unconfigured_bucket_reads_as_null_not_absent(client: Any, run_service: Any) -> None:
    client("s3").create_bucket(Bucket="plain")

    resources, errors, calls = run_service(SPEC)

    assert errors == []
    [bucket] = resources
    assert bucket.uid == "arn:aws:s3:::plain"
    assert (bucket.type, bucket.provider, bucket.account, bucket.region, bucket.name, bucket.tags) == (
        "aws.s3.bucket",
        "aws",
        ACCOUNT,
        "us-east-1",
        "plain",
        {},
    )
    assert ISO.match(bucket.attributes["creation_date"])
    assert bucket.attributes == {
        "creation_date": bucket.attributes["creation_date"],
        "encryption": None,
        "public_access_block": None,
        "policy": None,
        "policy_is_public": False,
        "secure_transport_enforced": False,
        "acl_public": False,
        "versioning": "Disabled",
        "mfa_delete": False,
        "logging_target": None,
        "replication": None,
        "lifecycle": None,
    }
    assert set(bucket.attributes) == set(resource_types()["aws.s3.bucket"].attributes)
    assert violations(bucket) == []  # kinds and nullability as declared
    # No policy: S3's policy-status call is skipped rather than asked to confirm there is none.
    assert "s3:GetBucketPolicyStatus" not in calls
    assert bucket.source == (
        "s3:GetBucketAcl",
        "s3:GetBucketEncryption",
        "s3:GetBucketLifecycleConfiguration",
        "s3:GetBucketLocation",
        "s3:GetBucketLogging",
        "s3:GetBucketPolicy",
        "s3:GetBucketReplication",
        "s3:GetBucketTagging",
        "s3:GetBucketVersioning",
        "s3:GetPublicAccessBlock",
        "s3:ListBuckets",
    )


def test_configured_bucket_in_its_own_region(client: Any, aws: Any) -> None:
    s3 = client("s3", "eu-west-2")
    s3.create_bucket(Bucket="logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_bucket_acl(Bucket="logs", GrantWrite=LOG_DELIVERY, GrantReadACP=LOG_DELIVERY)
    s3.create_bucket(Bucket="cards", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    key = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    s3.put_bucket_encryption(
        Bucket="cards",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket="cards",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    policy = secure_transport_policy("cards")
    s3.put_bucket_policy(Bucket="cards", Policy=json.dumps(policy))
    s3.put_bucket_versioning(Bucket="cards", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket="cards",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "cards/"}},
    )
    s3.put_bucket_tagging(
        Bucket="cards",
        Tagging={"TagSet": [{"Key": "Name", "Value": "Card vault"}, {"Key": "pci", "Value": "cde"}]},
    )

    resources, ctx, made = run_with_hooks(aws, {})

    assert ctx.errors == []
    cards = by_name(resources)["cards"]
    assert (cards.region, cards.name, cards.tags) == (
        "eu-west-2",
        "Card vault",
        {"Name": "Card vault", "pci": "cde"},
    )
    assert {k: v for k, v in cards.attributes.items() if k != "creation_date"} == {
        "encryption": {"algorithm": "aws:kms", "kms_key_id": key, "bucket_key_enabled": True},
        "public_access_block": {
            "block_public_acls": True,
            "ignore_public_acls": True,
            "block_public_policy": True,
            "restrict_public_buckets": True,
        },
        "policy": policy,
        "policy_is_public": False,
        "secure_transport_enforced": True,
        "acl_public": False,
        "versioning": "Enabled",
        "mfa_delete": False,
        "logging_target": "logs",
        "replication": None,
        "lifecycle": None,
    }
    assert "s3:GetBucketPolicyStatus" in cards.source
    # Listing and locating go through the scan's own client; per-bucket reads through the bucket's region.
    assert made == [("s3", "us-east-1"), ("s3", "eu-west-2")]


def test_replication_and_lifecycle_rules(client: Any, run_service: Any) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="vault")
    replica = client("s3", "eu-west-1")
    replica.create_bucket(Bucket="vault-replica", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for name, c in (("vault", s3), ("vault-replica", replica)):
        c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(
        Bucket="vault",
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
            "Rules": [
                {
                    "ID": "everything",
                    "Priority": 1,
                    "Status": "Enabled",
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::vault-replica", "Account": ACCOUNT},
                },
                {
                    "ID": "reports-only",
                    "Priority": 2,
                    "Status": "Disabled",
                    "Filter": {"Prefix": "reports/"},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::vault-replica"},
                },
            ],
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket="vault",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "retention",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": 400},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                },
                {"ID": "tmp", "Status": "Disabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
                {
                    "ID": "archive",
                    "Status": "Enabled",
                    "Filter": {"Tag": {"Key": "class", "Value": "archive"}},
                    "Expiration": {"Date": datetime(2030, 1, 1, tzinfo=UTC)},
                },
            ]
        },
    )

    resources, errors, _ = run_service(SPEC)

    assert errors == []
    vault = by_name(resources)["vault"]
    assert vault.attributes["replication"] == [
        {
            "id": "everything",
            "enabled": True,
            "whole_bucket": True,
            "destination_bucket": "arn:aws:s3:::vault-replica",
            "destination_account": ACCOUNT,
        },
        {
            "id": "reports-only",
            "enabled": False,
            "whole_bucket": True,  # moto answers every replication rule with an empty filter
            "destination_bucket": "arn:aws:s3:::vault-replica",
            "destination_account": None,
        },
    ]
    assert vault.attributes["lifecycle"] == [
        {
            "id": "retention",
            "enabled": True,
            "whole_bucket": True,
            "expiration_days": 400,
            "noncurrent_expiration_days": 30,
        },
        {
            "id": "tmp",
            "enabled": False,
            "whole_bucket": False,
            "expiration_days": 1,
            "noncurrent_expiration_days": None,
        },
        {
            "id": "archive",
            "enabled": True,
            "whole_bucket": False,
            "expiration_days": None,
            "noncurrent_expiration_days": None,
        },
    ]
    assert "s3:GetBucketReplication" in vault.source
    replica_bucket = by_name(resources)["vault-replica"]
    assert (replica_bucket.region, replica_bucket.attributes["replication"]) == ("eu-west-1", None)


@pytest.mark.parametrize(
    ("rule", "whole"),
    [
        ({}, True),
        ({"Filter": {}}, True),
        ({"Filter": {"Prefix": ""}}, True),
        ({"Prefix": ""}, True),
        ({"Prefix": "logs/"}, False),
        ({"Filter": {"Prefix": "reports/"}}, False),
        ({"Filter": {"Tag": {"Key": "class", "Value": "pan"}}}, False),
        ({"Filter": {"And": {"Prefix": "", "Tags": [{"Key": "k", "Value": "v"}]}}}, False),
        ({"Filter": {"And": {"Prefix": "", "ObjectSizeLessThan": 10}}}, False),
        ({"Filter": {"ObjectSizeGreaterThan": 0}}, False),
    ],
)
def test_whole_bucket_rules(rule: dict[str, Any], whole: bool) -> None:
    assert _whole_bucket(rule) is whole


def test_denied_replication_and_lifecycle_reads_are_absent(client: Any, aws: Any) -> None:
    client("s3").create_bucket(Bucket="closed")

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetBucketReplication")

    [bucket], ctx, _ = run_with_hooks(
        aws,
        {"before-call.s3.GetBucketReplication": deny, "before-call.s3.GetBucketLifecycleConfiguration": deny},
    )

    assert not {"replication", "lifecycle"} & set(bucket.attributes)
    assert sorted((e.attributes, e.operation) for e in ctx.errors) == [
        (("lifecycle",), "GetBucketLifecycleConfiguration"),
        (("replication",), "GetBucketReplication"),
    ]


def test_public_bucket(client: Any, run_service: Any) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="open")
    s3.put_bucket_acl(Bucket="open", ACL="public-read")
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::open/*"}
        ],
    }
    s3.put_bucket_policy(Bucket="open", Policy=json.dumps(public))
    s3.put_public_access_block(Bucket="open", PublicAccessBlockConfiguration={"BlockPublicAcls": True})

    [bucket], errors, _ = run_service(SPEC)

    assert errors == []
    assert bucket.attributes["acl_public"] is True
    assert bucket.attributes["policy_is_public"] is True
    assert bucket.attributes["policy"] == public
    assert bucket.attributes["secure_transport_enforced"] is False
    # S3 leaves unset flags out of the configuration: they are off.
    assert bucket.attributes["public_access_block"] == {
        "block_public_acls": True,
        "ignore_public_acls": False,
        "block_public_policy": False,
        "restrict_public_buckets": False,
    }


def test_aws_shapes_moto_does_not_produce(client: Any, aws: Any) -> None:
    """Legacy 'EU' location (moto refuses to create one) and MFA delete (moto ignores it)."""
    client("s3").create_bucket(Bucket="old-eu")

    def legacy_location(parsed: dict[str, Any], **_: Any) -> None:
        parsed["LocationConstraint"] = "EU"

    def mfa_delete(parsed: dict[str, Any], **_: Any) -> None:
        parsed.update({"Status": "Suspended", "MFADelete": "Enabled"})

    resources, ctx, made = run_with_hooks(
        aws,
        {"after-call.s3.GetBucketLocation": legacy_location, "after-call.s3.GetBucketVersioning": mfa_delete},
    )

    assert ctx.errors == []
    [bucket] = resources
    assert bucket.region == "eu-west-1"
    assert ("s3", "eu-west-1") in made
    assert (bucket.attributes["versioning"], bucket.attributes["mfa_delete"]) == ("Suspended", True)


def test_denied_read_is_absent_and_recorded(client: Any, aws: Any) -> None:
    client("s3").create_bucket(Bucket="locked")

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetBucketEncryption")

    resources, ctx, _ = run_with_hooks(aws, {"before-call.s3.GetBucketEncryption": deny})

    [bucket] = resources
    assert "encryption" not in bucket.attributes
    assert bucket.attributes["versioning"] == "Disabled"  # the other reads still happened
    assert "s3:GetBucketEncryption" not in bucket.source
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.operation, error.code) == (
        "arn:aws:s3:::locked",
        ("encryption",),
        "GetBucketEncryption",
        "AccessDenied",
    )
    assert error.resource_types == ("aws.s3.bucket",)


def test_unreadable_policy_leaves_policy_facts_absent(client: Any, aws: Any) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="guarded")
    s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps(secure_transport_policy("guarded")))

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetBucketPolicy")

    [bucket], ctx, _ = run_with_hooks(aws, {"before-call.s3.GetBucketPolicy": deny})

    assert not {"policy", "secure_transport_enforced"} & set(bucket.attributes)
    # The policy-status verdict is S3's own and still readable without the document.
    assert bucket.attributes["policy_is_public"] is False
    [error] = ctx.errors
    assert error.attributes == ("policy", "secure_transport_enforced")


def test_unreadable_tags_are_recorded_not_taken_as_none(client: Any, aws: Any) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="tagged")
    s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": [{"Key": "pci", "Value": "cde"}]})

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetBucketTagging")

    [bucket], ctx, _ = run_with_hooks(aws, {"before-call.s3.GetBucketTagging": deny})

    assert bucket.tags == {}
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == ("arn:aws:s3:::tagged", ("tags",))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, True),
        ({"Principal": {"AWS": ["*"]}}, True),
        ({"Action": ["s3:GetObject", "*"]}, True),
        ({"Resource": "arn:aws:s3:::cards*"}, True),
        ({"Resource": "*"}, True),
        ({"Condition": {"Bool": {"aws:securetransport": False}}}, True),
        ({"Condition": {"BoolIfExists": {"aws:SecureTransport": ["false"]}}}, True),
        ({"Effect": "Allow"}, False),
        ({"Action": "s3:GetObject"}, False),
        ({"Principal": {"AWS": "arn:aws:iam::123456789012:root"}}, False),
        ({"Resource": "arn:aws:s3:::other/*"}, False),
        ({"Resource": "arn:aws:s3:::cards"}, False),  # the bucket, not its objects
        ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
        ({"Condition": {"StringEquals": {"aws:SecureTransport": "false"}}}, False),
        ({"Condition": None}, False),
    ],
)
def test_secure_transport_detection(change: dict[str, Any], expected: bool) -> None:
    policy = secure_transport_policy("cards")
    policy["Statement"][0].update(change)
    assert denies_insecure_transport(policy, "arn:aws:s3:::cards") is expected


def test_no_statement_means_not_enforced() -> None:
    assert denies_insecure_transport({"Version": "2012-10-17"}, "arn:aws:s3:::x") is False


def test_permissions_cover_every_call(client: Any, run_service: Any) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="perms")
    s3.put_bucket_policy(Bucket="perms", Policy=json.dumps(secure_transport_policy("perms")))

    _, errors, calls = run_service(SPEC)

    assert errors == []
    # Every call is permitted, under its IAM name where that differs, and every permission is exercised.
    granted = {SPEC.renamed_actions.get(("s3", call.split(":", 1)[1]), call) for call in calls}
    assert granted == set(SPEC.permissions)
    assert "s3:ListAllMyBuckets" in SPEC.permissions
    assert "s3:GetEncryptionConfiguration" in SPEC.permissions
    assert "s3:GetBucketPublicAccessBlock" in SPEC.permissions
    assert {"s3:GetReplicationConfiguration", "s3:GetLifecycleConfiguration"} <= set(SPEC.permissions)


def test_creation_date_is_iso_utc(client: Any, run_service: Any) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    client("s3").create_bucket(Bucket="dated")
    [bucket], _, _ = run_service(SPEC)
    created = datetime.strptime(bucket.attributes["creation_date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((created - before).total_seconds()) < 60

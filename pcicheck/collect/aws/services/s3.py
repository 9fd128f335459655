"""S3 buckets (aws.s3.bucket).

S3's listing is global but every bucket lives in one region, and S3 answers a bucket's
configuration calls only from that region's endpoint; so the bucket is listed once, located,
and then read through a client for its own region.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ResourceReads,
    ServiceSpec,
    iso,
    tag_map,
)
from pcicheck.iampolicy import as_list
from pcicheck.model import CollectionError, Resource, resource_type

TYPE = resource_type(
    "aws.s3.bucket",
    "S3 bucket",
    creation_date="timestamp?",
    encryption="map?: {algorithm ('AES256'|'aws:kms'|'aws:kms:dsse'|'aws:fsx'|'aws:backup'), kms_key_id (string|null), "
    "bucket_key_enabled}; null when no default encryption is configured",
    public_access_block="map?: {block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets}",
    policy="map?: the bucket policy document",
    policy_is_public="bool: S3's own policy-status verdict; false when no policy",
    secure_transport_enforced="bool: policy denies requests with aws:SecureTransport=false",
    acl_public="bool: the ACL grants AllUsers or AuthenticatedUsers",
    versioning="string: 'Enabled'|'Suspended'|'Disabled'",
    mfa_delete="bool",
    logging_target="string?: target bucket name; null when server access logging is off",
    replication="list?: rules {id (string|null), enabled (bool), whole_bucket (bool: no prefix, tag or size "
    "filter), destination_bucket (bucket ARN), destination_account (account id|null)}; null when the bucket has no "
    "replication configuration",
    lifecycle="list?: rules {id (string|null), enabled (bool), whole_bucket (bool: no prefix, tag or size filter), "
    "expiration_days (int|null: current objects expire after N days), noncurrent_expiration_days (int|null)}; null "
    "when the bucket has no lifecycle configuration",
)

# IAM authorises these S3 operations under another name than the API's (see policy.iam_action).
RENAMED_ACTIONS: dict[tuple[str, str], str] = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
}

_PUBLIC_GRANTEES = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)

# GetBucketLocation predates most regions: us-east-1 answers null and the oldest EU buckets "EU".
_LEGACY_LOCATIONS = {"EU": "eu-west-1"}


def collect(ctx: CollectContext) -> Iterator[Resource]:
    s3 = ctx.client()
    for bucket in ctx.pages(s3, "list_buckets", "Buckets"):
        yield _bucket(ctx, s3, bucket)


def _bucket(ctx: CollectContext, s3: Any, bucket: dict[str, Any]) -> Resource:
    name = str(bucket["Name"])
    uid = f"arn:{ctx.partition}:s3:::{name}"
    reads = ResourceReads(ctx, uid, TYPE.name, {ctx.action(s3, "list_buckets")})

    location = reads.get(s3, "get_bucket_location", (), Bucket=name)
    if location is FAILED:
        # botocore follows S3's region redirects, so the reads below still land; only the
        # resource's region is then a best guess, and the recorded error says so.
        region = str(bucket.get("BucketRegion") or ctx.region)
    else:
        region = _region(location.get("LocationConstraint"), ctx)
    regional = ctx.client("s3", region)
    # From here on the bucket's reads go to its own region, and so do their errors.
    reads.region = region

    attributes: dict[str, Any] = {"creation_date": iso(bucket.get("CreationDate"))}

    enc = reads.get(
        regional,
        "get_bucket_encryption",
        ("encryption",),
        absent=("ServerSideEncryptionConfigurationNotFoundError",),
        Bucket=name,
    )
    attributes["encryption"] = enc if enc is FAILED else _encryption(enc)

    pab = reads.get(
        regional,
        "get_public_access_block",
        ("public_access_block",),
        absent=("NoSuchPublicAccessBlockConfiguration",),
        Bucket=name,
    )
    attributes["public_access_block"] = pab if pab is FAILED else public_access_block(pab)

    policy = _policy(ctx, reads, regional, name)
    attributes["policy"] = policy
    attributes["secure_transport_enforced"] = (
        FAILED if policy is FAILED else policy is not None and denies_insecure_transport(policy, uid)
    )
    if policy is None:
        # No policy means nothing for S3 to judge public; asking would only return NoSuchBucketPolicy.
        attributes["policy_is_public"] = False
    else:
        status = reads.get(
            regional,
            "get_bucket_policy_status",
            ("policy_is_public",),
            absent=("NoSuchBucketPolicy",),
            Bucket=name,
        )
        verdict = ((status or {}).get("PolicyStatus") or {}).get("IsPublic") if status is not FAILED else None
        if status is FAILED or status is None:
            # NoSuchBucketPolicy after GetBucketPolicy found one: deleted in between, nothing left to judge.
            attributes["policy_is_public"] = status if status is FAILED else False
        elif isinstance(verdict, bool):
            attributes["policy_is_public"] = verdict
        else:  # S3's verdict left out: unknown, not "not public"
            attributes["policy_is_public"] = reads.missing(
                regional, "get_bucket_policy_status", "PolicyStatus.IsPublic", ("policy_is_public",)
            )

    acl = reads.get(regional, "get_bucket_acl", ("acl_public",), Bucket=name)
    attributes["acl_public"] = acl if acl is FAILED else _acl_public(acl)

    versioning = reads.get(regional, "get_bucket_versioning", ("versioning", "mfa_delete"), Bucket=name)
    if versioning is FAILED:
        attributes["versioning"] = attributes["mfa_delete"] = FAILED
    else:
        attributes["versioning"] = versioning.get("Status") or "Disabled"
        attributes["mfa_delete"] = versioning.get("MFADelete") == "Enabled"

    logging = reads.get(regional, "get_bucket_logging", ("logging_target",), Bucket=name)
    attributes["logging_target"] = (
        logging if logging is FAILED else (logging.get("LoggingEnabled") or {}).get("TargetBucket")
    )

    replication = reads.get(
        regional,
        "get_bucket_replication",
        ("replication",),
        absent=("ReplicationConfigurationNotFoundError",),
        Bucket=name,
    )
    attributes["replication"] = replication if replication is FAILED else _replication(replication)

    lifecycle = reads.get(
        regional,
        "get_bucket_lifecycle_configuration",
        ("lifecycle",),
        absent=("NoSuchLifecycleConfiguration",),
        Bucket=name,
    )
    attributes["lifecycle"] = lifecycle if lifecycle is FAILED else _lifecycle(lifecycle)

    # Tags decide CDE scope and tenancy, so an unreadable tag set is recorded, not taken as none.
    tagging = reads.get(regional, "get_bucket_tagging", ("tags",), absent=("NoSuchTagSet",), Bucket=name)
    tags = {} if not tagging else tag_map(tagging.get("TagSet"))

    return reads.resource(name, attributes, tags, region=region)


def _region(constraint: str | None, ctx: CollectContext) -> str:
    if not constraint:
        # A null constraint is the partition's first region; only the commercial one is known here.
        return "us-east-1" if ctx.partition == "aws" else ctx.region
    return _LEGACY_LOCATIONS.get(constraint, constraint)


def _encryption(response: dict[str, Any] | None) -> dict[str, Any] | None:
    if response is None:
        return None
    rules = (response.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault")
        if default:
            return {
                "algorithm": default.get("SSEAlgorithm"),
                "kms_key_id": default.get("KMSMasterKeyID") or None,
                "bucket_key_enabled": bool(rule.get("BucketKeyEnabled", False)),
            }
    return None


def _whole_bucket(rule: dict[str, Any]) -> bool:
    """A replication or lifecycle rule applies to every object only when nothing narrows it: no key
    prefix (the legacy top-level one or the filter's), no tag and no object-size bound."""
    if rule.get("Prefix"):
        return False
    filt = rule.get("Filter") or {}
    for part in (filt, filt.get("And") or {}):
        if part.get("Prefix") or part.get("Tag") or part.get("Tags"):
            return False
        if part.get("ObjectSizeGreaterThan") is not None or part.get("ObjectSizeLessThan") is not None:
            return False
    return True


def _replication(response: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    if response is None:
        return None
    rules = (response.get("ReplicationConfiguration") or {}).get("Rules") or []
    return [
        {
            "id": rule.get("ID") or None,
            "enabled": rule.get("Status") == "Enabled",
            "whole_bucket": _whole_bucket(rule),
            "destination_bucket": (rule.get("Destination") or {}).get("Bucket") or None,
            "destination_account": (rule.get("Destination") or {}).get("Account") or None,
        }
        for rule in rules
    ]


def _days(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and value > 0 else None


def _lifecycle(response: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    if response is None:
        return None
    return [
        {
            "id": rule.get("ID") or None,
            "enabled": rule.get("Status") == "Enabled",
            "whole_bucket": _whole_bucket(rule),
            # A date-based expiration is a one-off cut-off, not a retention period: it is not recorded.
            "expiration_days": _days((rule.get("Expiration") or {}).get("Days")),
            "noncurrent_expiration_days": _days((rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays")),
        }
        for rule in response.get("Rules") or ()
    ]


def public_access_block(response: dict[str, Any] | None) -> dict[str, bool] | None:
    """GetPublicAccessBlock (bucket or account) → the contract's map; a flag S3 leaves out is off."""
    if response is None:
        return None
    conf = response.get("PublicAccessBlockConfiguration") or {}
    return {
        "block_public_acls": bool(conf.get("BlockPublicAcls", False)),
        "ignore_public_acls": bool(conf.get("IgnorePublicAcls", False)),
        "block_public_policy": bool(conf.get("BlockPublicPolicy", False)),
        "restrict_public_buckets": bool(conf.get("RestrictPublicBuckets", False)),
    }


def _policy(ctx: CollectContext, reads: ResourceReads, client: Any, bucket: str) -> Any:
    response = reads.get(
        client,
        "get_bucket_policy",
        ("policy", "secure_transport_enforced"),
        absent=("NoSuchBucketPolicy",),
        Bucket=bucket,
    )
    if response is None or response is FAILED:
        return response
    try:
        document = json.loads(response["Policy"])
    except (KeyError, TypeError, ValueError) as exc:
        # S3 only stores valid JSON, so this is a broken response; guessing would hide it.
        ctx.errors.append(
            CollectionError(
                provider="aws",
                account=ctx.account,
                region=ctx.region if reads.region is None else reads.region,
                service=ctx.spec.name,
                operation="GetBucketPolicy",
                code="InvalidPolicyDocument",
                message=f"policy is not a JSON document: {type(exc).__name__}",
                resource_types=(TYPE.name,),
                resource_uid=reads.uid,
                attributes=("policy", "secure_transport_enforced"),
            )
        )
        return FAILED
    return document if isinstance(document, dict) else FAILED


def _acl_public(response: dict[str, Any]) -> bool:
    return any((grant.get("Grantee") or {}).get("URI") in _PUBLIC_GRANTEES for grant in response.get("Grants") or ())


def _wildcard_match(pattern: str, value: str) -> bool:
    """IAM resource wildcards: '*' any run of characters, '?' one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))


def _insecure_transport_condition(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, clauses in condition.items():
        if str(operator).lower() not in ("bool", "boolifexists") or not isinstance(clauses, dict):
            continue
        for key, values in clauses.items():
            # Condition keys are case-insensitive in IAM; values may be strings, booleans or lists.
            if str(key).lower() == "aws:securetransport" and any(str(v).lower() == "false" for v in as_list(values)):
                return True
    return False


def denies_insecure_transport(policy: dict[str, Any], bucket_arn: str) -> bool:
    """True when a statement denies every principal all S3 actions on the bucket's objects over
    plain HTTP. Narrower statements (one principal, some actions, another bucket) do not count:
    they leave other requests able to travel unencrypted."""
    for statement in as_list(policy.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        actions = {str(a).lower() for a in as_list(statement.get("Action"))}
        if not actions & {"s3:*", "*"}:
            continue
        if not _everyone(statement.get("Principal")):
            continue
        resources = [str(r) for r in as_list(statement.get("Resource"))]
        if not any(_wildcard_match(r, f"{bucket_arn}/object") for r in resources):
            continue
        if _insecure_transport_condition(statement.get("Condition")):
            return True
    return False


SPEC = ServiceSpec(
    name="s3",
    client="s3",
    regional=False,
    types=(TYPE,),
    permissions=(
        "s3:GetBucketAcl",
        "s3:GetBucketLocation",
        "s3:GetBucketLogging",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketTagging",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:ListAllMyBuckets",
    ),
    collect=collect,
    renamed_actions=RENAMED_ACTIONS,
)

"""Who reaches across a pooled bucket's tenant prefixes (analyze/pooled_buckets.py), and CEL's glob()."""

from __future__ import annotations

from typing import Any

import pytest

from pcicheck.analyze.pooled_buckets import (
    bucket_policy_principals,
    pooled_bucket_facts,
    spans_prefixes,
    statement_grants,
    wide_entries,
)
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import glob
from pcicheck.model import Resource

ACCOUNT = "123456789012"
POOL = "arn:aws:s3:::pool"
VAR = "${aws:PrincipalTag/tenant}"


def _wide(statement: dict[str, Any], bucket: str = POOL) -> list[str]:
    """The access kinds ("list", "object") one Allow statement gives across the bucket's prefixes."""
    grant = statement_grants(
        {"Effect": "Allow", **statement}, "tenant", principal="p", name="p", via="role-policy", policy="x", index=0
    )
    if grant is None:
        return []
    [entry] = wide_entries(grant, bucket, "tenant") or [{"access": []}]
    return list(entry["access"])


@pytest.mark.parametrize(
    ("pattern", "wide"),
    [
        ("arn:aws:s3:::pool/*", True),
        ("*", True),
        ("arn:aws:s3:::*", True),
        ("arn:aws:s3:::po*/*", True),
        ("arn:aws:s3:::pool/*.csv", True),
        ("arn:aws:s3:::pool/a*", True),
        ("arn:aws:s3:::pool/?cme/*", True),
        ("arn:aws:s3:::pool/*/invoices/*", True),
        ("arn:aws:s3:::pool/acme/*", False),  # one literal prefix
        ("arn:aws:s3:::pool/report.csv", False),
        ("arn:aws:s3:::pool", False),  # the bucket, not its objects
        ("arn:aws:s3:::pool-other/*", False),
        ("arn:aws:s3:::other/*", False),
    ],
)
def test_spans_prefixes(pattern: str, wide: bool) -> None:
    assert spans_prefixes(pattern, POOL) is wide


@pytest.mark.parametrize(
    "statement",
    [
        {"Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::pool/{VAR}/*"},
        {"Action": "s3:GetObject", "Resource": f"arn:aws:s3:::pool/tenants/{VAR}/*"},
        {
            "Action": "s3:ListBucket",
            "Resource": POOL,
            "Condition": {"StringLike": {"s3:prefix": [f"{VAR}/*", f"{VAR}"]}},
        },
        {
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::pool/*",
            "Condition": {"StringEquals": {"s3:ExistingObjectTag/tenant": VAR}},
        },
        {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::pool/acme/*"},
        {"Action": "s3:GetBucketLocation", "Resource": POOL},  # neither objects nor listing
        {"Action": "s3:*", "Resource": "arn:aws:s3:::other-bucket/*"},
        {"Action": "dynamodb:*", "Resource": "*"},
        {"NotAction": "s3:*", "Resource": "*"},
        {"Action": "s3:*", "NotResource": ["arn:aws:s3:::pool", "arn:aws:s3:::pool/*"]},
    ],
)
def test_statements_within_one_prefix(statement: dict[str, Any]) -> None:
    assert _wide(statement) == []


@pytest.mark.parametrize(
    ("statement", "access"),
    [
        ({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::pool/*"}, ["object"]),
        ({"Action": "s3:Delete*", "Resource": "*"}, ["object"]),
        ({"Action": "s3:ListBucket", "Resource": POOL}, ["list"]),
        ({"Action": "*", "Resource": "*"}, ["list", "object"]),
        ({"NotAction": "iam:*", "Resource": "*"}, ["list", "object"]),
        # One tenant-bound resource does not excuse a second, bucket-wide one in the same statement.
        ({"Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::pool/{VAR}/*", "arn:aws:s3:::pool/*"]}, ["object"]),
        # The tenant ARN for objects, but listing the bucket without an s3:prefix condition.
        ({"Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [POOL, f"arn:aws:s3:::pool/{VAR}/*"]}, ["list"]),
        # A resource-tag condition binds objects, but only s3:prefix narrows a listing.
        (
            {
                "Action": "s3:ListBucket",
                "Resource": POOL,
                "Condition": {"StringEquals": {"aws:ResourceTag/tenant": VAR}},
            },
            ["list"],
        ),
        # "" lets the caller list the top level: every tenant's prefix.
        (
            {
                "Action": "s3:ListBucket",
                "Resource": POOL,
                "Condition": {"StringLike": {"s3:prefix": ["", f"{VAR}/*"]}},
            },
            ["list"],
        ),
        # IfExists passes requests without a prefix (a listing of everything).
        (
            {
                "Action": "s3:ListBucket",
                "Resource": POOL,
                "Condition": {"StringLikeIfExists": {"s3:prefix": f"{VAR}/*"}},
            },
            ["list"],
        ),
        # A literal per-tenant prefix is not a binding to the caller's tenant for listing.
        ({"Action": "s3:ListBucket", "Resource": POOL, "Condition": {"StringLike": {"s3:prefix": "acme/*"}}}, ["list"]),
        # Everything but the caller's own prefix is every other tenant's data.
        ({"Action": "s3:GetObject", "NotResource": f"arn:aws:s3:::pool/{VAR}/*"}, ["object"]),
    ],
)
def test_statements_across_prefixes(statement: dict[str, Any], access: list[str]) -> None:
    assert _wide(statement) == access


def test_deny_grants_nothing() -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert statement_grants(deny, "tenant", principal="p", name="p", via="v", policy="x", index=0) is None


def test_the_configured_tenant_tag_is_the_one_that_binds() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::pool/{VAR}/*"}
    grant = statement_grants(statement, "customer", principal="p", name="p", via="v", policy="x", index=0)
    assert grant is not None and wide_entries(grant, POOL, "customer") == []  # literal text, not a variable


def test_bucket_policy_principals() -> None:
    def principals(principal: Any, key: str = "Principal") -> list[str]:
        return bucket_policy_principals({"Effect": "Allow", key: principal}, ACCOUNT)

    assert principals("*") == ["*"]
    assert principals({"AWS": "x"}, key="NotPrincipal") == ["*"]
    # The bucket's own account only delegates to IAM, whose roles are judged one by one.
    assert principals({"AWS": [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws-cn:iam::{ACCOUNT}:root"]}) == []
    assert principals({"AWS": ["arn:aws:iam::210987654321:root", f"arn:aws:iam::{ACCOUNT}:role/etl"]}) == [
        f"arn:aws:iam::{ACCOUNT}:role/etl",
        "arn:aws:iam::210987654321:root",
    ]
    assert principals({"Service": "cloudtrail.amazonaws.com"}) == ["cloudtrail.amazonaws.com"]


def _bucket(policy: Any = None, *, read: bool = True, tags: dict[str, str] | None = None) -> Resource:
    return Resource(
        uid=POOL,
        type="aws.s3.bucket",
        provider="aws",
        account=ACCOUNT,
        region="us-east-1",
        name="pool",
        tags={"tenancy": "pooled"} if tags is None else tags,
        attributes={"policy": policy} if read else {},
    )


def _role(name: str, inline: list[dict[str, Any]] | None, *, path: str = "/", **attrs: Any) -> Resource:
    arn = f"arn:aws:iam::{attrs.pop('account', ACCOUNT)}:role{path}{name}"
    attributes: dict[str, Any] = {"role_name": name, "arn": arn, "path": path, "attached_policies": [], **attrs}
    if inline is not None:
        attributes["inline_policies"] = [{"name": "p", "document": {"Statement": inline}}]
    return Resource(
        uid=arn,
        type="aws.iam.role",
        provider="aws",
        account=arn.split(":")[4],
        region="",
        name=name,
        tags={},
        attributes=attributes,
    )


S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
EVERYTHING = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]


def test_facts_list_roles_bucket_policy_and_aws_managed_policies() -> None:
    policy = {
        "Statement": [
            {
                "Sid": "Partner",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::pool/*",
            }
        ]
    }
    resources = [
        _bucket(policy),
        _role("admin", EVERYTHING),
        _role("etl", [], attached_policies=[S3_READ_ONLY]),
        # AWS owns service-linked roles' policies; a role of another account needs the bucket policy.
        _role("AWSServiceRoleForX", EVERYTHING, path="/aws-service-role/x.amazonaws.com/"),
        _role("foreign", EVERYTHING, account="210987654321"),
    ]
    facts = pooled_bucket_facts(resources, ScopeConfig())[POOL]

    assert (facts["pooled"], facts["pooled_unjudged_policies"]) == (True, [])
    rows = [(e["principal"], e["via"], e["policy"], e["statement"], e["access"]) for e in facts["pooled_wide_access"]]
    assert rows == [
        (f"arn:aws:iam::{ACCOUNT}:role/admin", "role-policy", "inline:p", "0", ["list", "object"]),
        (f"arn:aws:iam::{ACCOUNT}:role/etl", "aws-managed-policy", S3_READ_ONLY, "", ["unknown"]),
        ("arn:aws:iam::210987654321:root", "bucket-policy", "bucket policy", "Partner", ["object"]),
    ]  # fmt: skip
    assert [e["name"] for e in facts["pooled_wide_access"]] == ["admin", "etl", "arn:aws:iam::210987654321:root"]


def test_nothing_unread_may_pass() -> None:
    resources = [_bucket(None), _role("worker", None), _role("other", [], attached_policies=["arn:x:policy/gone"])]
    facts = pooled_bucket_facts(resources, ScopeConfig())[POOL]
    assert "pooled_wide_access" not in facts
    assert facts["pooled_unjudged_policies"] == [
        {
            "principal": "arn:aws:iam::123456789012:role/worker",
            "policy": "inline",
            "reason": "the role's inline policies were not read",
        },
        {
            "principal": "arn:aws:iam::123456789012:role/other",
            "policy": "arn:x:policy/gone",
            "reason": "not in the snapshot",
        },
    ]

    unread_bucket_policy = pooled_bucket_facts([_bucket(read=False)], ScopeConfig())[POOL]
    assert "pooled_wide_access" not in unread_bucket_policy
    assert [u["policy"] for u in unread_bucket_policy["pooled_unjudged_policies"]] == ["bucket policy"]
    # No policy at all (null) is read, and grants nothing.
    assert pooled_bucket_facts([_bucket(None)], ScopeConfig())[POOL]["pooled_wide_access"] == []


@pytest.mark.parametrize(
    ("text", "pattern", "matches"),
    [
        ("arn:aws:iam::123456789012:role/ops/admin", "arn:aws:iam::*:role/ops/*", True),
        ("arn:aws:iam::123456789012:role/ops/admin", "arn:aws:iam::*:role/dev/*", False),
        ("platform-admin", "platform-admin", True),
        ("platform-admin", "Platform-Admin", False),  # role names are matched exactly
        ("role+x", "role+x", True),  # IAM names may hold regex metacharacters
        ("a[1]", "a[1]", True),  # '[' is no character class
        ("a1", "a[1]", False),
        ("ab", "a?", True),
    ],
)
def test_cel_glob(text: str, pattern: str, matches: bool) -> None:
    assert glob(text, pattern) is matches


def test_only_buckets_tagged_as_configured_are_pooled() -> None:
    everyone = [_role("admin", EVERYTHING)]
    assert pooled_bucket_facts([_bucket(tags={"tenant": "acme"}), *everyone], ScopeConfig())[POOL] == {"pooled": False}
    assert pooled_bucket_facts([_bucket(tags={"tenancy": "Pooled"}), *everyone], ScopeConfig())[POOL] == {
        "pooled": False
    }
    custom = ScopeConfig(pooled_tag="storage", pooled_value="shared")
    assert pooled_bucket_facts([_bucket(), *everyone], custom)[POOL] == {"pooled": False}
    facts = pooled_bucket_facts([_bucket(tags={"storage": "shared"}), *everyone], custom)[POOL]
    assert facts["pooled"] is True and [e["name"] for e in facts["pooled_wide_access"]] == ["admin"]
    assert pooled_bucket_facts(everyone, ScopeConfig()) == {}

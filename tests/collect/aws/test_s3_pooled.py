"""Pooled-bucket tenant prefix isolation end to end against the moto server: the S3, IAM policy and
IAM role collectors, the analyze stage's pooled_* facts, and the control's verdict per bucket."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.collect.aws.services import iam, iam_roles, s3
from pcicheck.config import ScopeConfig, load_config
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import CollectionError, Control, Result, Status
from tests.collect.aws.test_iam import ACCOUNT, deny, run_with_hooks

CONTROL = "aws-s3-pooled-bucket-tenant-prefix-isolation"
VAR = "${aws:PrincipalTag/tenant}"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def seed(client: Any) -> None:
    """Two pooled buckets and a tenant's own bucket; roles of every kind the control must tell apart."""
    s3c = client("s3")
    for name, tags in (
        ("pool-clean", {"tenancy": "pooled"}),
        ("pool-leaky", {"tenancy": "pooled"}),
        ("acme-private", {"tenant": "acme"}),
    ):
        s3c.create_bucket(Bucket=name)
        s3c.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    s3c.put_bucket_policy(
        Bucket="pool-clean",
        Policy=document(
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn("pool-clean"), bucket_arn("pool-clean") + "/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
    )

    c = client("iam")

    def role(name: str, inline: dict[str, str] | None = None, attached: tuple[str, ...] = ()) -> None:
        c.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
        for policy, body in (inline or {}).items():
            c.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=body)
        for arn in attached:
            c.attach_role_policy(RoleName=name, PolicyArn=arn)

    # The tenant workload: objects under its own prefix, listing only its own prefix, in both pools.
    tenant_objects = c.create_policy(
        PolicyName="tenant-objects",
        PolicyDocument=document(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"arn:aws:s3:::pool-clean/{VAR}/*", f"arn:aws:s3:::pool-leaky/{VAR}/*"],
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": ["arn:aws:s3:::pool-clean", "arn:aws:s3:::pool-leaky"],
                "Condition": {"StringLike": {"s3:prefix": f"{VAR}/*"}},
            },
        ),
    )["Policy"]["Arn"]
    role("tenant-worker", attached=(tenant_objects,))
    # The platform admin: everything in S3, allowed by name in the control's params.
    role("platform-admin", inline={"all": document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})})
    # A report job reading every tenant's objects of the leaky pool (and its tenant's own bucket).
    role(
        "reporting",
        inline={
            "read": document(
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::pool-leaky/*"]},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::acme-private/*"]},
            )
        },
    )
    # A browser listing the leaky pool without an s3:prefix condition: every tenant's keys.
    role(
        "browser",
        inline={
            "list": document({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::pool-leaky"})
        },
    )


def collect(run_service: Any) -> tuple[list[Any], list[Any]]:
    resources: list[Any] = []
    errors: list[Any] = []
    for spec in (s3.SPEC, iam.SPEC, iam_roles.SPEC):
        found, errs, _ = run_service(spec)
        resources += found
        errors += errs
    return resources, errors


def control() -> Control:
    [found] = [c for c in load_catalog().controls if c.id == CONTROL]
    return found


def verdicts(resources: list[Any], errors: list[Any], params: dict[str, Any]) -> dict[str, Result]:
    estate = analyze(resources, ScopeConfig())
    results = Evaluator([control()], {CONTROL: params}).evaluate(estate, errors, NOW)
    return {r.resource["uid"]: r for r in results}


def test_pooled_buckets_pass_or_fail_by_who_reaches_across_prefixes(client: Any, run_service: Any) -> None:
    seed(client)
    resources, errors = collect(run_service)
    assert errors == []

    facts = analyze(resources, ScopeConfig()).facts
    clean = facts[bucket_arn("pool-clean")]
    assert clean["pooled_unjudged_policies"] == []
    # Only the admin reaches across the clean pool; the tenant role is bound by ${aws:PrincipalTag}.
    assert [(e["principal"], e["access"]) for e in clean["pooled_wide_access"]] == [
        (role_arn("platform-admin"), ["list", "object"])
    ]
    leaky = facts[bucket_arn("pool-leaky")]["pooled_wide_access"]
    assert [(e["name"], e["via"], e["access"], e["actions"]) for e in leaky] == [
        ("browser", "role-policy", ["list"], ["s3:ListBucket"]),
        ("platform-admin", "role-policy", ["list", "object"], ["s3:DeleteObject", "s3:DeleteObjectVersion",
         "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions", "s3:PutObject"]),
        ("reporting", "role-policy", ["object"], ["s3:GetObject"]),
    ]  # fmt: skip
    assert leaky[2]["resources"] == ["arn:aws:s3:::pool-leaky/*"]

    judged = verdicts(resources, errors, {"platform_admin_roles": ["platform-admin"]})
    assert judged[bucket_arn("pool-clean")].status == Status.PASS
    leaky_result = judged[bucket_arn("pool-leaky")]
    assert leaky_result.status == Status.FAIL
    offenders = {e["name"] for e in leaky_result.evidence["facts.pooled_wide_access"]}
    assert offenders == {"browser", "platform-admin", "reporting"}
    # Not tagged as pooled: a tenant's own bucket is out of this control.
    assert judged[bucket_arn("acme-private")].status == Status.NOT_APPLICABLE

    # Without naming the admin, its bucket-wide access fails the clean pool too.
    assert verdicts(resources, errors, {})[bucket_arn("pool-clean")].status == Status.FAIL


def test_unreadable_role_policy_or_bucket_policy_is_error(client: Any, aws: Any) -> None:
    seed(client)
    buckets, bucket_ctx = run_with_hooks(
        aws,
        s3.SPEC,
        {
            "before-parameter-build.s3.GetBucketPolicy": deny("GetBucketPolicy", Bucket="pool-clean"),
            # Without its tags nobody can tell whether acme-private is pooled: error, not out of scope.
            "before-parameter-build.s3.GetBucketTagging": deny("GetBucketTagging", Bucket="acme-private"),
        },
    )
    policies, policy_ctx = run_with_hooks(aws, iam.SPEC)
    roles, role_ctx = run_with_hooks(
        aws, iam_roles.SPEC, {"before-parameter-build.iam.GetRolePolicy": deny("GetRolePolicy", RoleName="browser")}
    )
    errors = [*bucket_ctx.errors, *policy_ctx.errors, *role_ctx.errors]
    assert {(e.operation, e.resource_uid) for e in errors} == {
        ("GetBucketPolicy", bucket_arn("pool-clean")),
        ("GetBucketTagging", bucket_arn("acme-private")),
        ("GetRolePolicy", role_arn("browser")),
    }  # fmt: skip

    facts = analyze([*buckets, *policies, *roles], ScopeConfig()).facts[bucket_arn("pool-leaky")]
    assert "pooled_wide_access" not in facts
    assert facts["pooled_unjudged_policies"] == [
        {"principal": role_arn("browser"), "policy": "inline", "reason": "the role's inline policies were not read"}
    ]
    judged = verdicts([*buckets, *policies, *roles], errors, {"platform_admin_roles": ["platform-admin"]})
    # The browser's unread inline policy could be the one granting the whole bucket: never a pass.
    assert {judged[bucket_arn(b)].status for b in ("pool-clean", "pool-leaky", "acme-private")} == {Status.ERROR}
    assert judged[bucket_arn("acme-private")].message.startswith("scope unknown, tags could not be read")


def test_failed_role_listing_makes_pooled_buckets_error(client: Any, run_service: Any) -> None:
    seed(client)
    buckets, _, _ = run_service(s3.SPEC)
    policies, _, _ = run_service(iam.SPEC)
    # What the runner records when ListRoles is refused: no roles, and a listing error for the type.
    listing = CollectionError(
        provider="aws",
        account=ACCOUNT,
        region="",
        service="iam.roles",
        operation="ListRoles",
        code="AccessDenied",
        message="not authorized",
        resource_types=(iam_roles.TYPE.name,),
    )

    judged = verdicts([*buckets, *policies], [listing], {"platform_admin_roles": ["platform-admin"]})
    # No roles were listed, so "nobody reaches across" is unknown, not true.
    result = judged[bucket_arn("pool-clean")]
    assert (result.status, result.message) == (Status.ERROR, f"could not be read: {listing.cause}")


def test_pooled_tag_comes_from_pcicheck_yaml(client: Any, run_service: Any, tmp_path: Any) -> None:
    seed(client)
    client("s3").put_bucket_tagging(Bucket="acme-private", Tagging={"TagSet": [{"Key": "storage", "Value": "shared"}]})
    resources, _ = collect(run_service)
    path = tmp_path / "pcicheck.yaml"
    path.write_text("scope:\n  pooled: {tag: storage, value: shared}\n")
    scope = load_config(path).scope

    facts = analyze(resources, scope).facts
    assert {uid: f["pooled"] for uid, f in facts.items() if uid.startswith("arn:aws:s3:::")} == {
        bucket_arn("pool-clean"): False,
        bucket_arn("pool-leaky"): False,
        bucket_arn("acme-private"): True,
    }
    # The report job reads all of acme-private: as a pooled bucket, that is every tenant's data.
    wide = facts[bucket_arn("acme-private")]["pooled_wide_access"]
    assert [(e["name"], e["access"]) for e in wide] == [
        ("platform-admin", ["list", "object"]),
        ("reporting", ["object"]),
    ]

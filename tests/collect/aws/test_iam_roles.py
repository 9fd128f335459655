"""IAM roles collector against the moto server: trust policies with and without sts:TagSession,
inline and attached policies, tags, and a refused GetRolePolicy leaving the inline policies unknown."""

from __future__ import annotations

import json
from typing import Any

from pcicheck.analyze.estate import analyze
from pcicheck.collect.aws.services import iam
from pcicheck.collect.aws.services.iam_roles import SPEC, allows_tag_session, trust_principals
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types
from pcicheck.config import ScopeConfig
from tests.collect.aws.test_iam import ACCOUNT, by_uid, deny, policy_arn, run_with_hooks

VENDOR = f"arn:aws:iam::{ACCOUNT}:role/token-vendor"
TAGGED_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": VENDOR},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:RequestTag/tenant": "${aws:PrincipalTag/tenant}"}},
        }
    ],
}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
TENANT_TABLES = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/tenant": "${aws:PrincipalTag/tenant}"}},
        }
    ],
}
POOL_OBJECTS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pool/*"}],
}


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def seed(client: Any) -> str:
    c = client("iam")
    c.create_role(
        RoleName="acme-worker",
        AssumeRolePolicyDocument=json.dumps(TAGGED_TRUST),
        Tags=[{"Key": "tenant", "Value": "acme"}, {"Key": "Name", "Value": "Acme worker"}],
    )
    c.put_role_policy(RoleName="acme-worker", PolicyName="tables", PolicyDocument=json.dumps(TENANT_TABLES))
    pool = c.create_policy(PolicyName="pool-objects", PolicyDocument=json.dumps(POOL_OBJECTS))["Policy"]["Arn"]
    c.attach_role_policy(RoleName="acme-worker", PolicyArn=pool)
    c.create_role(RoleName="platform", Path="/ops/", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    return str(pool)


def test_roles(client: Any, run_service: Any) -> None:
    pool = seed(client)

    resources, errors, calls = run_service(SPEC)

    assert errors == []
    found = by_uid(resources)
    assert set(found) == {role_arn("acme-worker"), f"arn:aws:iam::{ACCOUNT}:role/ops/platform"}
    worker = found[role_arn("acme-worker")]
    assert (worker.type, worker.region, worker.name) == ("aws.iam.role", "", "Acme worker")
    assert worker.tags == {"tenant": "acme", "Name": "Acme worker"}
    assert set(worker.attributes) == set(resource_types()["aws.iam.role"].attributes)
    assert violations(worker) == []  # kinds and nullability as declared
    attrs = worker.attributes
    assert (attrs["role_name"], attrs["path"], attrs["trust_policy"]) == ("acme-worker", "/", TAGGED_TRUST)
    assert (attrs["trust_principals"], attrs["trust_allows_tag_session"]) == ([f"AWS:{VENDOR}"], True)
    assert attrs["inline_policies"] == [{"name": "tables", "document": TENANT_TABLES}]
    assert attrs["attached_policies"] == [pool]
    assert worker.source == (
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:ListRoleTags",
        "iam:ListRoles",
    )

    platform = found[f"arn:aws:iam::{ACCOUNT}:role/ops/platform"].attributes
    assert (platform["path"], platform["trust_allows_tag_session"]) == ("/ops/", False)
    assert platform["trust_principals"] == ["Service:lambda.amazonaws.com"]
    assert (platform["inline_policies"], platform["attached_policies"]) == ([], [])
    assert set(calls) == set(SPEC.permissions)
    assert "iam:GetPolicyVersion" not in calls  # managed documents come from the iam collector


def test_abac_facts_join_the_iam_collectors_policies(client: Any, run_service: Any) -> None:
    pool = seed(client)
    roles, role_errors, _ = run_service(SPEC)
    policies, policy_errors, _ = run_service(iam.SPEC)
    assert role_errors == policy_errors == []

    facts = analyze([*roles, *policies], ScopeConfig()).facts[role_arn("acme-worker")]

    assert facts["tenant"] == "acme"
    assert facts["tag_session_tenant_bound"] is True
    assert facts["abac_unjudged_policies"] == []
    assert facts["abac_aws_managed_policies"] == []
    # The inline statement is bound by its tag condition; the attached one reads the whole pool.
    assert facts["abac_unscoped_statements"] == [
        {
            "policy": pool,
            "statement": "0",
            "actions": ["s3:GetObject"],
            "not_actions": [],
            "resources": ["arn:aws:s3:::pool/*"],
        }
    ]


def test_get_role_policy_denied(client: Any, aws: Any) -> None:
    seed(client)

    resources, ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.iam.GetRolePolicy": deny("GetRolePolicy")})

    worker = by_uid(resources)[role_arn("acme-worker")]
    assert "inline_policies" not in worker.attributes
    assert worker.attributes["attached_policies"] == [policy_arn("pool-objects")]
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.code) == (worker.uid, ("inline_policies",), "AccessDenied")
    # Unknown inline policies leave the ABAC verdict unknown rather than "nothing unscoped".
    facts = analyze(resources, ScopeConfig()).facts[worker.uid]
    assert "abac_unscoped_statements" not in facts
    assert {"policy": "inline", "reason": "the role's inline policies were not read"} in facts["abac_unjudged_policies"]


def test_trust_normalization() -> None:
    anyone = {"Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "sts:AssumeRoleWithSAML"}]}
    assert (trust_principals(anyone), allows_tag_session(anyone)) == (["*"], True)
    denied = {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:TagSession"}]}
    assert (trust_principals(denied), allows_tag_session(denied)) == ([], False)
    wildcard = {"Statement": {"Effect": "Allow", "Principal": {"Federated": ["b", "a"]}, "Action": "STS:Tag*"}}
    assert (trust_principals(wildcard), allows_tag_session(wildcard)) == (["Federated:a", "Federated:b"], True)

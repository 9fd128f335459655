"""The tenant-ABAC judgement of single statements and trust policies (analyze/tenancy.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pcicheck.analyze.estate import analyze
from pcicheck.analyze.tenancy import tag_session_bound, unscoped_statements
from pcicheck.catalog import load_catalog
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import CollectionError, Resource, Status

VAR = "${aws:PrincipalTag/tenant}"


def _unscoped(statement: dict[str, Any], tag: str = "tenant") -> bool:
    return bool(unscoped_statements("p", {"Statement": [{"Effect": "Allow", **statement}]}, tag))


@pytest.mark.parametrize(
    "statement",
    [
        {"Action": "s3:GetObject", "Resource": f"arn:aws:s3:::pool/{VAR}/*"},
        {
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::pool",
            "Condition": {"StringLike": {"s3:prefix": f"{VAR}/*"}},
        },
        {
            "Action": "dynamodb:Query",
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [VAR]}},
        },
        {
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": {"StringEquals": {"secretsmanager:ResourceTag/tenant": VAR}},
        },
        {
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": VAR}},
        },
        {
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"stringequals": {"AWS:RESOURCETAG/tenant": "${aws:principaltag/tenant}"}},
        },
    ],
)
def test_bound_statements(statement: dict[str, Any]) -> None:
    assert not _unscoped(statement)


@pytest.mark.parametrize(
    "statement",
    [
        # set operators pass vacuously when a single-valued key is missing
        {
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:ResourceTag/tenant": VAR}},
        },
        # a literal tenant id is not ABAC
        {"Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/tenant": "acme"}}},
        # only some resources carry the variable
        {"Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::pool/{VAR}/*", "arn:aws:s3:::shared/*"]},
        {"Action": "s3:GetObject", "NotResource": f"arn:aws:s3:::pool/{VAR}/*"},
        # ForAllValues holds for a Scan, which names no key
        {
            "Action": ["dynamodb:Query", "dynamodb:Scan"],
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [VAR]}},
        },
        {
            "Action": "dynamodb:*",
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [VAR]}},
        },
        # a single-valued operator on the multi-valued LeadingKeys
        {"Action": "dynamodb:Query", "Resource": "*", "Condition": {"StringEquals": {"dynamodb:LeadingKeys": [VAR]}}},
        # the condition names another tag key
        {"Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": VAR}}},
        # a key that says nothing about the target
        {"Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/tenant": VAR}}},
    ],
)
def test_unscoped_statements(statement: dict[str, Any]) -> None:
    assert _unscoped(statement)


def test_not_action_reads_as_everything() -> None:
    [found] = unscoped_statements(
        "p", {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}, "tenant"
    )
    assert (found["actions"], found["not_actions"]) == (["*"], ["iam:*"])


def test_configured_tag_key() -> None:
    statement = {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::pool/${aws:PrincipalTag/customer}/*"}
    assert not _unscoped(statement, "customer")
    assert _unscoped(statement, "tenant")


def _trust(condition: dict[str, Any] | None, action: Any = "sts:TagSession") -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    return {"Statement": [statement]}


def test_tag_session_bound() -> None:
    assert tag_session_bound(_trust({"StringEquals": {"aws:RequestTag/tenant": VAR}}), "tenant", "acme")
    assert tag_session_bound(_trust({"StringEquals": {"aws:RequestTag/tenant": "acme"}}), "tenant", "acme")
    assert not tag_session_bound(_trust({"StringEquals": {"aws:RequestTag/tenant": "globex"}}), "tenant", "acme")
    assert not tag_session_bound(_trust({"StringLike": {"aws:RequestTag/tenant": "*"}}), "tenant", "acme")
    assert not tag_session_bound(_trust({"StringEqualsIfExists": {"aws:RequestTag/tenant": VAR}}), "tenant", "acme")
    assert not tag_session_bound(_trust(None), "tenant", "acme")
    assert not tag_session_bound(_trust(None, "sts:AssumeRole"), "tenant", "acme")
    # one unpinned statement admitting TagSession is enough to let a caller choose the tenant
    two = _trust({"StringEquals": {"aws:RequestTag/tenant": VAR}})
    two["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::2:root"}, "Action": "sts:*"})
    assert not tag_session_bound(two, "tenant", "acme")


def test_policy_listing_failure_makes_the_abac_control_error() -> None:
    """Attached customer-managed policies are judged from aws.iam.policy: with that listing missing,
    a role whose own policies look fine is still unknown, not a pass."""
    [control] = [c for c in load_catalog().controls if c.id == "aws-iam-tenant-role-abac-policies"]
    role = Resource(
        uid="arn:aws:iam::123456789012:role/acme-worker",
        type="aws.iam.role",
        provider="aws",
        account="123456789012",
        region="",
        name="acme-worker",
        tags={"tenant": "acme"},
        attributes={"role_name": "acme-worker", "path": "/", "attached_policies": [], "inline_policies": []},
    )
    listing = CollectionError(
        provider="aws",
        account="123456789012",
        region="us-east-1",
        service="iam",
        operation="ListPolicies",
        code="AccessDenied",
        message="no",
        resource_types=("aws.iam.user", "aws.iam.policy"),
    )
    evaluator = Evaluator([control])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    estate = analyze([role], ScopeConfig())
    [clean] = evaluator.evaluate(estate, [], now)
    assert clean.status == Status.PASS
    judged = [r for r in evaluator.evaluate(estate, [listing], now) if r.resource["uid"] == role.uid]
    assert [r.status for r in judged] == [Status.ERROR]

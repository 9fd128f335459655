"""The tenant-ABAC judgement of single statements and trust policies (analyze/tenancy.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pcicheck.analyze.tenancy import tag_session_bound, unscoped_statements

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

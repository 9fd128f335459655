"""Lambda collector against the moto server: a VPC-attached CDE function without a policy, a detached
one whose policy lets anyone invoke it, and refused reads leaving policy and tags unknown."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from pcicheck.collect.aws.services.awslambda import SPEC, public_statements
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _function(client: Any, region: str, name: str, **kwargs: Any) -> str:
    role = client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    answer = client("lambda", region).create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": _code()}, **kwargs
    )
    return str(answer["FunctionArn"])


def test_lambda_functions(client: Any, run_service: Any) -> None:
    ec2 = client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    pay = _function(
        client, REGION, "pay", VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": []}, Tags={"pci-scope": "cde"}
    )
    _function(client, REGION, "open")
    functions = client("lambda", REGION)
    functions.add_permission(FunctionName="open", StatementId="anyone", Action="lambda:InvokeFunction", Principal="*")
    functions.add_permission(
        FunctionName="open",
        StatementId="bucket",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceAccount="123456789012",
    )
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    card = by_name["pay"]
    assert (card.uid, card.tags) == (pay, {"pci-scope": "cde"})
    assert set(card.attributes) == set(resource_types()["aws.lambda.function"].attributes)
    assert violations(card) == []  # kinds and nullability as declared
    assert (card.attributes["subnet_ids"], card.attributes["has_policy"]) == ([subnet], False)
    assert card.attributes["public_policy_statements"] == []
    opened = by_name["open"].attributes
    assert (opened["subnet_ids"], opened["has_policy"], opened["public_policy_statements"]) == ([], True, ["anyone"])
    assert card.source == ("lambda:GetPolicy", "lambda:ListFunctions", "lambda:ListTags")
    assert set(calls) == set(SPEC.permissions)


def test_lambda_reads_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    arn = _function(client, "us-east-1", "pay")
    [function], ctx = run_with_hooks(
        aws,
        SPEC,
        {
            "before-parameter-build.lambda.GetPolicy": deny("GetPolicy"),
            "before-parameter-build.lambda.ListTags": deny("ListTags"),
        },
    )
    assert not {"has_policy", "public_policy_statements"} & set(function.attributes)
    assert sorted((e.resource_uid, e.attributes) for e in ctx.errors) == [
        (arn, ("has_policy", "public_policy_statements")),
        (arn, ("tags",)),
    ]


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        ({"Effect": "Allow", "Principal": "*"}, True),
        ({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}}, True),
        ({"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}, False),
        ({"Effect": "Allow", "Principal": "*", "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}}, False),
        ({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}, False),
        ({"Effect": "Deny", "Principal": "*"}, False),
    ],
)
def test_public_statements(statement: dict[str, Any], public: bool) -> None:
    assert public_statements({"Statement": [{"Sid": "s", **statement}]}) == (["s"] if public else [])

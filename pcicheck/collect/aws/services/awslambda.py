"""Lambda functions (aws.lambda.function): VPC attachment and public resource policies.

ListFunctions carries the VPC configuration; ListTags per function gives the tags (scope), and
GetPolicy the resource-based policy, judged here for statements anyone may use. A failed read leaves
what it was for absent, never "no policy" or "no tags". Function URLs are not read.

The module is not called `lambda`, a Python keyword; its ServiceSpec name is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.lambda.function",
    "Lambda function ($LATEST); uid = its ARN",
    function_name="string",
    arn="string: function ARN",
    runtime="string?: e.g. 'python3.12'; null for a container image",
    package_type="string?: 'Zip'|'Image'",
    subnet_ids="list: sorted subnet ids; empty when not attached to a VPC",
    vpc_id="string?: vpc-…",
    last_modified="string?: the time as AWS reports it ('2024-01-31T12:00:00.000+0000'), not normalised",
    has_policy="bool: a resource-based policy exists",
    public_policy_statements="list: Sids (or positions) of Allow statements open to principal '*' without an "
    "aws:Source*/aws:Principal* account, ARN or organisation condition",
)
# A condition on one of these keys ties a "*" principal to known accounts, organisations or
# sources, which is how AWS-service triggers (S3, SNS, EventBridge) are granted safely.
_RESTRICTING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:principalarn",
    }
)


def _anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("AWS", [])
        return "*" in (values if isinstance(values, list) else [values])
    return False


def public_statements(document: dict[str, Any]) -> list[str]:
    """Sids (or positions) of Allow statements open to any principal without a restricting condition."""
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    found: list[str] = []
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow" or not _anyone(statement.get("Principal")):
            continue
        keys = {key.lower() for operator in (statement.get("Condition") or {}).values() for key in operator}
        if not keys & _RESTRICTING_KEYS:
            found.append(str(statement.get("Sid") or index))
    return found


def collect(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client()
    listing = ctx.action(client, "list_functions")
    for function in ctx.pages(client, "list_functions", "Functions"):
        name = str(function["FunctionName"])
        arn = str(function["FunctionArn"])
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        vpc = function.get("VpcConfig") or {}
        attributes: dict[str, Any] = {
            "function_name": name,
            "arn": arn,
            "runtime": function.get("Runtime"),
            "package_type": function.get("PackageType"),
            # Subnets, not VpcId, decide attachment: a detached function may still report an empty VpcConfig.
            "subnet_ids": sorted(vpc.get("SubnetIds") or []),
            "vpc_id": vpc.get("VpcId") or None,
            "last_modified": function.get("LastModified"),
            "has_policy": FAILED,
            "public_policy_statements": FAILED,
        }
        policy = reads.get(
            client,
            "get_policy",
            ("has_policy", "public_policy_statements"),
            absent=("ResourceNotFoundException",),
            FunctionName=arn,
        )
        if policy is None:
            attributes["has_policy"], attributes["public_policy_statements"] = False, []
        elif policy is not FAILED:
            attributes["has_policy"] = True
            document = policy.get("Policy")
            attributes["public_policy_statements"] = (
                public_statements(json.loads(document))
                if isinstance(document, str)
                else reads.missing(client, "get_policy", "Policy", ("public_policy_statements",))
            )
        answer = reads.get(client, "list_tags", ("tags",), Resource=arn)
        tags = {} if answer is FAILED else {str(k): str(v) for k, v in (answer.get("Tags") or {}).items()}
        yield reads.resource(name, attributes, tags)


SPEC = ServiceSpec(
    name="lambda",
    client="lambda",
    regional=True,
    types=(TYPE,),
    permissions=("lambda:GetPolicy", "lambda:ListFunctions", "lambda:ListTags"),
    collect=collect,
)

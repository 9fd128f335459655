"""IAM roles (aws.iam.role): who may assume each role, and the permission policies it carries.

ListRoles gives each role with its trust policy; ListRolePolicies + GetRolePolicy its inline policy
documents; ListAttachedRolePolicies the ARNs of its managed policies; ListRoleTags its tags (the
tenant tag decides tenant scope). Managed policy documents are not read here: the iam collector
already reads every customer-managed one into aws.iam.policy, and the analyze stage joins them.

An inline policy document that could not be read leaves `inline_policies` absent, never a shorter
list: a missing statement could be the one that grants untagged access.
"""

from __future__ import annotations

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
from pcicheck.iampolicy import TAG_SESSION, as_list, decode_document, statement_allows
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.iam.role",
    "IAM role (global); uid = its ARN. Tags are the role's own (ListRoleTags)",
    role_name="string",
    arn="string: ARN",
    path="string: e.g. '/' or '/aws-service-role/…' for service-linked roles",
    create_date="timestamp?",
    trust_policy="map: the trust (assume-role) policy document",
    trust_principals="list: sorted 'Type:value' for each principal an Allow statement of the trust policy names "
    "('Service:lambda.amazonaws.com', 'AWS:<arn>', 'Federated:<provider>'), or '*'",
    trust_allows_tag_session="bool: an Allow statement of the trust policy admits sts:TagSession (conditions not "
    "weighed)",
    inline_policies="list: {name, document (map)} sorted by name",
    attached_policies="list: sorted ARNs of the attached managed policies (documents: aws.iam.policy)",
)


def trust_principals(document: dict[str, Any]) -> list[str]:
    """'Type:value' for every principal an Allow statement of the trust policy names, e.g.
    'Service:lambda.amazonaws.com', 'AWS:arn:aws:iam::111122223333:root', or '*' for anyone."""
    found: set[str] = set()
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            found.add("*")
        elif isinstance(principal, dict):
            for kind, values in principal.items():
                found.update(f"{kind}:{value}" for value in as_list(values))
    return sorted(found)


TRUST = ("trust_policy", "trust_principals", "trust_allows_tag_session")


def allows_tag_session(document: dict[str, Any]) -> bool:
    return any(statement_allows(s, TAG_SESSION) for s in as_list(document.get("Statement")))


def _inline_policies(reads: ResourceReads, iam: Any, role_name: str) -> Any:
    """[{name, document}] sorted by name; FAILED if the listing or any one document failed."""
    names = reads.all_pages(iam, "list_role_policies", "PolicyNames", ("inline_policies",), RoleName=role_name)
    if names is FAILED:
        return FAILED
    policies: list[dict[str, Any]] = []
    for policy_name in sorted(str(n) for n in names):
        got = reads.get(iam, "get_role_policy", ("inline_policies",), RoleName=role_name, PolicyName=policy_name)
        if got is FAILED:
            return FAILED
        document = got.get("PolicyDocument")
        if document is None:  # left out of the answer: unknown, not an empty (allow-nothing) document
            return reads.missing(iam, "get_role_policy", "PolicyDocument", ("inline_policies",))
        policies.append({"name": policy_name, "document": decode_document(document)})
    return policies


def _role(ctx: CollectContext, iam: Any, role: dict[str, Any]) -> Resource:
    name = str(role["RoleName"])
    arn = str(role["Arn"])
    reads = ResourceReads(ctx, arn, TYPE.name, {ctx.action(iam, "list_roles")})
    # Every role has a trust policy; one left out of the answer is unknown, not an empty document.
    raw_trust = role.get("AssumeRolePolicyDocument")
    trust = decode_document(raw_trust) if raw_trust is not None else None
    trust_read = None if trust is not None else reads.missing(iam, "list_roles", "AssumeRolePolicyDocument", TRUST)
    attributes: dict[str, Any] = {
        "role_name": name,
        "arn": arn,
        "path": str(role.get("Path") or "/"),
        "create_date": iso(role.get("CreateDate")),
        "trust_policy": trust_read if trust is None else trust,
        "trust_principals": trust_read if trust is None else trust_principals(trust),
        "trust_allows_tag_session": trust_read if trust is None else allows_tag_session(trust),
        "inline_policies": _inline_policies(reads, iam, name),
    }
    attached = reads.all_pages(
        iam, "list_attached_role_policies", "AttachedPolicies", ("attached_policies",), RoleName=name
    )
    attributes["attached_policies"] = attached if attached is FAILED else sorted(str(p["PolicyArn"]) for p in attached)
    tag_list = reads.all_pages(iam, "list_role_tags", "Tags", ("tags",), RoleName=name)
    tags = {} if tag_list is FAILED else tag_map(tag_list)
    return reads.resource(name, attributes, tags, region="")


def collect(ctx: CollectContext) -> Iterator[Resource]:
    iam = ctx.client()
    for role in ctx.pages(iam, "list_roles", "Roles"):
        yield _role(ctx, iam, role)


SPEC = ServiceSpec(
    name="iam.roles",
    client="iam",
    regional=False,
    types=(TYPE,),
    permissions=(
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:ListRoleTags",
        "iam:ListRoles",
    ),
    collect=collect,
)

"""Tenant ABAC on IAM roles: are a tenant role's session tags and permissions bound to its tenant tag?

What is judged, per aws.iam.role (with `T` the configured tenant tag key, e.g. `tenant`):

`tag_session_tenant_bound` (trust policy; needs only the role): true when at least one Allow
statement of the trust policy admits sts:TagSession, and every such statement pins the session's
tenant tag: a StringEquals / StringEqualsIgnoreCase / StringLike condition on `aws:RequestTag/T`
(no IfExists, no ForAnyValue/ForAllValues) whose every value is the role's own tenant or contains
`${aws:PrincipalTag/T}` (the caller's own tenant). A wildcard value such as "*" lets the caller
claim any tenant, and session tags override the role's own tags, so it does not count.

`abac_unscoped_statements` (permission policies): every Allow statement of the role's inline
policies and attached customer-managed policies (aws.iam.policy documents) that is *not* bound to
the caller's tenant, as {policy, statement, actions, not_actions, resources}. A statement is bound
when either
- every Resource contains `${aws:PrincipalTag/T}` (a tenant-named ARN or prefix), or
- a condition (plain String operator, no IfExists) on a key naming the target's tenant —
  `aws:ResourceTag/T`, `<service>:ResourceTag/T`, `s3:ExistingObjectTag/T`, `aws:RequestTag/T`,
  `kms:EncryptionContext:T`, `s3:prefix` — has only values containing `${aws:PrincipalTag/T}`, or
  `dynamodb:LeadingKeys` does so under ForAllValues:StringEquals/StringLike in a statement whose
  actions all name their keys (GetItem, Query, PutItem, … — not Scan or wildcards).
Per-tenant ARNs written out literally are not ABAC and count as unscoped. Deny statements only
take access away and are not listed. The control decides which listed actions are harmless.

`abac_aws_managed_policies`: attached AWS-managed policy ARNs. AWS writes them for every customer,
so they cannot name this estate's tenant tag: their statements are unscoped by construction.

`abac_unjudged_policies`: [{policy, reason}] for policies that could not be judged (an inline
policy list that was not read, an attached customer-managed policy absent from the snapshot or whose
document was not read). Then `abac_unscoped_statements` is left absent, so the control is `error`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.iampolicy import TAG_SESSION, as_list, statement_allows
from pcicheck.model import Resource

ROLE = "aws.iam.role"
POLICY = "aws.iam.policy"
_STRING_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike"})
_LEADING_KEYS = "dynamodb:leadingkeys"
# The DynamoDB actions that always name their partition keys. A ForAllValues test holds vacuously
# when the key is missing (Scan, PartiQL without a key), so LeadingKeys binds only these.
_KEYED_ACTIONS = frozenset(
    f"dynamodb:{a}".casefold()
    for a in (
        "GetItem",
        "BatchGetItem",
        "Query",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "ConditionCheckItem",
    )
)


def tenant_variable(tag: str) -> str:
    """`${aws:PrincipalTag/<tag>}`, casefolded: the caller's own tenant inside a policy."""
    return f"${{aws:principaltag/{tag}}}".casefold()


def _binding_keys(tag: str) -> re.Pattern[str]:
    """Condition keys that name the tenant of what is accessed or created (casefolded)."""
    t = re.escape(tag.casefold())
    return re.compile(
        rf"^(?:[a-z0-9-]+:resourcetag/{t}|s3:existingobjecttag/{t}|aws:requesttag/{t}"
        rf"|kms:encryptioncontext:{t}|s3:prefix)$"
    )


def _conditions(statement: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(operator, key, values) of a statement's Condition block, operator and key casefolded."""
    block = statement.get("Condition")
    out: list[tuple[str, str, list[str]]] = []
    if not isinstance(block, dict):
        return out
    for operator, tests in block.items():
        if isinstance(tests, dict):
            out.extend(
                (str(operator).casefold(), str(k).casefold(), [str(v) for v in as_list(v)]) for k, v in tests.items()
            )
    return out


def _keyed_only(statement: dict[str, Any]) -> bool:
    actions = as_list(statement.get("Action"))
    return "NotAction" not in statement and bool(actions) and all(str(a).casefold() in _KEYED_ACTIONS for a in actions)


def bound_by_condition(statement: dict[str, Any], tag: str, keys: re.Pattern[str] | None = None) -> bool:
    """A condition ties the statement to the caller's tenant (see the module text). `keys` narrows
    which condition keys may do so (casefolded names); by default every tenant-naming key."""
    keys, variable = keys or _binding_keys(tag), tenant_variable(tag)
    for operator, key, values in _conditions(statement):
        qualifier, _, base = operator.rpartition(":")
        if base not in _STRING_OPERATORS or not values:  # excludes ...IfExists: true when the key is missing
            continue
        if key == _LEADING_KEYS:
            # Multi-valued: only "every requested key is the tenant's" (ForAllValues) binds it.
            applies = qualifier == "forallvalues" and _keyed_only(statement)
        else:
            applies = not qualifier and bool(keys.match(key))
        if applies and all(variable in v.casefold() for v in values):
            return True
    return False


def _bound_by_resource(statement: dict[str, Any], tag: str) -> bool:
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    return (
        "NotResource" not in statement
        and bool(resources)
        and all(tenant_variable(tag) in r.casefold() for r in resources)
    )


def unscoped_statements(policy: str, document: Any, tag: str) -> list[dict[str, Any]]:
    """The Allow statements of one policy document not bound to the caller's tenant tag."""
    found: list[dict[str, Any]] = []
    statements = as_list(document.get("Statement")) if isinstance(document, dict) else []
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if _bound_by_resource(statement, tag) or bound_by_condition(statement, tag):
            continue
        not_action = "NotAction" in statement
        found.append(
            {
                "policy": policy,
                "statement": str(statement.get("Sid") or index),
                # NotAction grants every action but the listed ones: read it as "*".
                "actions": ["*"] if not_action else sorted(str(a) for a in as_list(statement.get("Action"))),
                "not_actions": sorted(str(a) for a in as_list(statement.get("NotAction"))),
                "resources": sorted(str(r) for r in as_list(statement.get("Resource") or statement.get("NotResource"))),
            }
        )
    return found


def tag_session_bound(trust: Any, tag: str, own_tenant: str | None) -> bool:
    statements = [s for s in as_list(trust.get("Statement")) if statement_allows(s, TAG_SESSION)]
    if not statements:
        return False
    request_tag, variable = f"aws:requesttag/{tag}".casefold(), tenant_variable(tag)

    def pins(statement: dict[str, Any]) -> bool:
        for operator, key, values in _conditions(statement):
            if key != request_tag or operator not in _STRING_OPERATORS or not values:
                continue
            if all(v == own_tenant or variable in v.casefold() for v in values):
                return True
        return False

    return all(pins(s) for s in statements)


def _is_aws_managed(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


@dataclass(frozen=True)
class RoleDocuments:
    """A role's permission policy documents as far as the snapshot holds them."""

    documents: list[tuple[str, Any]]  # (label: "inline:<name>" or the managed policy ARN, document)
    aws_managed: list[str] | None  # attached AWS-managed ARNs; None when attachments were not read
    unjudged: list[dict[str, str]]  # {policy, reason} for every policy that could not be read


def role_documents(role: Resource, policies: dict[str, Resource]) -> RoleDocuments:
    """Inline documents, then attached customer-managed ones joined from aws.iam.policy."""
    attrs = role.attributes
    documents: list[tuple[str, Any]] = []
    unjudged: list[dict[str, str]] = []
    inline = attrs.get("inline_policies")
    if isinstance(inline, list):
        documents.extend((f"inline:{p.get('name')}", p.get("document")) for p in inline)
    else:
        unjudged.append({"policy": "inline", "reason": "the role's inline policies were not read"})
    attached = attrs.get("attached_policies")
    aws_managed: list[str] | None = None
    if isinstance(attached, list):
        aws_managed = []
        for arn in (str(a) for a in attached):
            if _is_aws_managed(arn):
                aws_managed.append(arn)
                continue
            managed = policies.get(arn)
            if managed is None or "document" not in managed.attributes:
                reason = "not in the snapshot" if managed is None else "its document was not read"
                unjudged.append({"policy": arn, "reason": reason})
                continue
            documents.append((arn, managed.attributes["document"]))
    else:
        unjudged.append({"policy": "attached", "reason": "the role's attached policies were not read"})
    return RoleDocuments(documents, aws_managed, unjudged)


def _permission_facts(role: Resource, policies: dict[str, Resource], tag: str) -> dict[str, Any]:
    docs = role_documents(role, policies)
    facts: dict[str, Any] = {"abac_unjudged_policies": docs.unjudged}
    if docs.aws_managed is not None:
        facts["abac_aws_managed_policies"] = docs.aws_managed
    if not docs.unjudged:
        facts["abac_unscoped_statements"] = [
            s for label, document in docs.documents for s in unscoped_statements(label, document, tag)
        ]
    return facts


def abac_facts(resources: list[Resource], tenant_tag: str) -> dict[str, dict[str, Any]]:
    """uid → the ABAC facts above, for every IAM role."""
    policies = {r.uid: r for r in resources if r.type == POLICY}
    facts: dict[str, dict[str, Any]] = {}
    for role in resources:
        if role.type != ROLE:
            continue
        own = _permission_facts(role, policies, tenant_tag)
        trust = role.attributes.get("trust_policy")
        if isinstance(trust, dict):
            own["tag_session_tenant_bound"] = tag_session_bound(trust, tenant_tag, role.tags.get(tenant_tag) or None)
        facts[role.uid] = own
    return facts


def _analyze(inputs: AnalysisInput) -> FactMap:
    return abac_facts(inputs.resources, inputs.scope.tenant_tag)


# A role's attached customer-managed policies are judged from the aws.iam.policy documents.
_POLICY_DOCUMENTS = (POLICY,)
ABAC = Analyzer(
    "tenant-abac",
    (
        Fact(
            "tag_session_tenant_bound",
            "aws.iam.role only: the trust policy admits sts:TagSession and every statement that does pins the "
            "session's tenant tag to the role's own tenant or the caller's (absent without a trust policy)",
        ),
        Fact(
            "abac_unscoped_statements",
            "aws.iam.role only: Allow statements of its inline and attached customer-managed policies not bound "
            "to the caller's tenant, as {policy, statement, actions, not_actions, resources}; absent when a "
            "policy could not be judged",
            _POLICY_DOCUMENTS,
        ),
        Fact(
            "abac_aws_managed_policies",
            "aws.iam.role only: ARNs of the AWS-managed policies attached to it (unscoped by construction)",
            _POLICY_DOCUMENTS,
        ),
        Fact(
            "abac_unjudged_policies",
            "aws.iam.role only: [{policy, reason}] for the policies that could not be judged",
            _POLICY_DOCUMENTS,
        ),
    ),
    _analyze,
)

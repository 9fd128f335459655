"""Who can read or list a whole S3 bucket, across every tenant's prefix (facts on aws.s3.bucket).

A pooled bucket keeps several tenants' objects under per-tenant key prefixes; the tenant boundary
is then the policies, not the bucket. AWS cannot say which buckets are pooled: pcicheck.yaml does,
`scope.pooled: {tag, value}` (default tenancy=pooled). `pooled` (bool) is set on every bucket; the
facts below only on pooled ones (they weigh every role of the account, so they are not built for
buckets nobody asked about).

`pooled_wide_access` lists every grant that reaches across tenants' prefixes, one entry per
(principal, policy statement): {principal, name, via, policy, statement, access, actions, resources}.
- Principals: the IAM roles of the bucket's account (service-linked roles excluded: AWS owns their
  policies), through their inline and attached customer-managed policies (tenancy.role_documents),
  and every principal an Allow statement of the bucket policy names. `principal` is the role ARN or
  the bucket-policy principal value ("*" for anyone, including NotPrincipal); `name` the role name
  (last path segment of a role ARN), else the principal again. A bucket-policy grant to the
  bucket's own account (its id or `:root`) only delegates to IAM, whose roles are judged
  themselves, so it is not listed; another account's is.
- `access: ["object"]`: the statement allows s3:GetObject(Version), PutObject or
  DeleteObject(Version) (wildcards and NotAction included), one of its Resource patterns without
  `${aws:PrincipalTag/<tag>}` covers objects of the bucket under more than one top-level prefix
  (a wildcard stands before the first "/" of the object key: bucket/*, *, arn:aws:s3:::*,
  bucket/*.csv) — or NotResource does not exclude them — and no tenant condition binds it
  (tenancy.bound_by_condition: aws:ResourceTag, s3:ExistingObjectTag, s3:prefix, ... compared
  only with the caller's tenant tag). A literal prefix (bucket/acme/*) names one prefix and is
  not listed here (aws-iam-tenant-role-abac-policies reports it on tenant roles as not ABAC).
- `access: ["list"]`: the statement allows s3:ListBucket(Versions) on the bucket ARN without an
  s3:prefix condition compared only with ${aws:PrincipalTag/<tag>} (any other key leaves the
  listing of every tenant's keys open).
- `via: "aws-managed-policy"`, `access: ["unknown"]`: an AWS-managed policy attached to a role.
  Its document is not in the snapshot; the control decides which of those are known not to
  touch S3.
Deny statements, permission boundaries and SCPs are not weighed: they are reported, not credited.

`pooled_unjudged_policies`: [{principal, policy, reason}] for what could not be read (a role's
inline or attached policy list, an attached policy missing from the snapshot or without its
document, the bucket policy). Then `pooled_wide_access` is left absent: the control is `error`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.analyze.tenancy import POLICY, ROLE, bound_by_condition, role_documents, tenant_variable
from pcicheck.config import ScopeConfig
from pcicheck.iampolicy import as_list, statement_allows
from pcicheck.model import Resource

BUCKET = "aws.s3.bucket"
OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
)
LIST_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions")
_PREFIX_ONLY = re.compile(r"^s3:prefix$")
_SERVICE_LINKED_PATH = "/aws-service-role/"


@dataclass(frozen=True)
class Grant:
    """One Allow statement that grants S3 object or list actions without binding them to the tenant.
    Which buckets it reaches depends on its resources, judged per bucket."""

    principal: str
    name: str
    via: str
    policy: str
    statement: str
    object_actions: tuple[str, ...]  # granted object actions; () when bound or none
    list_actions: tuple[str, ...]  # granted list actions; () when bound or none
    resources: tuple[str, ...]
    not_resource: bool

    def entry(self, access: list[str], actions: tuple[str, ...]) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "name": self.name,
            "via": self.via,
            "policy": self.policy,
            "statement": self.statement,
            "access": access,
            "actions": sorted(actions),
            "resources": sorted(self.resources),
        }


def _granted(statement: dict[str, Any], actions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(a for a in actions if statement_allows(statement, a))


def statement_grants(
    statement: Any, tag: str, *, principal: str, name: str, via: str, policy: str, index: int
) -> Grant | None:
    """The unbound S3 object/list access one statement allows, or None when it allows none."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return None
    objects = _granted(statement, OBJECT_ACTIONS)
    if objects and bound_by_condition(statement, tag):
        objects = ()
    listing = _granted(statement, LIST_ACTIONS)
    if listing and bound_by_condition(statement, tag, _PREFIX_ONLY):
        listing = ()
    if not objects and not listing:
        return None
    not_resource = "NotResource" in statement
    resources = statement.get("NotResource") if not_resource else statement.get("Resource")
    return Grant(
        principal=principal,
        name=name,
        via=via,
        policy=policy,
        statement=str(statement.get("Sid") or index),
        object_actions=objects,
        list_actions=listing,
        resources=tuple(str(r) for r in as_list(resources)),
        not_resource=not_resource,
    )


def _glob_states(pattern: str, text: str) -> set[int]:
    """Positions in an IAM resource glob ('*' any run, '?' one character) reachable after reading
    all of `text`; empty when no string starting with `text` can match the pattern."""

    def closure(states: set[int]) -> set[int]:
        out, todo = set(states), list(states)
        while todo:
            p = todo.pop()
            if p < len(pattern) and pattern[p] == "*" and p + 1 not in out:
                out.add(p + 1)
                todo.append(p + 1)
        return out

    states = closure({0})
    for ch in text:
        nxt: set[int] = set()
        for p in states:
            if p >= len(pattern):
                continue
            if pattern[p] == "*":
                nxt.add(p)
            elif pattern[p] == "?" or pattern[p] == ch:
                nxt.add(p + 1)
        states = closure(nxt)
        if not states:
            break
    return states


@lru_cache(maxsize=4096)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join("[\\s\\S]*" if c == "*" else "[\\s\\S]" if c == "?" else re.escape(c) for c in pattern))


def _matches(pattern: str, text: str) -> bool:
    return _glob_regex(pattern).fullmatch(text) is not None


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def spans_prefixes(pattern: str, bucket_arn: str) -> bool:
    """The pattern matches objects of the bucket under more than one top-level key prefix: after
    the bucket's "arn…:bucket/" some way through the pattern meets a wildcard before any "/"."""
    text = bucket_arn + "/"
    first = next((i for i, c in enumerate(pattern) if c in "*?"), len(pattern))
    # Fast paths (this runs for every bucket × every grant that may reach any bucket).
    if first >= len(text):  # the literal head covers the whole "arn…:bucket/": one way through
        return pattern.startswith(text) and _wild(pattern[len(text) :].split("/", 1)[0])
    if first == len(pattern) or not text.startswith(pattern[:first]):
        return False  # all literal and shorter than "arn…:bucket/", or another bucket
    if pattern[first] == "*":  # a '*' still open after the "/" (arn:aws:s3:::*, *)
        return True
    return any(_wild(pattern[p:].split("/", 1)[0]) for p in _glob_states(pattern, text))


def _object_wide(grant: Grant, bucket_arn: str, variable: str) -> bool:
    if grant.not_resource:
        # Everything except the listed patterns: wide unless one excludes a whole-bucket object set.
        return not any(_matches(r, bucket_arn + "/*") for r in grant.resources)
    return any(variable not in r.casefold() and spans_prefixes(r, bucket_arn) for r in grant.resources)


def _lists_bucket(grant: Grant, bucket_arn: str) -> bool:
    if grant.not_resource:
        return not any(_matches(r, bucket_arn) for r in grant.resources)
    return any(_matches(r, bucket_arn) for r in grant.resources)


def wide_entries(grant: Grant, bucket_arn: str, tag: str) -> list[dict[str, Any]]:
    """The grant as a `pooled_wide_access` entry for this bucket, or [] when it stays within a prefix."""
    access: list[str] = []
    actions: tuple[str, ...] = ()
    if grant.list_actions and _lists_bucket(grant, bucket_arn):
        access.append("list")
        actions += grant.list_actions
    if grant.object_actions and _object_wide(grant, bucket_arn, tenant_variable(tag)):
        access.append("object")
        actions += grant.object_actions
    return [grant.entry(access, actions)] if access else []


# A Resource naming one bucket literally: "arn:<partition>:s3:::<bucket>" or ".../<key pattern>".
_LITERAL_BUCKET = re.compile(r"^arn:[^:*?]+:s3:::([^/*?]+)(?:/|$)")


def _literal_buckets(grant: Grant) -> set[str] | None:
    """The bucket names a grant's resources name literally; None when some pattern could reach any
    bucket (a wildcard in the bucket part, "*", NotResource). Lets each bucket look up only the
    grants that can concern it instead of matching every grant of the account."""
    if grant.not_resource:
        return None
    names: set[str] = set()
    for r in grant.resources:
        m = _LITERAL_BUCKET.match(r)
        if m is None:
            return None
        names.add(m.group(1))
    return names


@dataclass
class _AccountRoles:
    by_bucket: dict[str, list[Grant]] = field(default_factory=lambda: defaultdict(list))
    anywhere: list[Grant] = field(default_factory=list)  # grants whose resources may match any bucket
    aws_managed: list[dict[str, Any]] = field(default_factory=list)
    unjudged: list[dict[str, str]] = field(default_factory=list)

    def add(self, grant: Grant) -> None:
        names = _literal_buckets(grant)
        if names is None:
            self.anywhere.append(grant)
        for name in names or ():
            self.by_bucket[name].append(grant)

    def grants_for(self, bucket: str) -> list[Grant]:
        return [*self.anywhere, *self.by_bucket.get(bucket, ())]


def _role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if ":role/" in arn else arn


def _account_roles(resources: list[Resource], tag: str) -> dict[str, _AccountRoles]:
    """Per account: its roles' unbound S3 grants (judged once, matched per bucket later)."""
    policies = {r.uid: r for r in resources if r.type == POLICY}
    out: dict[str, _AccountRoles] = defaultdict(_AccountRoles)
    for role in resources:
        if role.type != ROLE or str(role.attributes.get("path") or "/").startswith(_SERVICE_LINKED_PATH):
            continue
        mine = out[role.account]
        arn = str(role.attributes.get("arn") or role.uid)
        name = str(role.attributes.get("role_name") or _role_name(arn))
        docs = role_documents(role, policies)
        mine.unjudged.extend({"principal": arn, **u} for u in docs.unjudged)
        for policy in docs.aws_managed or ():
            mine.aws_managed.append(
                {
                    "principal": arn,
                    "name": name,
                    "via": "aws-managed-policy",
                    "policy": policy,
                    "statement": "",
                    "access": ["unknown"],
                    "actions": [],
                    "resources": [],
                }
            )
        for label, document in docs.documents:
            statements = as_list(document.get("Statement")) if isinstance(document, dict) else []
            for i, s in enumerate(statements):
                grant = statement_grants(s, tag, principal=arn, name=name, via="role-policy", policy=label, index=i)
                if grant is not None:
                    mine.add(grant)
    return out


def _own_account(value: str, account: str) -> bool:
    """The account id or its root ARN (any partition)."""
    return value == account or re.fullmatch(rf"arn:[a-z-]+:iam::{re.escape(account)}:root", value) is not None


def bucket_policy_principals(statement: dict[str, Any], account: str) -> list[str]:
    """Principals an Allow statement of a bucket policy admits beyond the bucket's own account."""
    if "NotPrincipal" in statement:
        return ["*"]  # everyone but the named ones
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    values = [str(v) for vs in principal.values() for v in as_list(vs)]
    return sorted({v for v in values if not _own_account(v, account)})


def _bucket_policy_grants(policy: dict[str, Any], account: str, tag: str) -> list[Grant]:
    grants: list[Grant] = []
    for i, statement in enumerate(as_list(policy.get("Statement"))):
        if not isinstance(statement, dict):
            continue
        for principal in bucket_policy_principals(statement, account):
            grant = statement_grants(
                statement,
                tag,
                principal=principal,
                name=_role_name(principal),
                via="bucket-policy",
                policy="bucket policy",
                index=i,
            )
            if grant is not None:
                grants.append(grant)
    return grants


def _bucket_arn(bucket: Resource) -> str:
    return bucket.uid if bucket.uid.startswith("arn:") else f"arn:aws:s3:::{bucket.name}"


def _bucket_name(bucket: Resource) -> str:
    return _bucket_arn(bucket).rpartition(":")[2]


def _bucket_facts(bucket: Resource, roles: _AccountRoles, tag: str) -> dict[str, Any]:
    unjudged = list(roles.unjudged)
    grants = roles.grants_for(_bucket_name(bucket))
    policy = bucket.attributes.get("policy", ...)  # ... = absent: the read failed
    if isinstance(policy, dict):
        grants.extend(_bucket_policy_grants(policy, bucket.account, tag))
    elif policy is not None:  # None = read, and the bucket has no policy
        unjudged.append({"principal": "bucket policy", "policy": "bucket policy", "reason": "it was not read"})
    facts: dict[str, Any] = {"pooled_unjudged_policies": unjudged}
    if not unjudged:
        arn = _bucket_arn(bucket)
        wide = [e for g in grants for e in wide_entries(g, arn, tag)] + roles.aws_managed
        facts["pooled_wide_access"] = sorted(wide, key=lambda e: (e["principal"], e["policy"], e["statement"]))
    return facts


def pooled_bucket_facts(resources: list[Resource], scope: ScopeConfig) -> dict[str, dict[str, Any]]:
    """uid → {pooled} for every S3 bucket, plus the facts above for the pooled ones."""
    buckets = [r for r in resources if r.type == BUCKET]
    pooled = [b for b in buckets if b.tags.get(scope.pooled_tag) == scope.pooled_value]
    facts: dict[str, dict[str, Any]] = {b.uid: {"pooled": False} for b in buckets}
    if not pooled:
        return facts
    roles = _account_roles(resources, scope.tenant_tag)
    empty = _AccountRoles()
    for b in pooled:
        facts[b.uid] = {"pooled": True, **_bucket_facts(b, roles.get(b.account, empty), scope.tenant_tag)}
    return facts


def _analyze(inputs: AnalysisInput) -> FactMap:
    return pooled_bucket_facts(inputs.resources, inputs.scope)


# The pooled_* facts weigh every role of the bucket's account and their customer-managed policies.
_PRINCIPALS = (ROLE, POLICY)
POOLED_BUCKETS = Analyzer(
    "pooled-buckets",
    (
        Fact(
            "pooled",
            "aws.s3.bucket only: the bucket carries the scope.pooled tag (several tenants' objects under "
            "per-tenant prefixes)",
            from_tags=True,
        ),
        Fact(
            "pooled_wide_access",
            "pooled aws.s3.bucket only: every grant reaching across tenants' prefixes, one per (principal, "
            "policy statement): {principal, name, via, policy, statement, access, actions, resources}; absent "
            "when a policy could not be judged",
            _PRINCIPALS,
        ),
        Fact(
            "pooled_unjudged_policies",
            "pooled aws.s3.bucket only: [{principal, policy, reason}] for what could not be read",
            _PRINCIPALS,
        ),
    ),
    _analyze,
)

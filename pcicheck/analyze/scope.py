"""CDE and tenant membership: from a resource's own tags (labels), else inherited from its subnet or
VPC (AWS) or its namespace (Kubernetes)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.collect.registry import resource_types
from pcicheck.config import ScopeConfig
from pcicheck.model import Resource

# Attributes through which a resource sits inside a network container, nearest first.
_PARENT_ATTRIBUTES = ("subnet_id", "vpc_id")
TAG_VIEW = "aws.tagging.resource"
# The types whose scope can come from a subnet or VPC rather than their own tags: a tag view inherits
# it from them, so a scan judging tag views needs them collected too (workflow/plan.py).
NETWORK_PLACED_TYPES = tuple(
    sorted(
        t.name
        for t in resource_types().values()
        if t.name.startswith("aws.") and set(_PARENT_ATTRIBUTES) & set(t.attributes)
    )
)


def _container_index(resources: Iterable[Resource]) -> dict[str, Resource]:
    """subnet-…/vpc-… id → the subnet/VPC resource (ids are unique per account, good enough here)."""
    index = {}
    for r in resources:
        if r.type == "aws.ec2.subnet":
            index[f"{r.account}/{r.attributes.get('subnet_id')}"] = r
        elif r.type == "aws.ec2.vpc":
            index[f"{r.account}/{r.attributes.get('vpc_id')}"] = r
    return index


# What one resource's scope is: (scope, reason, tenant).
Verdict = tuple[str, str, str | None]


def _parents(
    r: Resource,
    namespaces: dict[tuple[str, str], Resource],
    containers: dict[str, Resource],
    marker: str,
) -> Iterator[tuple[Resource, str]]:
    """What `r` inherits scope and tenant from, nearest first, each with the reason it would give."""
    if r.provider == "k8s" and r.region:
        # A namespaced object belongs to its namespace's CDE scope and tenant.
        ns = namespaces.get((r.account, r.region))
        if ns is not None:
            yield ns, f"namespace {r.region} (label {marker})"
    for attr in _PARENT_ATTRIBUTES:
        parent_id = r.attributes.get(attr)
        # A subnet's own subnet_id is itself; only look at true parents.
        parent = containers.get(f"{r.account}/{parent_id}") if parent_id else None
        if parent is not None and parent.uid != r.uid:
            yield parent, f"in {parent_id} (tag {marker})"


def _inherit(verdict: Verdict, parent: Resource, why: str, config: ScopeConfig) -> Verdict:
    """A parent in the CDE puts the resource there (the nearest such parent gives the reason); its
    tenant is the resource's when the resource names none."""
    scope, reason, tenant = verdict
    if scope != "cde" and parent.tags.get(config.cde_tag) == config.cde_value:
        scope, reason = "cde", why
    if tenant is None and parent.tags.get(config.tenant_tag):
        tenant = parent.tags[config.tenant_tag]
    return scope, reason, tenant


def scope_facts(resources: list[Resource], config: ScopeConfig) -> dict[str, dict[str, Any]]:
    """uid → {scope, scope_reason, tenant} for every resource."""
    containers = _container_index(resources)
    namespaces = {
        (r.account, r.attributes.get("labels", {}).get("kubernetes.io/metadata.name", r.name.split()[-1])): r
        for r in resources
        if r.type == "k8s.namespace"
    }
    marker = f"{config.cde_tag}={config.cde_value}"
    facts: dict[str, dict[str, Any]] = {}
    for r in resources:
        tenant = r.tags.get(config.tenant_tag) or None
        own = r.tags.get(config.cde_tag) == config.cde_value
        verdict: Verdict = ("cde", f"tag {marker}", tenant) if own else ("non-cde", "no CDE marker", tenant)
        for parent, why in _parents(r, namespaces, containers, marker):
            verdict = _inherit(verdict, parent, why, config)
        facts[r.uid] = {"scope": verdict[0], "scope_reason": verdict[1], "tenant": verdict[2]}
    _inherit_for_tag_views(resources, facts)
    return facts


def _inherit_for_tag_views(resources: list[Resource], facts: dict[str, dict[str, Any]]) -> None:
    """A Tagging API record (aws.tagging.resource) carries only tags; when a collector also read the
    resource itself (uid = the same ARN), that record's scope and tenant (which may come from its
    subnet or VPC) are the tag view's too."""
    for r in resources:
        if r.type != TAG_VIEW:
            continue
        own = facts.get(str(r.attributes.get("arn")))
        if own is None:
            continue
        mine = facts[r.uid]
        if mine["scope"] != "cde" and own["scope"] == "cde":
            mine["scope"], mine["scope_reason"] = "cde", own["scope_reason"]
        if mine["tenant"] is None and own["tenant"]:
            mine["tenant"] = own["tenant"]


def _analyze(inputs: AnalysisInput) -> FactMap:
    return scope_facts(inputs.resources, inputs.scope)


SCOPE = Analyzer(
    "scope",
    (
        Fact("scope", "'cde' or 'non-cde' (Kubernetes objects: from their namespace's labels)"),
        Fact("scope_reason", "why: the tag or parent (VPC/subnet) that put it in the CDE, or 'no CDE marker'"),
        Fact("tenant", "tenant id (from the tenant tag, or inherited from the VPC/subnet) or null"),
    ),
    _analyze,
)

"""Kubernetes namespace facts that need other objects: NetworkPolicy default-deny, quotas, limits."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.model import Resource


def namespace_facts(resources: list[Resource]) -> dict[str, dict[str, Any]]:
    """uid of each k8s.namespace → {network_policy_count, default_deny_ingress, default_deny_egress,
    has_resource_quota, has_limit_range}."""
    by_namespace: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for r in resources:
        if r.type in ("k8s.network_policy", "k8s.resource_quota", "k8s.limit_range"):
            by_namespace[(r.account, r.region)].append(r)
    facts: dict[str, dict[str, Any]] = {}
    for r in resources:
        if r.type != "k8s.namespace":
            continue
        name = str(r.attributes.get("labels", {}).get("kubernetes.io/metadata.name", ""))
        members = by_namespace.get((r.account, name), [])
        policies = [m for m in members if m.type == "k8s.network_policy"]
        facts[r.uid] = {
            "network_policy_count": len(policies),
            # Any policy that selects every pod with no rules in a direction isolates that direction.
            "default_deny_ingress": any(p.attributes.get("default_deny_ingress") for p in policies),
            "default_deny_egress": any(p.attributes.get("default_deny_egress") for p in policies),
            "has_resource_quota": any(m.type == "k8s.resource_quota" for m in members),
            "has_limit_range": any(m.type == "k8s.limit_range" for m in members),
        }
    return facts


def node_facts(resources: list[Resource], scopes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """uid of each k8s.node with known placement → {pod_scopes}: which scopes share the node."""
    namespace_scope = {
        (r.account, str(r.attributes.get("labels", {}).get("kubernetes.io/metadata.name", ""))): scopes[r.uid]["scope"]
        for r in resources
        if r.type == "k8s.namespace"
    }
    facts: dict[str, dict[str, Any]] = {}
    for r in resources:
        if r.type == "k8s.node" and "pod_namespaces" in r.attributes:
            # A namespace missing from the snapshot has no CDE label pcicheck could see: non-cde.
            found = {namespace_scope.get((r.account, ns), "non-cde") for ns in r.attributes["pod_namespaces"]}
            facts[r.uid] = {"pod_scopes": sorted(found)}
    return facts


def _namespaces(inputs: AnalysisInput) -> FactMap:
    return namespace_facts(inputs.resources)


def _nodes(inputs: AnalysisInput) -> FactMap:
    return node_facts(inputs.resources, inputs.earlier["scope"])


_POLICIES = ("k8s.network_policy",)
NAMESPACES = Analyzer(
    "namespaces",
    (
        Fact("network_policy_count", "Kubernetes namespaces only: NetworkPolicies in the namespace", _POLICIES),
        Fact(
            "default_deny_ingress",
            "Kubernetes namespaces only: a policy selects every pod and allows no ingress",
            _POLICIES,
        ),
        Fact(
            "default_deny_egress",
            "Kubernetes namespaces only: a policy selects every pod and allows no egress",
            _POLICIES,
        ),
        Fact("has_resource_quota", "Kubernetes namespaces only: a ResourceQuota exists in it", ("k8s.resource_quota",)),
        Fact("has_limit_range", "Kubernetes namespaces only: a LimitRange exists in it", ("k8s.limit_range",)),
    ),
    _namespaces,
)
NODES = Analyzer(
    "nodes",
    (
        Fact(
            "pod_scopes",
            "Kubernetes nodes only: the distinct scopes ('cde'/'non-cde') of the namespaces its pods run in",
            ("k8s.namespace", "k8s.workload"),
        ),
    ),
    _nodes,
)

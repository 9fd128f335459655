"""The flows that must be denied for the CDE to be isolated (PCI DSS 3.2.1 11.3.4 / 4.0.1 11.4.5) and for
each tenant to be separated from the others (Appendix A1), each with today's configured verdict: a
segmentation test plan, and configuration-level support for that test (never the test itself: the
verdicts are read from the configuration, nothing is sent)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from pcicheck.analyze.k8s_classes import PodClass, Reach
from pcicheck.analyze.k8s_reach import Cluster
from pcicheck.config import ScopeConfig
from pcicheck.model import Snapshot
from pcicheck.segmentation.flows import Flow, answer, aws_network

INTERNET_PROBE = "cidr:203.0.113.10"  # TEST-NET-3: stands for any address on the internet
_PLAN_PROTOCOLS = {6: "TCP", 17: "UDP"}
_FALLBACK_PORTS = ((6, 22), (6, 443))  # a node whose listening ports are not known: SSH and HTTPS

Facts = Mapping[str, Mapping[str, Any]]


def plan(snapshot: Snapshot, scope: ScopeConfig, facts: Facts | None = None) -> list[dict[str, Any]]:
    """The CDE isolation plan (cde_flows), each flow answered."""
    return answered(snapshot, scope, cde_flows(snapshot, scope, facts))


def cde_flows(snapshot: Snapshot, scope: ScopeConfig, facts: Facts | None = None) -> list[Flow]:
    """Flows into every CDE pod class on each port it serves, from one pod of every non-CDE namespace
    (the one that reaches furthest, so a gap shows) and from the internet; then the AWS ones (below)."""
    facts = facts if facts is not None else _facts(snapshot, scope)
    namespaces = _namespace_facts(snapshot, facts)
    flows: list[Flow] = []
    if any(r.type == "k8s.pod" for r in snapshot.resources):
        reach = Reach.compute(Cluster.from_resources(snapshot.resources))
        flows += _k8s_cde_flows(reach, {ns: f.get("scope") for ns, f in namespaces.items()})
    return flows + _aws_cde_flows(snapshot, scope)


def tenant_flows(snapshot: Snapshot, scope: ScopeConfig, facts: Facts | None = None) -> list[Flow]:
    """For every ordered pair of tenants, the flows from the one into the other that must be denied: in
    Kubernetes one per pair (from the source tenant's pod class that reaches furthest into the other's,
    on each port that class serves); in AWS from every subnet of one into each instance, database and
    load balancer of the other, on the ports it answers on."""
    facts = facts if facts is not None else _facts(snapshot, scope)
    namespaces = _namespace_facts(snapshot, facts)
    flows: list[Flow] = []
    tenants = {ns: str(f["tenant"]) for ns, f in namespaces.items() if f.get("tenant")}
    if len(set(tenants.values())) > 1 and any(r.type == "k8s.pod" for r in snapshot.resources):
        flows += _k8s_tenant_flows(Reach.compute(Cluster.from_resources(snapshot.resources)), tenants)
    return flows + _aws_tenant_flows(snapshot, scope)


def _facts(snapshot: Snapshot, scope: ScopeConfig) -> Facts:
    from pcicheck.analyze.estate import analyze

    return analyze(snapshot.resources, scope).facts


def answered(snapshot: Snapshot, scope: ScopeConfig, flows: list[Flow]) -> list[dict[str, Any]]:
    answers = answer(snapshot, flows, scope)
    for a in answers:
        a["expect"] = "denied"
    return answers


def _namespace_facts(snapshot: Snapshot, facts: Facts) -> dict[str, Mapping[str, Any]]:
    """Namespace name → its scope facts (scope, tenant)."""
    return {
        str(r.attributes.get("labels", {}).get("kubernetes.io/metadata.name", r.name.split()[-1])): facts[r.uid]
        for r in snapshot.resources
        if r.type == "k8s.namespace"
    }


def _ports(dst: PodClass) -> list[tuple[int, str]]:
    return sorted({(n, proto) for _, n, proto in dst.ports}) or [(443, "TCP")]


def _k8s_cde_flows(reach: Reach, scopes: Mapping[str, Any]) -> list[Flow]:
    cde = [c for c in reach.classes if scopes.get(c.namespace) == "cde"]
    outside: dict[str, list[PodClass]] = {}
    for c in reach.classes:
        if scopes.get(c.namespace) != "cde" and not c.host_network:
            outside.setdefault(c.namespace, []).append(c)
    flows: list[Flow] = []
    for dst in cde:
        target = dst.representative.key
        ports = _ports(dst)
        reaching = {src.index for src, _ in reach.sources(dst)}
        for ns in sorted(outside):
            candidates = outside[ns]
            src = next((c for c in candidates if c.index in reaching), candidates[0])
            flows += [Flow(src.representative.key, target, n, proto, expect="denied") for n, proto in ports]
        flows += [Flow(INTERNET_PROBE, target, n, proto, expect="denied") for n, proto in ports]
    return flows


def _k8s_tenant_flows(reach: Reach, tenants: Mapping[str, str]) -> list[Flow]:
    members: dict[str, list[PodClass]] = {}
    for c in reach.classes:
        if c.namespace in tenants and not c.host_network:
            members.setdefault(tenants[c.namespace], []).append(c)
    masks = {t: sum(1 << c.index for c in cs) for t, cs in members.items()}
    flows: list[Flow] = []
    for target_tenant in sorted(members):
        dsts = members[target_tenant]
        for source_tenant in sorted(members):
            if source_tenant == target_tenant:
                continue
            # The destination this tenant reaches (allowed before possible), else the first: a gap shows.
            mask = masks[source_tenant]
            dst = next((d for d in dsts if reach.allowed[d.index] & mask), None)
            dst = dst or next((d for d in dsts if reach.possible[d.index] & mask), dsts[0])
            hit = (reach.allowed[dst.index] | reach.possible[dst.index]) & mask
            src = reach.classes[(hit & -hit).bit_length() - 1] if hit else members[source_tenant][0]
            pair = (src.representative.key, dst.representative.key)
            flows += [Flow(*pair, n, protocol, expect="denied") for n, protocol in _ports(dst)]
    return flows


def _aws_cde_flows(snapshot: Snapshot, scope: ScopeConfig) -> list[Flow]:
    """Into each CDE instance, database, load balancer (ELBv2 or Classic) and EKS endpoint on the ports
    it answers on, from every non-CDE subnet and from the internet. An internet-facing CDE load
    balancer serving the public on its listeners is the DMZ's purpose (1.3.1), so that one flow is not
    in the plan."""
    if not any(r.type == "aws.ec2.subnet" for r in snapshot.resources):
        return []
    from pcicheck.analyze.aws_reach import BALANCERS

    network = aws_network(snapshot, scope)
    outside = _subnet_names(network, lambda s: s.scope != "cde")
    flows: list[Flow] = []
    for node in sorted(network.nodes.values(), key=lambda n: n.id):
        if node.scope != "cde":
            continue
        target = network.name_of(node)
        for port, protocol in _node_ports(node):
            flows += [
                Flow(name, target, port, protocol, expect="denied", uids=(uid, node.uid)) for name, uid in outside
            ]
            public_service = node.type in BALANCERS and node.public and node.services
            if not public_service:
                flows.append(Flow("internet", target, port, protocol, expect="denied"))
    return flows


def _aws_tenant_flows(snapshot: Snapshot, scope: ScopeConfig) -> list[Flow]:
    if not any(r.type == "aws.ec2.subnet" for r in snapshot.resources):
        return []
    network = aws_network(snapshot, scope)
    flows: list[Flow] = []
    for node in sorted(network.nodes.values(), key=lambda n: n.id):
        if node.tenant is None:
            continue
        others = _subnet_names(network, lambda s, t=node.tenant: s.tenant is not None and s.tenant != t)
        target = network.name_of(node)
        for port, protocol in _node_ports(node):
            flows += _from_subnets(others, target, node.uid, port, protocol)
    return flows


def _from_subnets(subnets: list[tuple[str, str]], target: str, uid: str, port: int, protocol: str) -> list[Flow]:
    return [Flow(name, target, port, protocol, expect="denied", uids=(subnet, uid)) for name, subnet in subnets]


def _subnet_names(network: Any, keep: Any) -> list[tuple[str, str]]:
    """The subnets `keep` selects, by Name tag where that is unambiguous (it reads better in a plan),
    with their uids."""
    names = Counter(s.name for s in network.subnets.values())
    return sorted(
        (s.name if s.name != s.id and names[s.name] == 1 else s.id, s.uid) for s in network.subnets.values() if keep(s)
    )


def _node_ports(node: Any) -> list[tuple[int, str]]:
    ports = [(proto, low) for proto, low, _ in node.services or () if proto in _PLAN_PROTOCOLS]
    return [(port, _PLAN_PROTOCOLS[proto]) for proto, port in ports or _FALLBACK_PORTS]

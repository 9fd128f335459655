"""The reachability facts written on resources for controls to read (`reach_facts`), and the
'connected-to' systems of PCI scoping (`connected_to`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pcicheck.analyze.aws_reach.model import (
    BALANCERS,
    CLUSTER,
    DATABASE,
    DST,
    GROUP,
    INSTANCE,
    NODE_TYPES,
    ORDER,
    SRC,
    SUBNET,
    End,
    Exposure,
    Node,
    name_path,
)
from pcicheck.analyze.aws_reach.network import Network
from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.model import Resource

_NETWORK = ("aws.ec2.vpc", SUBNET, "aws.ec2.route_table", "aws.ec2.network_acl", GROUP)
# Sources are subnets and the holders of referenced groups (EKS endpoints open no connections).
_SOURCES = (*_NETWORK, INSTANCE, DATABASE, *BALANCERS)
# How many peers one connected_to_cde fact lists (a flat network could pair every resource).
PEER_LIMIT = 10

# Which sources a selection keeps, by their scope and tenant.
Keep = Callable[[str, str | None], bool]
# A CDE peer the node links with: (direction, peer, summary of the exposure).
Link = tuple[str, Node, dict[str, Any]]


def reach_facts(
    resources: Iterable[Resource], scopes: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """uid → reachability facts, for instances, RDS instances, load balancers (ELBv2 and Classic), EKS
    clusters and subnets (see REACHABILITY below). Unknowns are null, never an empty list or false.
    An EC2-Classic balancer has internet ingress (`possible` on its listeners) but no sources or links:
    where it sits relative to the VPCs is not modelled, so those facts are null."""
    resources = list(resources)
    network = Network.from_resources(resources, scopes)
    facts: dict[str, dict[str, Any]] = {}
    work = _Facts(network)
    for r in resources:
        if r.type == SUBNET:
            subnet = network.subnets.get(str(r.attributes.get("subnet_id")))
            facts[r.uid] = {"internet_routes": network.internet_routes(subnet) if subnet else None}
        if r.type not in NODE_TYPES:
            continue
        node = network.nodes.get(r.uid)
        if node is None:  # a terminated instance: nothing reaches it any more
            facts[r.uid] = {"internet_ingress": [], "reachable_from_internet": False}
            if r.type == INSTANCE:
                facts[r.uid]["internet_egress"] = []
            continue
        facts[r.uid] = {**_internet_facts(network, node), **_peer_facts(work, node)}
    return facts


def connected_to(
    resources: Iterable[Resource], scopes: Mapping[str, Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The 'connected-to' systems of PCI scoping: every non-CDE resource that can reach a CDE
    resource (direction 'to-cde') or be reached by one ('from-cde'), with its links: per CDE peer
    the ports, the verdict and one path ('via'); at most PEER_LIMIT peers per direction."""
    resources = list(resources)
    network = Network.from_resources(resources, scopes)
    work = _Facts(network)
    out = []
    for node in sorted(network.nodes.values(), key=lambda n: n.uid):
        if node.scope == "cde" or not node.subnets:
            continue
        links = work.connections(node)
        if links:
            out.append({"uid": node.uid, "type": node.type, "name": node.name, "links": links})
    return out


_INTERNET = End("internet", "internet")


def _internet_facts(network: Network, node: Node) -> dict[str, Any]:
    """Ingress from (and for an instance egress to) the internet; null where the node's placement is
    not known at all."""
    known = bool(node.subnets) or (node.type == CLUSTER and node.eks_public is not None) or node.ec2_classic
    entry: dict[str, Any] = {}
    if known:
        ingress = network.exposure(_INTERNET, network.node_end(node))
        entry["internet_ingress"] = _exposure_facts(ingress)
        entry["reachable_from_internet"] = _reachable(ingress)
    else:
        entry["internet_ingress"] = entry["reachable_from_internet"] = None
    if node.type == INSTANCE:
        entry["internet_egress"] = (
            _exposure_facts(network.exposure(network.node_end(node), _INTERNET)) if known else None
        )
    return entry


def _peer_facts(work: _Facts, node: Node) -> dict[str, Any]:
    """Who outside the CDE (or another tenant) reaches a node, or which CDE resources a node links with."""
    placed = bool(node.subnets)
    entry: dict[str, Any] = {}
    if node.scope == "cde":
        entry["non_cde_sources"] = work.sources(node, "non-cde", _outside_cde) if placed else None
    else:
        entry["connected_to_cde"] = work.connections(node) if placed else None
    if node.tenant:
        tenant = node.tenant
        entry["other_tenant_sources"] = (
            work.sources(node, "other-tenant", lambda _, t: t is not None and t != tenant) if placed else None
        )
    return entry


def _outside_cde(scope: str, _tenant: str | None) -> bool:
    return scope != "cde"


def _summary(found: list[Exposure]) -> dict[str, Any]:
    """Ports, best verdict and one path (of the first allowed port, else the first possible one)."""
    top = max((e.verdict for e in found), key=ORDER.__getitem__)
    first = next(e for e in found if e.verdict == top)
    return {"ports": [e.ports for e in found], "verdict": top, "path": list(first.path)}


def _exposure_facts(found: list[Exposure]) -> list[dict[str, Any]]:
    return [{"ports": e.ports, "verdict": e.verdict, "path": list(e.path)} for e in found]


def _reachable(found: list[Exposure]) -> bool | None:
    if any(e.verdict == "allowed" for e in found):
        return True
    return None if found else False


class _Split(Exception):
    """A rule cuts through a subnet the shape does not decide: gather by exact address instead."""


class _Facts:
    """The facts of one network. Sources and links are gathered once per network shape with the
    resource left anonymous, then named for each resource of that shape; when a rule cuts through
    a subnet the shape does not decide, and that resource is gathered by its exact address."""

    def __init__(self, network: Network) -> None:
        self.net = network
        self.cde: dict[tuple[Any, ...], list[Node]] = defaultdict(list)
        # sg id → (shape, scope, tenant) → the nodes holding the group
        self.holders: dict[str, dict[tuple[Any, ...], list[Node]]] = defaultdict(lambda: defaultdict(list))
        for node in sorted(network.nodes.values(), key=lambda n: n.uid):
            if node.scope == "cde" and node.subnets:
                self.cde[node.shape].append(node)
            for gid in node.groups or ():
                self.holders[gid][(node.shape, node.scope, node.tenant)].append(node)
        self._sources: dict[tuple[Any, ...], list[dict[str, Any]] | None] = {}
        self._links: dict[tuple[Any, ...], list[Link] | None] = {}

    # --- who can reach a resource ----------------------------------------------------------------

    def sources(self, node: Node, kind: str, keep: Keep) -> list[dict[str, Any]]:
        """Subnets (any address in them) and security groups (the resources holding them) selected
        by `keep(scope, tenant)` that can reach the node on some port; `kind` names the selection."""
        key = (node.shape, kind, node.tenant)
        if key not in self._sources:
            self._sources[key] = self._gather_sources(node, keep, exact=False)
        found = self._sources[key]
        if found is None:
            found = self._gather_sources(node, keep, exact=True)
            assert found is not None
        return [entry for e in found if (entry := self._named_source(e, node)) is not None]

    def _gather_sources(self, node: Node, keep: Keep, exact: bool) -> list[dict[str, Any]] | None:
        """The sources of a node (exact) or of any node of its shape; None when the shape is not enough."""
        try:
            return self._subnet_sources(node, keep, exact) + self._group_sources(node, keep, exact)
        except _Split:
            return None

    def _ask(self, src: End, dst: End, exact: bool) -> list[Exposure]:
        if exact:
            return self.net.exposure(src, dst)
        found, split = self.net.shared_exposure(src, dst)
        if split:
            raise _Split
        return found

    def _destination(self, node: Node, exact: bool) -> End:
        return self.net.node_end(node) if exact else End(DST, "node", node=node)

    def _subnet_sources(self, node: Node, keep: Keep, exact: bool) -> list[dict[str, Any]]:
        dst = self._destination(node, exact)
        out: list[dict[str, Any]] = []
        for subnet in self.net.source_subnets(node):
            if not keep(subnet.scope, subnet.tenant):
                continue
            found = self._ask(self.net.subnet_end(subnet), dst, exact)
            if found:
                out.append(
                    {
                        "source": subnet.id,
                        "uid": subnet.uid,
                        "type": SUBNET,
                        "name": subnet.name,
                        "tenant": subnet.tenant,
                        **_summary(found),
                    }
                )
        return out

    def _group_sources(self, node: Node, keep: Keep, exact: bool) -> list[dict[str, Any]]:
        # A rule naming a group admits its holders wherever they sit: list the group, with them.
        net = self.net
        out: list[dict[str, Any]] = []
        for gid in self._referenced(node):
            reached = self._holders_reaching(node, gid, keep, exact)
            if reached:
                group = net.groups.get(gid)
                out.append(
                    {
                        "source": gid,
                        "uid": group.uid if group else gid,
                        "type": GROUP,
                        "name": group.name if group else gid,
                        "tenant": None,
                        "_members": reached,
                    }
                )
        return out

    def _referenced(self, node: Node) -> list[str]:
        """The groups the ingress rules of the node's groups name, sorted."""
        groups = self.net.groups
        return sorted(
            {
                gid
                for g in node.groups or ()
                for rule in ((groups[g].ingress or ()) if g in groups else ())
                for gid in rule.groups
            }
        )

    def _holders_reaching(self, node: Node, gid: str, keep: Keep, exact: bool) -> list[tuple[Node, dict[str, Any]]]:
        """The holders of the group, among those `keep` selects, that can reach the node."""
        net = self.net
        dst = self._destination(node, exact)
        reached: list[tuple[Node, dict[str, Any]]] = []
        for (_, scope, tenant), members in self.holders.get(gid, {}).items():
            if not keep(scope, tenant):
                continue
            if exact:
                for m in members:
                    if m.uid != node.uid and (found := net.exposure(net.node_end(m), dst)):
                        reached.append((m, _summary(found)))
                continue
            found = self._ask(End(SRC, "node", node=members[0]), dst, exact)
            if found:
                summary = _summary(found)
                reached += [(m, summary) for m in members]
        return reached

    @staticmethod
    def _named_source(entry: dict[str, Any], node: Node) -> dict[str, Any] | None:
        out = dict(entry)
        members = out.pop("_members", None)
        if members is None:
            out["path"] = name_path(out["path"], out["source"], node.id)
            return out
        members = [(m, s) for m, s in members if m.uid != node.uid]
        if not members:
            return None
        top = max((s["verdict"] for _, s in members), key=ORDER.__getitem__)
        first, summary = next((m, s) for m, s in members if s["verdict"] == top)
        out.update(
            members=[m.uid for m, _ in members[:PEER_LIMIT]],
            member_count=len(members),
            member_tenants=sorted({m.tenant for m, _ in members if m.tenant}),
            ports=sorted({p for _, s in members for p in s["ports"]}),
            verdict=top,
            path=name_path(summary["path"], first.id, node.id),
        )
        return out

    # --- a non-CDE resource's links with the CDE --------------------------------------------------

    def connections(self, node: Node) -> list[dict[str, Any]]:
        """One link per CDE peer: resources the node can reach (to-cde) and resources that can reach
        it (from-cde); at most PEER_LIMIT per direction."""
        key = node.shape
        if key not in self._links:
            self._links[key] = self._gather_links(node, exact=False)
        found = self._links[key]
        if found is None:
            found = self._gather_links(node, exact=True)
            assert found is not None
        out = []
        for direction, peer, summary in found:
            src, dst = (node.id, peer.id) if direction == "to-cde" else (peer.id, node.id)
            out.append(
                {
                    "direction": direction,
                    "peer": peer.uid,
                    "peer_type": peer.type,
                    "ports": summary["ports"],
                    "verdict": summary["verdict"],
                    "via": name_path(summary["path"], src, dst),
                }
            )
        return out

    def _gather_links(self, node: Node, exact: bool) -> list[Link] | None:
        net = self.net
        reach_into = {node.vpc} | {v for v, froms in net.routes_to.items() if node.vpc in froms}
        reached_from = {node.vpc} | net.routes_to.get(node.vpc or "", set())
        out: list[Link] = []
        for direction, vpcs in (("to-cde", reach_into), ("from-cde", reached_from)):
            links: list[Link] = []
            for members in self.cde.values():
                if len(links) >= PEER_LIMIT:
                    break
                if members[0].vpc not in vpcs:
                    continue
                if exact:
                    here = net.node_end(node)
                    for m in members:
                        there = net.node_end(m)
                        found = net.exposure(here, there) if direction == "to-cde" else net.exposure(there, here)
                        if found:
                            links.append((direction, m, _summary(found)))
                    continue
                here, there = End(SRC, "node", node=node), End(DST, "node", node=members[0])
                found, split = net.shared_exposure(*((here, there) if direction == "to-cde" else (there, here)))
                if split:
                    return None
                if found:
                    summary = _summary(found)
                    links += [(direction, m, summary) for m in members]
            out += sorted(links, key=lambda x: x[1].uid)[:PEER_LIMIT]
        return out


def _analyze(inputs: AnalysisInput) -> FactMap:
    return reach_facts(inputs.resources, inputs.earlier["scope"])


# On aws.ec2.instance, aws.rds.instance, the load balancers and aws.eks.cluster. A verdict is 'allowed',
# or 'possible' where something could not be read or is not visible (prefix lists, transit gateways,
# IPv6 addresses); null means the resource's own placement is unknown. Paths name each rule passed, e.g.
# "rtb-1 0.0.0.0/0 → igw-1", "acl-1 inbound rule 100 allow", "sg-1 ingress tcp 443 from 0.0.0.0/0".
# Each fact reads the listings it is built from: a missing table, ACL, group or peer could change it.
REACHABILITY = Analyzer(
    "aws-reachability",
    (
        Fact(
            "internet_ingress",
            "AWS: list of {ports ('443/tcp', '8000-8010/tcp', 'all/udp', 'icmp'), verdict, path} on which some "
            "internet address can open connections to it ([] when none), or null",
            _NETWORK,
        ),
        Fact(
            "reachable_from_internet",
            "AWS: true if some port is allowed from the internet, null if only possible or unknown, false if none",
            _NETWORK,
        ),
        Fact(
            "internet_egress",
            "aws.ec2.instance only: list of {ports, verdict, path} on which it can open connections to the "
            "internet (through an internet gateway with its public IP, a NAT gateway, …), or null",
            _NETWORK,
        ),
        Fact(
            "internet_routes",
            "aws.ec2.subnet only: routes of its table whose destination holds internet addresses, as "
            "{destination, kind ('igw'|'nat'|'eigw'|'tgw'|'peering'|'vgw'|'endpoint'|'instance'|'interface'|…), "
            "target}; null when the table is unknown",
            ("aws.ec2.vpc", SUBNET, "aws.ec2.route_table"),
        ),
        Fact(
            "non_cde_sources",
            "AWS, CDE resources only: list of non-CDE sources that can reach it: {source (subnet-… meaning any "
            "address in it, or sg-… meaning the resources holding a group its rules name), uid, type, name, "
            "tenant, ports, verdict, path; for groups also members (up to 10 uids), member_count, "
            "member_tenants}; null when its placement is unknown",
            _SOURCES,
        ),
        Fact(
            "other_tenant_sources",
            "AWS, resources with a tenant only: the same entries, for sources whose tenant is another (subnets) "
            "or held by resources of another tenant (groups, see member_tenants)",
            _SOURCES,
        ),
        Fact(
            "connected_to_cde",
            "AWS, non-CDE resources only: links that put it in PCI scope as connected-to, one per CDE peer "
            "{direction ('to-cde'|'from-cde'), peer (uid), peer_type, ports, verdict, via (path)}, at most "
            f"{PEER_LIMIT} per direction; [] when none, null when its placement is unknown",
            (*_NETWORK, *NODE_TYPES),
        ),
    ),
    _analyze,
)

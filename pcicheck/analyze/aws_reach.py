"""AWS network reachability: can this open a connection to that, on which ports, through which rules.

The model follows the VPC documentation:
- Security groups are stateful and allow-only: a flow needs some ingress rule of some group on the
  destination's interface and some egress rule of some group on the source's; replies are implied.
  A rule names a CIDR, a security group (matching interfaces that hold it, by private address) or
  a prefix list (whose contents are not collected: "possible").
- Network ACLs are stateless and ordered: per subnet and direction, the lowest-numbered matching
  entry decides and `*` denies. Crossing a subnet boundary needs the destination subnet's inbound
  (service port) and outbound (reply to the client's ephemeral port, 1024-65535) entries, and for a
  source inside a VPC its own subnet's outbound and inbound-reply entries. Traffic within one subnet
  crosses no ACL.
- Routes: longest prefix match in the subnet's table. From the internet only a resource with a
  public address in a subnet whose table sends internet addresses to an internet gateway; NAT is
  egress only. Within a VPC the `local` route; between VPCs a peering route on both sides with the
  same pcx-; transit gateways, appliances and VPN gateways hide the far side: "possible".
- Load balancers (ELBv2 and Classic) have a node in each of their subnets and answer only on their
  listener ports; the scheme says whether they have internet addresses. Forwarding to targets is not
  modelled: a balancer reaches its registered instances as any other source would, through its own
  groups' egress and the instances' ingress. A Classic balancer in EC2-Classic (no VPC) sits where no
  route, ACL or VPC group is seen: every flow to or from it is "possible", except on ports it does not
  listen on.

"The internet" is every address outside private, shared, loopback, link-local, multicast and
reserved space and outside every scanned VPC. A set of addresses (the internet, a subnet) is judged
exactly by cutting it at every CIDR boundary the rules in play mention: inside one piece every rule
answers alike, so one address per piece stands for the piece. Ports are cut the same way.

Fail closed: whatever could not be read (an absent attribute, a group or table not in the snapshot)
makes the answer "possible" or the fact null (unknown), never "denied" or false. IPv6 addresses of
instances, databases and subnets are not collected, so an IPv6 path to them is at best "possible".
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pcicheck.analyze.addresses import NOT_INTERNET
from pcicheck.analyze.k8s_reach import Decision, Verdict
from pcicheck.model import Resource

INSTANCE = "aws.ec2.instance"
DATABASE = "aws.rds.instance"
BALANCER = "aws.elbv2.load_balancer"
CLASSIC = "aws.elb.load_balancer"  # Classic Load Balancer (ELB v1)
BALANCERS = (BALANCER, CLASSIC)
CLUSTER = "aws.eks.cluster"
SUBNET = "aws.ec2.subnet"
GROUP = "aws.ec2.security_group"
NODE_TYPES = (INSTANCE, DATABASE, BALANCER, CLASSIC, CLUSTER)
_NETWORK = ("aws.ec2.vpc", SUBNET, "aws.ec2.route_table", "aws.ec2.network_acl", GROUP)
# Fact → the listings it is built from: when one of them failed, a control reading the fact is
# `error` (engine.py), since a missing table, ACL, group or peer could change the answer.
FACT_SOURCES: dict[str, tuple[str, ...]] = {
    "internet_ingress": _NETWORK,
    "reachable_from_internet": _NETWORK,
    "internet_egress": _NETWORK,
    "internet_routes": ("aws.ec2.vpc", SUBNET, "aws.ec2.route_table"),
    # Sources are subnets and the holders of referenced groups (EKS endpoints open no connections).
    "non_cde_sources": (*_NETWORK, INSTANCE, DATABASE, *BALANCERS),
    "other_tenant_sources": (*_NETWORK, INSTANCE, DATABASE, *BALANCERS),
    "connected_to_cde": (*_NETWORK, *NODE_TYPES),
}

_ORDER: dict[str, int] = {"denied": 0, "possible": 1, "allowed": 2}
_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "-1": -1, "all": -1}
_NAMES = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", -1: "all"}
_PORTED = (6, 17)
EPHEMERAL = (1024, 65535)
STAR = 32767  # the number AWS gives each ACL's final catch-all entry, shown as '*'

_TOP = {4: 2**32 - 1, 6: 2**128 - 1}
_GONE_STATES = ("terminated", "shutting-down")
# Listener protocols (ELBv2 and Classic) → the IP protocols they answer on.
_LISTENER_PROTOCOLS = {
    "HTTP": (6,),
    "HTTPS": (6,),
    "TCP": (6,),
    "TLS": (6,),
    "SSL": (6,),
    "UDP": (17,),
    "TCP_UDP": (6, 17),
}
# Where a route can hand traffic on to a network we do not see.
_OPAQUE = ("tgw", "vgw", "instance", "interface", "endpoint", "gateway", "other")
# How many peers one connected_to_cde fact lists (a flat network could pair every resource).
PEER_LIMIT = 10

Net = tuple[int, int, int]  # (IP version, first address, last address), addresses as integers


def _net(text: Any) -> Net | None:
    try:
        n = ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None
    return (n.version, int(n.network_address), int(n.broadcast_address))


def _prefix(net: Net) -> int:
    bits = 32 if net[0] == 4 else 128
    return bits - (net[2] - net[1] + 1).bit_length() + 1


def _match(rule: Net, x: Net) -> bool | None:
    """Does `rule` hold `x`? None when it holds only part of a range `x` (an address inside it)."""
    if rule[0] != x[0] or rule[2] < x[1] or x[2] < rule[1]:
        return False
    if rule[1] <= x[1] and x[2] <= rule[2]:
        return True
    return None


def _text(x: Net) -> str:
    if x[1] == x[2]:
        return str(ipaddress.ip_address(x[1]) if x[0] == 4 else ipaddress.IPv6Address(x[1]))
    size = x[2] - x[1] + 1
    first = ipaddress.IPv4Address(x[1]) if x[0] == 4 else ipaddress.IPv6Address(x[1])
    return f"{first}/{_prefix(x)}" if size & (size - 1) == 0 else f"{first}-{_text((x[0], x[2], x[2]))}"


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


_NOT_INTERNET: dict[int, list[Net | None]] = {v: [_net(n) for n in NOT_INTERNET if n.version == v] for v in (4, 6)}


def _pieces(lo: int, hi: int, cuts: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """[lo, hi] cut at the edges of every span in `cuts`: within a piece each span holds all or nothing."""
    points = {lo}
    for a, b in cuts:
        if lo < a <= hi:
            points.add(a)
        if lo <= b < hi:
            points.add(b + 1)
    starts = sorted(points)
    return [(s, (starts[i + 1] - 1) if i + 1 < len(starts) else hi) for i, s in enumerate(starts)]


def _ports_text(protocol: int, low: int, high: int) -> str:
    if protocol not in _PORTED:
        return _NAMES.get(protocol, str(protocol))
    if (low, high) == (0, 65535):
        return f"all/{_NAMES[protocol]}"
    return f"{low}/{_NAMES[protocol]}" if low == high else f"{low}-{high}/{_NAMES[protocol]}"


def _protocol(value: Any) -> int:
    text = str(value).lower()
    if text in _PROTOCOLS:
        return _PROTOCOLS[text]
    return int(text)  # numbered protocols as AWS reports them ("50" for ESP)


# --- the network, as read from the snapshot --------------------------------------------------------


@dataclass(frozen=True)
class SgRule:
    group: str
    egress: bool
    protocol: int
    low: int
    high: int
    nets: tuple[tuple[Net, str], ...]  # (range, as written)
    groups: tuple[str, ...]
    prefix_lists: tuple[str, ...]

    def covers(self, protocol: int, port: int) -> bool:
        if self.protocol == -1:
            return True
        if self.protocol != protocol:
            return False
        return protocol not in _PORTED or self.low <= port <= self.high

    def describe(self, peer: str) -> str:
        what = "all traffic" if self.protocol == -1 else _ports_text(self.protocol, self.low, self.high)
        if self.protocol in _PORTED:
            name, _, _ = what.partition("/")
            what = f"{_NAMES[self.protocol]} {'all' if name == 'all' else name}"
        return f"{self.group} {'egress' if self.egress else 'ingress'} {what} {'to' if self.egress else 'from'} {peer}"


@dataclass(frozen=True)
class Group:
    id: str
    uid: str
    name: str
    ingress: tuple[SgRule, ...] | None  # None: the rules could not be read
    egress: tuple[SgRule, ...] | None


@dataclass(frozen=True)
class AclEntry:
    number: int
    protocol: int
    low: int
    high: int
    net: Net | None  # None: the entry's CIDR is unreadable
    cidr: str
    allow: bool

    def covers(self, protocol: int, low: int, high: int) -> bool:
        """Whether the entry applies to some port of [low, high] for `protocol`."""
        if self.protocol == -1:
            return True
        if self.protocol != protocol:
            return False
        return protocol not in _PORTED or (self.low <= high and low <= self.high)


@dataclass(frozen=True)
class Acl:
    id: str
    inbound: tuple[AclEntry, ...] | None  # by rule number; None: entries could not be read
    outbound: tuple[AclEntry, ...] | None


@dataclass(frozen=True)
class Route:
    dest: Net | None  # None: a prefix list (contents not collected)
    dest_text: str
    kind: str  # local | igw | eigw | nat | peering | tgw | vgw | endpoint | instance | interface | gateway | other
    target: str
    prefix: int

    def describe(self, table: str) -> str:
        return f"{table} {self.dest_text} → {self.target}"


@dataclass(frozen=True)
class Subnet:
    id: str
    uid: str
    name: str
    vpc: str | None
    net: Net | None
    table: str | None  # None: the route table is unknown
    acl: str | None  # None: the network ACL is unknown
    scope: str
    tenant: str | None


@dataclass(frozen=True)
class Node:
    """A resource that can be reached or can connect: an instance, a database, a load balancer (ELBv2
    or Classic), or an EKS cluster's API endpoint. Its network shape (`shape`) is everything
    reachability depends on."""

    uid: str
    type: str
    id: str
    name: str
    scope: str
    tenant: str | None
    vpc: str | None
    subnets: tuple[str, ...]
    one_of: bool  # sits in one (unknown) of its subnets, rather than in all of them
    groups: tuple[str, ...] | None  # None: unknown
    filtered: bool  # security groups apply (False: a network load balancer without groups)
    address: Net | None  # the exact private address, when known
    public: bool | None  # has an address the internet can reach
    public_note: str
    ipv6: bool | None  # has IPv6 addresses (None: not collected)
    services: tuple[tuple[int, int, int], ...] | None  # (protocol, low, high) it answers on; None: any
    eks_public: bool | None = None  # EKS: public endpoint on
    eks_cidrs: tuple[tuple[Net, str], ...] | None = None  # EKS: the CIDRs the public endpoint admits
    private: bool | None = True  # reachable on its private addresses (EKS: private endpoint on)
    ec2_classic: bool = False  # a Classic Load Balancer in EC2-Classic: outside every VPC, path not modelled

    @property
    def shape(self) -> tuple[Any, ...]:
        return (
            self.type,
            self.vpc,
            self.subnets,
            self.one_of,
            self.groups,
            self.filtered,
            self.public,
            self.public_note,
            self.ipv6,
            self.services,
            self.eks_public,
            self.eks_cidrs,
            self.private,
            self.ec2_classic,
        )


@dataclass(frozen=True)
class End:
    """One end of a flow: the internet, a range of addresses (a subnet, a CIDR), or a node."""

    label: str
    kind: Literal["internet", "range", "node"]
    net: Net | None = None
    subnet: Subnet | None = None  # a range inside one scanned subnet
    node: Node | None = None

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.kind, self.label, self.net, self.node.shape if self.node else None)


@dataclass(frozen=True)
class Spot:
    """One concrete position and address of an end, as one flow sees it."""

    label: str
    addr: Net
    subnet: Subnet | None
    groups: tuple[str, ...] | None  # () for a bare address
    node: Node | None = None
    internet: bool = False
    external: bool = False  # outside every scanned VPC but not on the internet (on-premises, …)
    missing: str | None = None  # the subnet it sits in is not in the snapshot
    stand_in: bool = False  # `addr` is the subnet standing in for a known exact address


@dataclass
class _Trace:
    reasons: list[str] = field(default_factory=list)
    split: bool = False  # a rule held only part of a stand-in range: judge the exact address instead
    passed: int = 0  # steps passed before a denial: the denial that got furthest explains best


@dataclass(frozen=True)
class Exposure:
    """Ports on which a flow is allowed or possible, and the rules one such flow passes."""

    protocol: int
    low: int
    high: int
    verdict: Verdict
    path: tuple[str, ...]

    @property
    def ports(self) -> str:
        return _ports_text(self.protocol, self.low, self.high)


def _worst(a: str, b: str) -> Verdict:
    return a if _ORDER[a] <= _ORDER[b] else b  # type: ignore[return-value]


def _best(a: str, b: str) -> Verdict:
    return a if _ORDER[a] >= _ORDER[b] else b  # type: ignore[return-value]


def _one_of(verdicts: list[Verdict]) -> Verdict:
    """The answer for something placed in one unknown position among several."""
    if all(v == verdicts[0] for v in verdicts):
        return verdicts[0]
    return "possible"


class Network:
    """Everything reachability needs from one snapshot, indexed by id."""

    def __init__(
        self,
        vpcs: dict[str, list[Net]],
        subnets: dict[str, Subnet],
        tables: dict[str, tuple[Route, ...] | None],
        acls: dict[str, Acl],
        groups: dict[str, Group],
        nodes: dict[str, Node],
        table_vpcs: dict[str, str] | None = None,
    ) -> None:
        self.vpcs = vpcs
        self.table_vpcs = table_vpcs or {}
        self.subnets = subnets
        self.tables = tables
        self.acls = acls
        self.groups = groups
        self.nodes = nodes
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for version, nets in _NOT_INTERNET.items():
            spans[version] += [(n[1], n[2]) for n in nets if n]
        for nets in vpcs.values():
            spans[4] += [(n[1], n[2]) for n in nets if n[0] == 4]
        self._excluded = {v: _merge(s) for v, s in spans.items()}
        self._excluded_starts = {v: [s for s, _ in e] for v, e in self._excluded.items()}
        self.holders: dict[str, list[Node]] = defaultdict(list)  # sg id → nodes holding it
        for node in nodes.values():
            for g in node.groups or ():
                self.holders[g].append(node)
        self.by_vpc: dict[str | None, list[Subnet]] = defaultdict(list)
        for s in subnets.values():
            self.by_vpc[s.vpc].append(s)
        self._names: dict[str, str] = {}
        for uid, node in sorted(nodes.items()):
            for alias in (node.id, node.name, uid):
                self._names.setdefault(alias, uid)
        self.routes_to = self._vpc_neighbours()
        self._cache: dict[tuple[Any, ...], tuple[list[Exposure], bool]] = {}
        self._acl_cache: dict[tuple[Any, ...], tuple[bool | None, str]] = {}

    # --- building ---------------------------------------------------------------------------------

    @classmethod
    def from_resources(
        cls, resources: Iterable[Resource], scopes: Mapping[str, Mapping[str, Any]] | None = None
    ) -> Network:
        resources = list(resources)
        scopes = scopes or {}
        by_type: dict[str, list[Resource]] = defaultdict(list)
        for r in resources:
            by_type[r.type].append(r)

        def scope_of(r: Resource) -> tuple[str, str | None]:
            found = scopes.get(r.uid) or {}
            return str(found.get("scope") or "non-cde"), found.get("tenant")

        vpcs: dict[str, list[Net]] = {}
        for r in by_type["aws.ec2.vpc"]:
            vpcs[str(r.attributes.get("vpc_id"))] = [n for n in map(_net, r.attributes.get("cidr_blocks") or ()) if n]
        tables: dict[str, tuple[Route, ...] | None] = {}
        table_vpcs: dict[str, str] = {}
        for r in by_type["aws.ec2.route_table"]:
            routes = r.attributes.get("routes")
            rid = str(r.attributes.get("route_table_id"))
            tables[rid] = tuple(_route(x) for x in routes) if isinstance(routes, list) else None
            if r.attributes.get("vpc_id"):
                table_vpcs[rid] = str(r.attributes["vpc_id"])
        acls: dict[str, Acl] = {}
        acl_of: dict[str, str] = {}
        default_acl: dict[str, str] = {}
        for r in by_type["aws.ec2.network_acl"]:
            aid = str(r.attributes.get("network_acl_id"))
            entries = r.attributes.get("entries")
            if isinstance(entries, list):
                parsed = sorted((e for e in entries if isinstance(e, dict)), key=lambda e: e.get("rule_number") or 0)
                acls[aid] = Acl(
                    aid,
                    tuple(_acl_entry(e) for e in parsed if not e.get("egress")),
                    tuple(_acl_entry(e) for e in parsed if e.get("egress")),
                )
            else:
                acls[aid] = Acl(aid, None, None)
            for sid in r.attributes.get("subnet_ids") or ():
                acl_of[str(sid)] = aid
            if r.attributes.get("is_default") is True:
                default_acl[str(r.attributes.get("vpc_id"))] = aid
        subnets: dict[str, Subnet] = {}
        for r in by_type[SUBNET]:
            a = r.attributes
            sid, vpc = str(a.get("subnet_id")), a.get("vpc_id")
            scope, tenant = scope_of(r)
            # Every subnet has exactly one ACL; one listed by none is on its VPC's default ACL.
            subnets[sid] = Subnet(
                sid,
                r.uid,
                r.name,
                vpc,
                _net(a["cidr"]) if a.get("cidr") else None,
                a.get("route_table_id") or None,
                acl_of.get(sid) or default_acl.get(str(vpc)),
                scope,
                tenant,
            )
        groups: dict[str, Group] = {}
        for r in by_type[GROUP]:
            gid = str(r.attributes.get("group_id"))
            groups[gid] = Group(
                gid,
                r.uid,
                r.name,
                _sg_rules(gid, r.attributes.get("ingress"), egress=False),
                _sg_rules(gid, r.attributes.get("egress"), egress=True),
            )
        nodes: dict[str, Node] = {}
        for t in NODE_TYPES:
            for r in by_type[t]:
                node = _node(r, *scope_of(r), subnets)
                if node is not None:
                    nodes[r.uid] = node
        return cls(vpcs, subnets, tables, acls, groups, nodes, table_vpcs)

    def _vpc_neighbours(self) -> dict[str, set[str | None]]:
        """VPC → the VPCs (None: subnets of no known VPC) whose route tables send some of its addresses
        somewhere other than the internet: those are the only places a connection into it can start."""
        owner: dict[str, str | None] = {}
        for s in self.subnets.values():
            if s.table:
                owner.setdefault(s.table, s.vpc)
        out: dict[str, set[str | None]] = defaultdict(set)
        for table, routes in self.tables.items():
            source_vpc = self.table_vpcs.get(table) or owner.get(table)
            for vpc, nets in self.vpcs.items():
                if vpc == source_vpc:
                    continue
                for route in routes or ():
                    if route.kind in ("local", "igw", "eigw", "nat") or (
                        route.dest is None and route.kind == "endpoint"
                    ):
                        continue
                    if route.dest is None or any(_match(route.dest, n) is not False for n in nets):
                        out[vpc].add(source_vpc)
                        break
        # A subnet whose table is unknown could route anywhere.
        for s in self.subnets.values():
            if s.table is None or s.table not in self.tables or self.tables[s.table] is None:
                for vpc in self.vpcs:
                    out[vpc].add(s.vpc)
        return out

    # --- ends ------------------------------------------------------------------------------------

    def endpoint(self, text: str) -> End:
        """`internet`, `cidr:IP` (or a CIDR), `subnet-…` or a subnet's Name tag (any address in it), an
        instance id or Name, an RDS identifier, a load balancer name or ARN, an EKS cluster name, or a uid."""
        if text == "internet":
            return End("internet", "internet")
        if text.startswith("cidr:"):
            net = _net(text[5:])
            if net is None:
                raise ValueError(f"{text[5:]!r} is not an IP address or CIDR")
            return self._range_end(text[5:], net)
        by_name = [s for s in self.subnets.values() if s.name == text and s.name != s.id]
        if text.startswith("subnet-") or (len(by_name) == 1 and text not in self._names):
            subnet = self.subnets.get(text) or (by_name[0] if by_name else None)
            if subnet is None:
                raise KeyError(f"no subnet {text!r} in the snapshot")
            if subnet.net is None:
                raise KeyError(f"the CIDR of {text} is not known")
            return End(subnet.id, "range", subnet.net, subnet)
        uid = self._names.get(text)
        if uid is None:
            raise KeyError(f"no instance, database, load balancer or EKS cluster {text!r} in the snapshot")
        node = self.nodes[uid]
        return End(node.id, "node", node=node)

    def name_of(self, node: Node) -> str:
        """The shortest name `endpoint` resolves to this node: its id, unless another resource (an
        ALB and a Classic balancer of the same name) took it first; then its uid."""
        return node.id if self._names.get(node.id) == node.uid else node.uid

    def _range_end(self, label: str, net: Net) -> End:
        if self._is_internet(net) and not any(_match(n, net) is not False for ns in self.vpcs.values() for n in ns):
            return End(label, "range", net)
        subnet = next((s for s in self.subnets.values() if s.net and _match(s.net, net) is True), None)
        return End(label, "range", net, subnet)

    def _first_free(self, version: int, lo: int, hi: int) -> int | None:
        """The first address in [lo, hi] on the internet, or None."""
        spans, starts = self._excluded[version], self._excluded_starts[version]
        i = bisect.bisect_right(starts, lo) - 1
        x = lo
        if i >= 0 and spans[i][1] >= x:
            x = spans[i][1] + 1
        return x if x <= hi else None

    def _is_internet(self, net: Net) -> bool:
        """Whether `net` holds any internet address."""
        return self._first_free(net[0], net[1], net[2]) is not None

    def _on_internet(self, end: End) -> bool:
        if end.kind == "internet":
            return True
        if end.kind != "range" or end.subnet is not None or end.net is None:
            return False
        inside = any(_match(n, end.net) is not False for ns in self.vpcs.values() for n in ns)
        return not inside and self._is_internet(end.net)

    def _positions(self, end: End, other: End) -> list[Spot]:
        """Where an end sits: one spot per subnet (a range stands for all of its addresses)."""
        if end.kind == "internet":
            return [Spot(end.label, (4, 0, _TOP[4]), None, (), internet=True)]
        if end.kind == "range":
            assert end.net is not None
            if end.subnet is not None:
                return [Spot(end.label, end.net, end.subnet, ())]
            return [Spot(end.label, end.net, None, (), internet=self._on_internet(end), external=True)]
        node = end.node
        assert node is not None
        if (node.type == CLUSTER and self._on_internet(other)) or node.ec2_classic:
            # From the internet only the public endpoint answers; it sits in none of our subnets.
            # An EC2-Classic balancer sits in none either: somewhere outside every VPC.
            return [Spot(end.label, (4, 0, _TOP[4]), None, node.groups, node, external=True)]
        spots = []
        for sid in node.subnets:
            subnet = self.subnets.get(sid)
            if subnet is None or subnet.net is None:
                addr = node.address or (4, 0, _TOP[4])
                spots.append(Spot(end.label, addr, subnet, node.groups, node, missing=sid if subnet is None else None))
            elif node.address is not None:
                # The subnet stands in for the exact address so equal shapes share one answer;
                # a rule that cuts through the subnet sends the flow back to the exact address.
                spots.append(Spot(end.label, subnet.net, subnet, node.groups, node, stand_in=True))
            else:
                spots.append(Spot(end.label, subnet.net, subnet, node.groups, node))
        return spots

    @staticmethod
    def _exact(spot: Spot) -> Spot:
        if not spot.stand_in or spot.node is None or spot.node.address is None:
            return spot
        return Spot(spot.label, spot.node.address, spot.subnet, spot.groups, spot.node, missing=spot.missing)

    # --- address and port pieces -----------------------------------------------------------------

    def _cuts(self, s: Spot, d: Spot) -> list[Net]:
        """Every CIDR the rules in play between these spots mention."""
        nets: list[Net] = []
        for spot, key in ((s, "egress"), (d, "ingress")):
            for gid in spot.groups or ():
                group = self.groups.get(gid)
                for rule in (getattr(group, key) or ()) if group else ():
                    nets.extend(n for n, _ in rule.nets)
            if spot.subnet:
                acl = self.acls.get(spot.subnet.acl or "")
                if acl:
                    nets.extend(e.net for e in (acl.inbound or ()) + (acl.outbound or ()) if e.net)
                nets.extend(r.dest for r in self.tables.get(spot.subnet.table or "") or () if r.dest)
            if spot.node and spot.node.eks_cidrs:
                nets.extend(n for n, _ in spot.node.eks_cidrs)
        return nets

    def _addresses(self, spot: Spot, cuts: list[Net]) -> Iterator[Spot]:
        """One stand-in per piece of the addresses the spot may be (internet pieces skip the
        non-internet space); a node is its own single address."""
        if spot.node is not None:
            yield spot
            return
        if spot.internet and spot.addr == (4, 0, _TOP[4]):
            ranges: list[Net] = [(4, 0, _TOP[4]), (6, 0, _TOP[6])]
        else:
            ranges = [spot.addr]
        for version, lo, hi in ranges:
            for a, b in _pieces(lo, hi, [(c[1], c[2]) for c in cuts if c[0] == version]):
                x = self._first_free(version, a, b) if spot.internet else a
                if x is not None:
                    yield Spot(
                        spot.label, (version, x, x), spot.subnet, spot.groups, None, spot.internet, spot.external
                    )

    def _port_cuts(self, spots: Iterable[Spot], protocol: int) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for spot in spots:
            for gid in spot.groups or ():
                group = self.groups.get(gid)
                for rule in ((group.ingress or ()) + (group.egress or ())) if group else ():
                    if rule.protocol == protocol:
                        spans.append((rule.low, rule.high))
            if spot.subnet:
                acl = self.acls.get(spot.subnet.acl or "")
                for e in ((acl.inbound or ()) + (acl.outbound or ())) if acl else ():
                    if e.protocol == protocol:
                        spans.append((e.low, e.high))
        return spans

    # --- one flow --------------------------------------------------------------------------------

    def _judge(self, s: Spot, d: Spot, protocol: int, port: int, trace: _Trace) -> Verdict:
        """Can `s` open a connection to `d` on protocol/port? The reasons go to the trace."""
        verdict: Verdict = "allowed"

        def step(v: Verdict, text: str) -> Verdict:
            nonlocal verdict
            trace.reasons.append(text)
            trace.passed += v == "allowed"
            verdict = _worst(verdict, v)
            return verdict

        node = d.node
        if (
            node
            and node.services is not None
            and not any(p == protocol and lo <= port <= hi for p, lo, hi in node.services)
        ):
            listed = ", ".join(_ports_text(*x) for x in node.services) or "no port"
            return step("denied", f"{d.label} answers only on {listed}")
        if node and node.services is None and node.type != INSTANCE:
            step("possible", f"the ports {d.label} answers on are unknown")
        if s.node and s.node.type == CLUSTER:
            return step("denied", f"{s.label} is an EKS API endpoint: it does not open connections")
        for spot in (s, d):
            if spot.node and spot.node.ec2_classic:
                # No subnet, route table, ACL or VPC security group stands between it and anything.
                return step("possible", f"{spot.label} is in EC2-Classic, outside every VPC: its path is not modelled")
        if node and node.type == CLUSTER and d.external:
            return self._eks_public(s, d, step)
        for spot in (s, d):
            if spot.missing:
                step("possible", f"{spot.missing} is not in the snapshot: its routes and network ACL are unknown")
            if spot.node and spot.node.private is False:
                return step("denied", f"{spot.label} private endpoint is disabled")
            if spot.node and spot.node.private is None:
                step("possible", f"whether {spot.label} has a private endpoint is unknown")
        if not (s.missing or d.missing) and self._route(s, d, step, trace) == "denied":
            return "denied"
        if self._acls(s, d, protocol, port, step, trace) == "denied":
            return "denied"
        if self._groups(s, d, protocol, port, step, trace) == "denied":
            return "denied"
        return verdict

    def _eks_public(self, s: Spot, d: Spot, step: Any) -> Verdict:
        node = d.node
        assert node is not None
        if node.eks_public is False:
            return step("denied", f"{d.label} public endpoint is disabled")
        if node.eks_public is None:
            step("possible", f"whether {d.label} has a public endpoint is unknown")
        if not s.internet:
            return step("denied", f"{d.label} public endpoint is on the internet, which {s.label} is not")
        if node.eks_cidrs is None:
            return step("possible", f"the CIDRs {d.label} public endpoint admits are unknown")
        for net, text in node.eks_cidrs:
            if _match(net, s.addr):
                return step("allowed", f"{d.label} public endpoint admits {text}")
        return step(
            "denied", f"{d.label} public endpoint admits only {', '.join(t for _, t in node.eks_cidrs) or 'no CIDR'}"
        )

    def _lpm(self, subnet: Subnet, peer: Spot, trace: _Trace) -> tuple[Route | None, str, str]:
        """Longest prefix match for the peer's address in the subnet's route table: (route, status,
        table id). Status 'unknown': no table; 'partial': a more specific route holds only part of
        a range, so the answer depends on the exact address; else 'ok'."""
        table = subnet.table or "its route table"
        routes = self.tables.get(subnet.table or "")
        if routes is None:
            return None, "unknown", table
        best: Route | None = None
        partial: list[Route] = []
        for r in routes:
            if r.dest is None:
                continue
            m = _match(r.dest, peer.addr)
            if m is True and (best is None or r.prefix > best.prefix):
                best = r
            elif m is None:
                partial.append(r)
        if any(p.prefix > (best.prefix if best else -1) for p in partial):
            if peer.stand_in:
                trace.split = True
            return best, "partial", table
        return best, "ok", table

    def _prefix_list_route(self, subnet: Subnet, kinds: tuple[str, ...]) -> Route | None:
        return next((r for r in self.tables.get(subnet.table or "") or () if r.dest is None and r.kind in kinds), None)

    def _route(self, s: Spot, d: Spot, step: Any, trace: _Trace) -> Verdict:
        if s.internet or d.internet:
            return self._internet_route(s, d, step, trace)
        if s.subnet is None or d.subnet is None:
            return self._external_route(s, d, step, trace)
        if s.subnet.vpc == d.subnet.vpc:
            verdict: Verdict = "allowed"
            for here, peer in ((s, d), (d, s)):
                assert here.subnet is not None
                route, status, table = self._lpm(here.subnet, peer, trace)
                if status == "unknown":
                    verdict = _worst(verdict, step("possible", f"route table of {here.subnet.id} is unknown"))
                elif route is not None and route.kind in ("instance", "interface", "endpoint"):
                    # Only a middlebox route may be more specific than the local one.
                    text = f"{route.describe(table)}: through an appliance we do not see"
                    verdict = _worst(verdict, step("possible", text))
            if verdict == "allowed":
                step("allowed", f"{s.subnet.vpc} local route")
            return verdict
        verdict = "allowed"
        legs = []
        for here, peer in ((s, d), (d, s)):
            assert here.subnet is not None
            route, status, table = self._lpm(here.subnet, peer, trace)
            legs.append(route)
            if status == "unknown":
                verdict = _worst(verdict, step("possible", f"route table of {here.subnet.id} is unknown"))
            elif route is not None and route.kind == "peering":
                step("allowed", route.describe(table))
            elif route is not None and route.kind in _OPAQUE:
                verdict = _worst(verdict, step("possible", f"{route.describe(table)}: the far side is not visible"))
            elif status == "partial":
                verdict = _worst(verdict, step("possible", f"{table} routes only part of {peer.label} this way"))
            elif route is None:
                return step("denied", f"{table} has no route to {peer.label}")
            else:
                return step("denied", f"{route.describe(table)}: it cannot reach another VPC")
        there, back = legs
        if there and back and there.kind == back.kind == "peering" and there.target != back.target:
            return step("denied", f"{there.target} and {back.target} are different peering connections")
        return verdict

    def _internet_route(self, s: Spot, d: Spot, step: Any, trace: _Trace) -> Verdict:
        inbound = s.internet
        inside, outside = (d, s) if inbound else (s, d)
        if inside.subnet is None:
            return step("denied", f"{inside.label} is not in a scanned VPC")
        node = inside.node
        verdict: Verdict = "allowed"
        if outside.addr[0] == 6:
            if node and node.ipv6 is False:
                return step("denied", f"{inside.label} has no IPv6 address")
            if node is None or node.ipv6 is None:
                verdict = step("possible", f"IPv6 addresses of {inside.label} are not collected")
        route, status, table = self._lpm(inside.subnet, outside, trace)
        if status == "unknown":
            return step("possible", f"route table of {inside.subnet.id} is unknown")
        wanted = ("igw",) if inbound else ("igw", "nat", "eigw")
        if route is not None and route.kind in ("nat", "eigw") and not inbound:
            return _worst(verdict, step("allowed", f"{route.describe(table)} (outbound only)"))
        if route is not None and route.kind in _OPAQUE:
            return step("possible", f"{route.describe(table)}: the far side is not visible")
        if route is None or route.kind != "igw":
            listed = self._prefix_list_route(inside.subnet, wanted)
            if listed is not None:
                return step("possible", f"{listed.describe(table)} (prefix list contents are not collected)")
            if status == "partial":
                return step("possible", f"{table} routes only part of the internet through a gateway")
            if route is None:
                return step("denied", f"{table} has no route {'from' if inbound else 'to'} the internet")
            if route.kind == "nat":
                return step("denied", f"{route.describe(table)}: NAT lets connections out, never in")
            return step("denied", f"{route.describe(table)}: not an internet gateway")
        step("allowed", route.describe(table))
        # Behind an internet gateway a resource needs its own public address, both ways.
        if node is None:
            return step("possible", f"an address in {inside.label} may have a public IP")
        if outside.addr[0] == 6:
            return verdict
        if node.public is None:
            return step("possible", f"whether {inside.label} has a public address is unknown")
        if not node.public:
            return step("denied", f"{inside.label} {node.public_note}")
        step("allowed", f"{inside.label} {node.public_note}")
        return verdict

    def _external_route(self, s: Spot, d: Spot, step: Any, trace: _Trace) -> Verdict:
        inside, outside = (d, s) if s.subnet is None else (s, d)
        if inside.subnet is None:
            return step("denied", f"neither {s.label} nor {d.label} is in a scanned VPC")
        route, status, table = self._lpm(inside.subnet, outside, trace)
        if status == "unknown":
            return step("possible", f"route table of {inside.subnet.id} is unknown")
        if route is not None and (route.kind in _OPAQUE or route.kind == "peering"):
            return step("possible", f"{route.describe(table)}: the far side is not scanned")
        if route is not None and route.kind == "local":
            return step("possible", f"{outside.label} is inside {inside.subnet.vpc} but in no subnet of the snapshot")
        if status == "partial":
            return step("possible", f"{table} routes part of {outside.label} elsewhere")
        if route is None:
            return step("denied", f"{table} has no route to {outside.label}")
        return step("denied", f"{route.describe(table)}: it cannot reach {outside.label}")

    # --- network ACLs ----------------------------------------------------------------------------

    def _acl_decides(
        self, acl: Acl, outbound: bool, protocol: int, low: int, high: int, peer: Spot, trace: _Trace
    ) -> tuple[bool | None, str]:
        """Does the ACL let traffic to (outbound) or from (inbound) the peer through on some port of
        [low, high]? True, False, or None (unreadable entries, or only some addresses of a range)."""
        key = (acl.id, outbound, protocol, low, high, peer.addr)
        found = self._acl_cache.get(key)
        if found is None:
            found = self._acl_first_match(acl, outbound, protocol, low, high, peer.addr)
            self._acl_cache[key] = found
        if found[0] is None and peer.stand_in:
            trace.split = True
        return found

    def _acl_first_match(
        self, acl: Acl, outbound: bool, protocol: int, low: int, high: int, addr: Net
    ) -> tuple[bool | None, str]:
        direction = "outbound" if outbound else "inbound"
        entries = acl.outbound if outbound else acl.inbound
        if entries is None:
            return None, f"{acl.id} {direction} entries are unknown"
        ports = [p for p, _ in _pieces(low, high, _spans(entries))] if protocol in _PORTED else [low]
        answers: dict[bool | None, str] = {}
        for port in ports:
            outcomes: set[bool] = set()
            text = ""
            for e in entries:
                if not e.covers(protocol, port, port):
                    continue
                m = _match(e.net, addr) if e.net else None
                if m is False:
                    continue
                outcomes.add(e.allow)
                number = "*" if e.number == STAR else e.number
                text = text or f"{acl.id} {direction} rule {number} {'allow' if e.allow else 'deny'}"
                if m is True:
                    break
            else:
                outcomes.add(False)
                text = text or f"{acl.id} {direction}: no rule matches, * denies"
            answer = True if outcomes == {True} else False if outcomes == {False} else None
            answers.setdefault(answer, text)
            if answer is True:
                break
        for answer in (True, None, False):
            if answer in answers:
                return answer, answers[answer]
        return False, f"{acl.id} {direction}: no rule matches, * denies"

    def _acls(self, s: Spot, d: Spot, protocol: int, port: int, step: Any, trace: _Trace) -> Verdict:
        if s.subnet and d.subnet and s.subnet.id == d.subnet.id:
            step("allowed", f"same subnet {s.subnet.id}: no network ACL crossed")
            return "allowed"
        verdict: Verdict = "allowed"
        reply = EPHEMERAL if protocol in _PORTED else (port, port)
        note = f" (reply on {reply[0]}-{reply[1]})" if protocol in _PORTED else " (reply)"
        checks: list[tuple[Spot, bool, int, int, Spot, str]] = []
        if s.subnet:
            checks += [(s, True, port, port, d, ""), (s, False, reply[0], reply[1], d, note)]
        if d.subnet:
            checks += [(d, False, port, port, s, ""), (d, True, reply[0], reply[1], s, note)]
        for here, outbound, low, high, peer, suffix in checks:
            assert here.subnet is not None
            acl = self.acls.get(here.subnet.acl or "")
            if acl is None:
                verdict = _worst(verdict, step("possible", f"network ACL of {here.subnet.id} is unknown"))
                continue
            answer, text = self._acl_decides(acl, outbound, protocol, low, high, peer, trace)
            if answer is False:
                return step("denied", text + suffix)
            verdict = _worst(verdict, step("allowed" if answer else "possible", text + suffix))
        return verdict

    # --- security groups -------------------------------------------------------------------------

    def _rule_admits(self, rule: SgRule, peer: Spot, trace: _Trace) -> tuple[Verdict, str]:
        best: Verdict = "denied"
        text = ""
        for net, written in rule.nets:
            m = _match(net, peer.addr)
            if m is True:
                return "allowed", rule.describe(written)
            if m is None:
                if peer.stand_in:
                    trace.split = True
                if best == "denied":
                    best, text = "possible", rule.describe(written) + f" (only part of {peer.label})"
        for gid in rule.groups:
            if peer.internet or peer.external:
                continue  # a group reference matches interfaces in a VPC, by private address
            if peer.groups is None:
                if best == "denied":
                    best, text = "possible", rule.describe(gid) + f" (groups of {peer.label} are unknown)"
            elif gid in peer.groups:
                return "allowed", rule.describe(gid)
        for pl in rule.prefix_lists:
            if best == "denied":
                best, text = "possible", rule.describe(pl) + " (prefix list contents are not collected)"
        return best, text

    def _side(
        self, spot: Spot, peer: Spot, egress: bool, protocol: int, port: int, trace: _Trace
    ) -> tuple[Verdict, str]:
        node = spot.node
        assert node is not None
        if node.groups is None:
            return "possible", f"security groups of {spot.label} are unknown"
        best: Verdict = "denied"
        text = ""
        for gid in node.groups:
            group = self.groups.get(gid)
            rules = (group.egress if egress else group.ingress) if group else None
            if rules is None:
                if best == "denied":
                    best, text = "possible", f"rules of {gid} are unknown"
                continue
            for rule in rules:
                if not rule.covers(protocol, port):
                    continue
                v, t = self._rule_admits(rule, peer, trace)
                if v == "allowed":
                    return v, t
                if _ORDER[v] > _ORDER[best]:
                    best, text = v, t
        if best == "denied":
            what = f"{_NAMES[protocol]} {port}" if protocol in _PORTED else _NAMES.get(protocol, str(protocol))
            names = ", ".join(node.groups) or "no security group"
            direction, preposition = ("egress", "to") if egress else ("ingress", "from")
            text = f"{names}: no {direction} rule for {what} {preposition} {peer.label}"
        return best, text

    def _groups(self, s: Spot, d: Spot, protocol: int, port: int, step: Any, trace: _Trace) -> Verdict:
        verdict: Verdict = "allowed"
        if s.node and not s.external and s.node.filtered:
            v, text = self._side(s, d, True, protocol, port, trace)
            verdict = step(v, text)
            if v == "denied":
                return v
        if d.node and not d.external:
            if d.node.filtered:
                v, text = self._side(d, s, False, protocol, port, trace)
                verdict = step(v, text)
            else:
                step("allowed", f"{d.label} has no security groups")
        elif d.subnet is not None:
            verdict = step("possible", f"security groups of hosts in {d.label} are not known")
        return verdict

    # --- sets of flows ---------------------------------------------------------------------------

    def _grid(self, src: End, dst: End, exact: bool) -> list[list[tuple[Spot, Spot, list[Net]]]]:
        """Per destination position, the flows from every source position."""
        sources = self._positions(src, dst)
        targets = self._positions(dst, src)
        if exact:
            sources, targets = [self._exact(x) for x in sources], [self._exact(x) for x in targets]
        return [[(s, d, self._cuts(s, d)) for s in sources] for d in targets]

    def _at(
        self, grid: list[list[tuple[Spot, Spot, list[Net]]]], protocol: int, port: int, src: End, dst: End
    ) -> tuple[Verdict, list[str], bool]:
        """One protocol/port, over every position and address of both ends."""
        split = False
        columns: list[tuple[Verdict, list[str]]] = []
        for row in grid:
            answers: list[tuple[Verdict, list[str]]] = []
            for s, d, cuts in row:
                best: tuple[Verdict, list[str]] | None = None
                furthest = -1
                for sa in self._addresses(s, cuts):
                    for da in self._addresses(d, cuts):
                        trace = _Trace()
                        v = self._judge(sa, da, protocol, port, trace)
                        split = split or trace.split
                        if (
                            best is None
                            or _ORDER[v] > _ORDER[best[0]]
                            or (v == best[0] == "denied" and trace.passed > furthest)
                        ):
                            best, furthest = (v, trace.reasons), trace.passed
                        if v == "allowed":
                            break
                    if best and best[0] == "allowed":
                        break
                assert best is not None
                answers.append(best)
            columns.append(self._combine(answers, src.node.one_of if src.node else False, src.label))
        verdict, reasons = self._combine(columns, dst.node.one_of if dst.node else False, dst.label)
        return verdict, reasons, split

    @staticmethod
    def _combine(answers: list[tuple[Verdict, list[str]]], one_of: bool, label: str) -> tuple[Verdict, list[str]]:
        """Answers for each position of one end: the best, unless the end sits in just one unknown
        position, where disagreeing answers make it only possible."""
        top = max((v for v, _ in answers), key=_ORDER.__getitem__)
        reasons = list(next(r for v, r in answers if v == top))
        if one_of and len(answers) > 1:
            combined = _one_of([v for v, _ in answers])
            if combined != top:
                reasons.append(f"{label} sits in one of several subnets, and they answer differently")
            return combined, reasons
        return top, reasons

    def decide(self, src: End, dst: End, port: int, protocol: str) -> Decision:
        number = _protocol(protocol)
        grid = self._grid(src, dst, exact=True)
        if not grid or not grid[0]:
            where = dst.label if not grid else src.label
            return Decision("possible", [f"the subnets of {where} are unknown"])
        verdict, reasons, _ = self._at(grid, number, port, src, dst)
        return Decision(verdict, reasons)

    def query(self, src: str, dst: str, port: int, protocol: str = "tcp") -> Decision:
        """Can `src` open a connection to `dst` on port/protocol? See `endpoint` for the names."""
        return self.decide(self.endpoint(src), self.endpoint(dst), port, protocol)

    def shared_exposure(
        self, src: End, dst: End, protocols: tuple[int, ...] = (6, 17, 1)
    ) -> tuple[list[Exposure], bool]:
        """The exposure every pair of ends of these shapes shares, with node ends written as
        ⟨source⟩/⟨destination⟩ in the paths; and whether a rule cuts through a subnet (then nodes
        differ by their exact address, and `exposure` judges each)."""
        key = (
            ("node", src.node.shape) if src.kind == "node" and src.node else src.key,
            ("node", dst.node.shape) if dst.kind == "node" and dst.node else dst.key,
            protocols,
        )
        cached = self._cache.get(key)
        if cached is None:
            anonymous_src = End(_SRC, "node", node=src.node) if src.kind == "node" else src
            anonymous_dst = End(_DST, "node", node=dst.node) if dst.kind == "node" else dst
            cached = self._exposure(anonymous_src, anonymous_dst, protocols, exact=False)
            self._cache[key] = cached
        return cached

    def exposure(self, src: End, dst: End, protocols: tuple[int, ...] = (6, 17, 1)) -> list[Exposure]:
        """Every port range on which `src` can or may reach `dst`, each with the path of one flow."""
        found, split = self.shared_exposure(src, dst, protocols)
        if split:
            return self._exposure(src, dst, protocols, exact=True)[0]
        return [
            Exposure(e.protocol, e.low, e.high, e.verdict, tuple(_name(e.path, src.label, dst.label))) for e in found
        ]

    def _exposure(self, src: End, dst: End, protocols: tuple[int, ...], exact: bool) -> tuple[list[Exposure], bool]:
        grid = self._grid(src, dst, exact)
        if not grid or not grid[0]:
            return [], False
        services = dst.node.services if dst.node else None
        spots = {id(x): x for row in grid for s, d, _ in row for x in (s, d)}.values()
        found: list[Exposure] = []
        split = False
        for protocol in protocols:
            if services is not None:
                spans = _merge((lo, hi) for p, lo, hi in services if p == protocol)
            else:
                spans = [(0, 65535)] if protocol in _PORTED else [(-1, -1)]
            cuts = self._port_cuts(spots, protocol) + self._port_cuts(spots, -1) if protocol in _PORTED else []
            for lo, hi in spans:
                for a, b in _pieces(lo, hi, cuts) if protocol in _PORTED else [(lo, hi)]:
                    if not self._may_admit(grid, protocol, a):
                        continue
                    verdict, reasons, s = self._at(grid, protocol, a, src, dst)
                    split = split or s
                    if verdict == "denied":
                        continue
                    path = tuple(reasons)
                    last = found[-1] if found else None
                    if (
                        last is not None
                        and last.protocol == protocol
                        and last.high + 1 == a
                        and (last.verdict, last.path) == (verdict, path)
                    ):
                        found[-1] = Exposure(protocol, last.low, b, verdict, path)
                    else:
                        found.append(Exposure(protocol, a, b, verdict, path))
        return found, split

    def _may_admit(self, grid: list[list[tuple[Spot, Spot, list[Net]]]], protocol: int, port: int) -> bool:
        """False only when every destination position is a node whose security groups are all known
        and none has an ingress rule for the protocol and port: then nothing can pass."""
        for row in grid:
            d = row[0][1]
            node = d.node
            if node is None or d.external or not node.filtered or node.groups is None:
                return True
            for gid in node.groups:
                group = self.groups.get(gid)
                if group is None or group.ingress is None or any(r.covers(protocol, port) for r in group.ingress):
                    return True
        return False

    # --- where connections can start -------------------------------------------------------------

    def source_subnets(self, node: Node) -> list[Subnet]:
        """Subnets that could route to the node at all: its VPC's, those of VPCs whose tables send
        some of its addresses somewhere, and any whose route table is unknown."""
        vpcs = {node.vpc} | self.routes_to.get(node.vpc or "", set())
        return sorted((s for v in vpcs for s in self.by_vpc.get(v, ()) if s.net), key=lambda s: s.id)

    @staticmethod
    def subnet_end(subnet: Subnet) -> End:
        assert subnet.net is not None
        return End(subnet.id, "range", subnet.net, subnet)

    @staticmethod
    def node_end(node: Node) -> End:
        return End(node.id, "node", node=node)

    def internet_routes(self, subnet: Subnet) -> list[dict[str, Any]] | None:
        """The routes of the subnet's table whose destination holds internet addresses (prefix-list
        routes, which lead to AWS services through endpoints, are left out); None: table unknown."""
        routes = self.tables.get(subnet.table or "")
        if routes is None:
            return None
        return [
            {"destination": r.dest_text, "kind": r.kind, "target": r.target}
            for r in routes
            if r.dest is not None and r.kind != "local" and self._is_internet(r.dest)
        ]


_SRC = "⟨source⟩"
_DST = "⟨destination⟩"


def _name(path: Iterable[str], src: str, dst: str) -> list[str]:
    return [p.replace(_SRC, src).replace(_DST, dst) for p in path]


def _spans(entries: Iterable[AclEntry]) -> list[tuple[int, int]]:
    return [(e.low, e.high) for e in entries if e.protocol in _PORTED]


def _route(r: dict[str, Any]) -> Route:
    dest_text = str(r.get("destination") or "")
    dest = _net(dest_text) if dest_text and not dest_text.startswith("pl-") else None
    target = str(r.get("target") or "")
    target_type = r.get("target_type")
    if target_type == "gateway":
        kind = (
            "igw"
            if target.startswith("igw-")
            else "eigw"
            if target.startswith("eigw-")
            else "vgw"
            if target.startswith("vgw-")
            else "gateway"
        )
    else:
        kind = {"transit_gateway": "tgw"}.get(str(target_type), str(target_type or "other"))
    return Route(dest, dest_text or "?", kind, target or kind, _prefix(dest) if dest else -1)


def _acl_entry(e: dict[str, Any]) -> AclEntry:
    cidr = e.get("cidr") or e.get("ipv6_cidr") or ""
    try:
        protocol = _protocol(e.get("protocol", "-1"))
    except ValueError:
        protocol = -1  # an unreadable protocol is treated as matching everything: its action still applies
    low, high = e.get("from_port"), e.get("to_port")
    return AclEntry(
        int(e.get("rule_number") or 0),
        protocol,
        0 if low is None else int(low),
        65535 if high is None else int(high),
        _net(cidr) if cidr else None,
        str(cidr),
        e.get("action") == "allow",
    )


def _sg_rules(gid: str, rules: Any, *, egress: bool) -> tuple[SgRule, ...] | None:
    if not isinstance(rules, list):
        return None
    out = []
    for rule in rules:
        protocol = _protocol(rule.get("protocol", "-1"))
        low, high = rule.get("from_port"), rule.get("to_port")
        if protocol not in _PORTED or low is None or low == -1:
            low, high = 0, 65535
        nets = tuple(
            (n, str(c))
            for c in (rule.get("cidrs") or []) + (rule.get("ipv6_cidrs") or [])
            if (n := _net(c)) is not None
        )
        out.append(
            SgRule(
                gid,
                egress,
                protocol,
                int(low),
                int(high if high is not None else low),
                nets,
                tuple(rule.get("groups") or ()),
                tuple(rule.get("prefix_lists") or ()),
            )
        )
    return tuple(out)


def _node(r: Resource, scope: str, tenant: str | None, subnets: Mapping[str, Subnet]) -> Node | None:
    """The network shape of a resource, or None when it has no place in a network (terminated)."""
    a = r.attributes
    common = {"uid": r.uid, "type": r.type, "name": r.name, "scope": scope, "tenant": tenant}
    groups = tuple(a["security_groups"]) if isinstance(a.get("security_groups"), list) else None
    if r.type == INSTANCE:
        if a.get("state") in _GONE_STATES:
            return None
        public_ip = a.get("public_ip") if "public_ip" in a else None
        return Node(
            **common,
            id=str(a.get("instance_id") or r.uid),
            vpc=a.get("vpc_id"),
            subnets=(str(a["subnet_id"]),) if a.get("subnet_id") else (),  # () : placement unknown
            one_of=False,
            groups=groups,
            filtered=True,
            address=_net(a["private_ip"]) if a.get("private_ip") else None,
            public=bool(public_ip) if "public_ip" in a else None,
            public_note="has a public IP address" if public_ip else "has no public IP address",
            ipv6=None,
            services=None,
        )
    if r.type == DATABASE:
        port = a.get("port")
        public = a.get("publicly_accessible")
        return Node(
            **common,
            id=str(a.get("db_instance_identifier") or r.uid),
            vpc=a.get("vpc_id"),
            subnets=tuple(a.get("subnet_ids") or ()),
            one_of=True,
            groups=groups,
            filtered=True,
            address=None,
            public=public if isinstance(public, bool) else None,
            public_note="is publicly accessible" if public else "is not publicly accessible",
            ipv6=None,
            services=((6, int(port), int(port)),) if port else (() if "port" in a else None),
        )
    if r.type == BALANCER:
        scheme = a.get("scheme")
        kind = a.get("type")
        services = _listener_services(a.get("listeners"))
        if kind == "gateway":
            services = ()  # reached only through gateway load balancer endpoints, never directly
        address_type = a.get("ip_address_type")
        return Node(
            **common,
            id=str(a.get("name") or r.uid),
            vpc=a.get("vpc_id"),
            subnets=tuple(a.get("subnet_ids") or ()),
            one_of=False,
            groups=groups,
            filtered=bool(groups) or groups is None,
            address=None,
            public=None if scheme is None else scheme == "internet-facing",
            public_note=f"is {scheme}",
            ipv6=None if address_type is None else str(address_type).startswith("dualstack"),
            services=services,
        )
    if r.type == CLASSIC:
        return _classic_node(a, common, subnets)
    if r.type == CLUSTER:
        cidrs = a.get("public_access_cidrs")
        extra = tuple(a.get("security_group_ids") or ())
        cluster_group = a.get("cluster_security_group_id")
        private = a.get("endpoint_private_access")
        return Node(
            **common,
            id=str(a.get("name") or r.uid),
            vpc=a.get("vpc_id") or _vpc_of(a.get("subnet_ids") or (), subnets),
            subnets=tuple(a.get("subnet_ids") or ()),
            one_of=True,
            groups=(((cluster_group,) if cluster_group else ()) + extra) if "security_group_ids" in a else None,
            filtered=True,
            address=None,
            public=a.get("endpoint_public_access") if isinstance(a.get("endpoint_public_access"), bool) else None,
            public_note="public endpoint",
            ipv6=None,
            services=((6, 443, 443),),
            eks_public=a.get("endpoint_public_access") if isinstance(a.get("endpoint_public_access"), bool) else None,
            eks_cidrs=tuple((n, str(c)) for c in cidrs if (n := _net(c))) if isinstance(cidrs, list) else None,
            private=private if isinstance(private, bool) else None,
        )
    return None


def _listener_services(listeners: Any) -> tuple[tuple[int, int, int], ...] | None:
    """(protocol, port, port) for each listener; None when the listeners could not be read."""
    if not isinstance(listeners, list):
        return None
    found = set()
    for item in listeners:
        for p in _LISTENER_PROTOCOLS.get(str(item.get("protocol")), ()):
            if item.get("port") is not None:
                found.add((p, int(item["port"]), int(item["port"])))
    return tuple(sorted(found))


def _classic_node(a: Mapping[str, Any], common: dict[str, Any], subnets: Mapping[str, Subnet]) -> Node:
    """A Classic Load Balancer: like an application load balancer, a node in each of its subnets behind
    its security groups, answering on its listener ports (the `port` clients connect to)."""
    scheme = a.get("scheme")
    # The collector writes vpc_id null only for a balancer outside any VPC (EC2-Classic); one that
    # still lists subnets is in their VPC.
    ec2_classic = "vpc_id" in a and a["vpc_id"] is None and not a.get("subnet_ids")
    groups = tuple(a["security_groups"]) if isinstance(a.get("security_groups"), list) else None
    if groups == () and not ec2_classic:
        # AWS gives every balancer in a VPC a group (the VPC's default when none is named), so an
        # empty list is an incomplete answer, not "no filtering".
        groups = None
    return Node(
        **common,
        id=str(a.get("name") or common["uid"]),
        vpc=a.get("vpc_id") or _vpc_of(a.get("subnet_ids") or (), subnets),
        subnets=tuple(a.get("subnet_ids") or ()),
        one_of=False,
        groups=groups,
        filtered=not ec2_classic,
        address=None,
        public=None if scheme is None else scheme == "internet-facing",
        public_note=f"is {scheme}",
        # A Classic Load Balancer in a VPC has IPv4 addresses only; EC2-Classic ones could be dual-stack.
        ipv6=None if ec2_classic else False,
        services=_listener_services(a.get("listeners")),
        ec2_classic=ec2_classic,
    )


def _vpc_of(subnet_ids: Iterable[str], subnets: Mapping[str, Subnet]) -> str | None:
    return next((subnets[s].vpc for s in subnet_ids if s in subnets), None)


# --- facts for controls ----------------------------------------------------------------------------


def _summary(found: list[Exposure]) -> dict[str, Any]:
    """Ports, best verdict and one path (of the first allowed port, else the first possible one)."""
    top = max((e.verdict for e in found), key=_ORDER.__getitem__)
    first = next(e for e in found if e.verdict == top)
    return {"ports": [e.ports for e in found], "verdict": top, "path": list(first.path)}


def _exposure_facts(found: list[Exposure]) -> list[dict[str, Any]]:
    return [{"ports": e.ports, "verdict": e.verdict, "path": list(e.path)} for e in found]


def _reachable(found: list[Exposure]) -> bool | None:
    if any(e.verdict == "allowed" for e in found):
        return True
    return None if found else False


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
        self._links: dict[tuple[Any, ...], list[tuple[str, Node, dict[str, Any]]] | None] = {}

    # --- who can reach a resource ----------------------------------------------------------------

    def sources(self, node: Node, kind: str, keep: Any) -> list[dict[str, Any]]:
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

    def _gather_sources(self, node: Node, keep: Any, exact: bool) -> list[dict[str, Any]] | None:
        net = self.net
        dst = net.node_end(node) if exact else End(_DST, "node", node=node)

        def ask(src: End) -> list[Exposure] | None:
            if exact:
                return net.exposure(src, dst)
            found, split = net.shared_exposure(src, dst)
            return None if split else found

        out: list[dict[str, Any]] = []
        for subnet in net.source_subnets(node):
            if not keep(subnet.scope, subnet.tenant):
                continue
            found = ask(net.subnet_end(subnet))
            if found is None:
                return None
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
        # A rule naming a group admits its holders wherever they sit: list the group, with them.
        referenced = sorted(
            {
                gid
                for g in node.groups or ()
                for rule in ((net.groups[g].ingress or ()) if g in net.groups else ())
                for gid in rule.groups
            }
        )
        for gid in referenced:
            reached: list[tuple[Node, dict[str, Any]]] = []
            for (_, scope, tenant), members in self.holders.get(gid, {}).items():
                if not keep(scope, tenant):
                    continue
                if exact:
                    for m in members:
                        if m.uid != node.uid and (found := net.exposure(net.node_end(m), dst)):
                            reached.append((m, _summary(found)))
                    continue
                found = ask(End(_SRC, "node", node=members[0]))
                if found is None:
                    return None
                if found:
                    summary = _summary(found)
                    reached += [(m, summary) for m in members]
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

    @staticmethod
    def _named_source(entry: dict[str, Any], node: Node) -> dict[str, Any] | None:
        out = dict(entry)
        members = out.pop("_members", None)
        if members is None:
            out["path"] = _name(out["path"], out["source"], node.id)
            return out
        members = [(m, s) for m, s in members if m.uid != node.uid]
        if not members:
            return None
        top = max((s["verdict"] for _, s in members), key=_ORDER.__getitem__)
        first, summary = next((m, s) for m, s in members if s["verdict"] == top)
        out.update(
            members=[m.uid for m, _ in members[:PEER_LIMIT]],
            member_count=len(members),
            member_tenants=sorted({m.tenant for m, _ in members if m.tenant}),
            ports=sorted({p for _, s in members for p in s["ports"]}),
            verdict=top,
            path=_name(summary["path"], first.id, node.id),
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
                    "via": _name(summary["path"], src, dst),
                }
            )
        return out

    def _gather_links(self, node: Node, exact: bool) -> list[tuple[str, Node, dict[str, Any]]] | None:
        net = self.net
        reach_into = {node.vpc} | {v for v, froms in net.routes_to.items() if node.vpc in froms}
        reached_from = {node.vpc} | net.routes_to.get(node.vpc or "", set())
        out: list[tuple[str, Node, dict[str, Any]]] = []
        for direction, vpcs in (("to-cde", reach_into), ("from-cde", reached_from)):
            links: list[tuple[str, Node, dict[str, Any]]] = []
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
                here, there = End(_SRC, "node", node=node), End(_DST, "node", node=members[0])
                found, split = net.shared_exposure(*((here, there) if direction == "to-cde" else (there, here)))
                if split:
                    return None
                if found:
                    summary = _summary(found)
                    links += [(direction, m, summary) for m in members]
            out += sorted(links, key=lambda x: x[1].uid)[:PEER_LIMIT]
        return out


def _outside_cde(scope: str, _tenant: str | None) -> bool:
    return scope != "cde"


def reach_facts(
    resources: Iterable[Resource], scopes: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """uid → reachability facts, for instances, RDS instances, load balancers (ELBv2 and Classic), EKS
    clusters and subnets (see analyze/facts_doc.FACTS). Unknowns are null, never an empty list or false.
    An EC2-Classic balancer has internet ingress (`possible` on its listeners) but no sources or links:
    where it sits relative to the VPCs is not modelled, so those facts are null."""
    resources = list(resources)
    network = Network.from_resources(resources, scopes)
    facts: dict[str, dict[str, Any]] = {}
    work = _Facts(network)
    internet = End("internet", "internet")
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
        known = bool(node.subnets) or (node.type == CLUSTER and node.eks_public is not None) or node.ec2_classic
        entry: dict[str, Any] = {}
        if known:
            ingress = network.exposure(internet, network.node_end(node))
            entry["internet_ingress"] = _exposure_facts(ingress)
            entry["reachable_from_internet"] = _reachable(ingress)
        else:
            entry["internet_ingress"] = entry["reachable_from_internet"] = None
        if r.type == INSTANCE:
            entry["internet_egress"] = (
                _exposure_facts(network.exposure(network.node_end(node), internet)) if known else None
            )
        placed = bool(node.subnets)
        if node.scope == "cde":
            entry["non_cde_sources"] = work.sources(node, "non-cde", _outside_cde) if placed else None
        else:
            entry["connected_to_cde"] = work.connections(node) if placed else None
        if node.tenant:
            tenant = node.tenant
            entry["other_tenant_sources"] = (
                work.sources(node, "other-tenant", lambda _, t, own=tenant: t is not None and t != own)
                if placed
                else None
            )
        facts[r.uid] = entry
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

"""The network of one snapshot: naming the ends of a flow, placing them (one spot per subnet, one
address per piece of a range), and judging every port of every position into exposures and
decisions. The judgement of a single flow is `judge.Judge`'s."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pcicheck.analyze.aws_reach.judge import Judge
from pcicheck.analyze.aws_reach.model import (
    CLUSTER,
    DST,
    ORDER,
    SRC,
    Acl,
    End,
    Exposure,
    Group,
    Node,
    Route,
    Spot,
    Subnet,
    Trace,
    name_path,
    one_of,
)
from pcicheck.analyze.aws_reach.parse import read
from pcicheck.analyze.aws_reach.ranges import (
    ANY_IPV4,
    PORTED,
    TOP,
    InternetSpace,
    Net,
    holds,
    merge,
    pieces,
    protocol_number,
    to_net,
)
from pcicheck.analyze.aws_reach.routes import vpc_neighbours
from pcicheck.analyze.k8s_reach import Decision, Verdict
from pcicheck.model import Resource

# Per destination position, the flows from every source position, with the CIDRs that cut them.
Grid = list[list[tuple[Spot, Spot, list[Net]]]]


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
        self._internet = InternetSpace(vpcs)
        self._judge = Judge(tables, acls, groups)
        self.by_vpc: dict[str | None, list[Subnet]] = defaultdict(list)
        for s in subnets.values():
            self.by_vpc[s.vpc].append(s)
        self._names: dict[str, str] = {}
        for uid, node in sorted(nodes.items()):
            for alias in (node.id, node.name, uid):
                self._names.setdefault(alias, uid)
        self.routes_to = vpc_neighbours(vpcs, subnets.values(), tables, self.table_vpcs)
        self._cache: dict[tuple[Any, ...], tuple[list[Exposure], bool]] = {}

    @classmethod
    def from_resources(
        cls, resources: Iterable[Resource], scopes: Mapping[str, Mapping[str, Any]] | None = None
    ) -> Network:
        parts = read(resources, scopes)
        return cls(parts.vpcs, parts.subnets, parts.tables, parts.acls, parts.groups, parts.nodes, parts.table_vpcs)

    # --- ends ------------------------------------------------------------------------------------

    def endpoint(self, text: str) -> End:
        """`internet`, `cidr:IP` (or a CIDR), `subnet-…` or a subnet's Name tag (any address in it), an
        instance id or Name, an RDS identifier, a load balancer name or ARN, an EKS cluster name, or a uid."""
        if text == "internet":
            return End("internet", "internet")
        if text.startswith("cidr:"):
            net = to_net(text[5:])
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

    @staticmethod
    def subnet_end(subnet: Subnet) -> End:
        assert subnet.net is not None
        return End(subnet.id, "range", subnet.net, subnet)

    @staticmethod
    def node_end(node: Node) -> End:
        return End(node.id, "node", node=node)

    def _range_end(self, label: str, net: Net) -> End:
        if self._internet.holds_any(net) and not self._in_a_vpc(net):
            return End(label, "range", net)
        subnet = next((s for s in self.subnets.values() if s.net and holds(s.net, net) is True), None)
        return End(label, "range", net, subnet)

    def _in_a_vpc(self, net: Net) -> bool:
        """Whether some scanned VPC holds some of the range."""
        return any(holds(n, net) is not False for ns in self.vpcs.values() for n in ns)

    def _on_internet(self, end: End) -> bool:
        if end.kind == "internet":
            return True
        if end.kind != "range" or end.subnet is not None or end.net is None:
            return False
        return not self._in_a_vpc(end.net) and self._internet.holds_any(end.net)

    # --- where an end sits -----------------------------------------------------------------------

    def _positions(self, end: End, other: End) -> list[Spot]:
        """Where an end sits: one spot per subnet (a range stands for all of its addresses)."""
        if end.kind == "internet":
            return [Spot(end.label, ANY_IPV4, None, (), internet=True)]
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
            return [Spot(end.label, ANY_IPV4, None, node.groups, node, external=True)]
        spots = []
        for sid in node.subnets:
            subnet = self.subnets.get(sid)
            if subnet is None or subnet.net is None:
                addr = node.address or ANY_IPV4
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

    def _addresses(self, spot: Spot, cuts: list[Net]) -> Iterator[Spot]:
        """One stand-in per piece of the addresses the spot may be (internet pieces skip the
        non-internet space); a node is its own single address."""
        if spot.node is not None:
            yield spot
            return
        if spot.internet and spot.addr == ANY_IPV4:
            ranges: list[Net] = [ANY_IPV4, (6, 0, TOP[6])]
        else:
            ranges = [spot.addr]
        for version, lo, hi in ranges:
            for a, b in pieces(lo, hi, [(c[1], c[2]) for c in cuts if c[0] == version]):
                x = self._internet.first_free(version, a, b) if spot.internet else a
                if x is not None:
                    yield Spot(
                        spot.label, (version, x, x), spot.subnet, spot.groups, None, spot.internet, spot.external
                    )

    # --- sets of flows ---------------------------------------------------------------------------

    def _grid(self, src: End, dst: End, exact: bool) -> Grid:
        """Per destination position, the flows from every source position."""
        sources = self._positions(src, dst)
        targets = self._positions(dst, src)
        if exact:
            sources, targets = [self._exact(x) for x in sources], [self._exact(x) for x in targets]
        return [[(s, d, self._judge.cuts(s, d)) for s in sources] for d in targets]

    def _at(self, grid: Grid, protocol: int, port: int, src: End, dst: End) -> tuple[Verdict, list[str], bool]:
        """One protocol/port, over every position and address of both ends."""
        split = False
        columns: list[tuple[Verdict, list[str]]] = []
        for row in grid:
            answers: list[tuple[Verdict, list[str]]] = []
            for s, d, cuts in row:
                best, s_split = self._best_address(s, d, cuts, protocol, port)
                split = split or s_split
                answers.append(best)
            columns.append(_combine(answers, src.node.one_of if src.node else False, src.label))
        verdict, reasons = _combine(columns, dst.node.one_of if dst.node else False, dst.label)
        return verdict, reasons, split

    def _best_address(
        self, s: Spot, d: Spot, cuts: list[Net], protocol: int, port: int
    ) -> tuple[tuple[Verdict, list[str]], bool]:
        """Over every address pair of two positions: the best answer (of denials, the one that got
        furthest), and whether a rule cut through a stand-in range."""
        split = False
        best: tuple[Verdict, list[str]] | None = None
        furthest = -1
        for sa in self._addresses(s, cuts):
            for da in self._addresses(d, cuts):
                trace = Trace()
                v = self._judge.flow(sa, da, protocol, port, trace)
                split = split or trace.split
                if best is None or ORDER[v] > ORDER[best[0]] or (v == best[0] == "denied" and trace.passed > furthest):
                    best, furthest = (v, trace.reasons), trace.passed
                if v == "allowed":
                    break
            if best and best[0] == "allowed":
                break
        assert best is not None
        return best, split

    def decide(self, src: End, dst: End, port: int, protocol: str) -> Decision:
        number = protocol_number(protocol)
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
            anonymous_src = End(SRC, "node", node=src.node) if src.kind == "node" else src
            anonymous_dst = End(DST, "node", node=dst.node) if dst.kind == "node" else dst
            cached = self._exposure(anonymous_src, anonymous_dst, protocols, exact=False)
            self._cache[key] = cached
        return cached

    def exposure(self, src: End, dst: End, protocols: tuple[int, ...] = (6, 17, 1)) -> list[Exposure]:
        """Every port range on which `src` can or may reach `dst`, each with the path of one flow."""
        found, split = self.shared_exposure(src, dst, protocols)
        if split:
            return self._exposure(src, dst, protocols, exact=True)[0]
        return [
            Exposure(e.protocol, e.low, e.high, e.verdict, tuple(name_path(e.path, src.label, dst.label)))
            for e in found
        ]

    def _exposure(self, src: End, dst: End, protocols: tuple[int, ...], exact: bool) -> tuple[list[Exposure], bool]:
        grid = self._grid(src, dst, exact)
        if not grid or not grid[0]:
            return [], False
        services = dst.node.services if dst.node else None
        spots = {id(x): x for row in grid for s, d, _ in row for x in (s, d)}.values()
        targets = [row[0][1] for row in grid]
        found: list[Exposure] = []
        split = False
        for protocol in protocols:
            if services is not None:
                spans = merge((lo, hi) for p, lo, hi in services if p == protocol)
            else:
                spans = [(0, 65535)] if protocol in PORTED else [(-1, -1)]
            cuts = (
                self._judge.port_cuts(spots, protocol) + self._judge.port_cuts(spots, -1) if protocol in PORTED else []
            )
            for lo, hi in spans:
                for a, b in pieces(lo, hi, cuts) if protocol in PORTED else [(lo, hi)]:
                    if not self._judge.may_admit(targets, protocol, a):
                        continue
                    verdict, reasons, s = self._at(grid, protocol, a, src, dst)
                    split = split or s
                    if verdict != "denied":
                        _extend(found, Exposure(protocol, a, b, verdict, tuple(reasons)))
        return found, split

    # --- where connections can start -------------------------------------------------------------

    def source_subnets(self, node: Node) -> list[Subnet]:
        """Subnets that could route to the node at all: its VPC's, those of VPCs whose tables send
        some of its addresses somewhere, and any whose route table is unknown."""
        vpcs = {node.vpc} | self.routes_to.get(node.vpc or "", set())
        return sorted((s for v in vpcs for s in self.by_vpc.get(v, ()) if s.net), key=lambda s: s.id)

    def internet_routes(self, subnet: Subnet) -> list[dict[str, Any]] | None:
        """The routes of the subnet's table whose destination holds internet addresses, and the
        prefix-list routes to an internet-bound gateway (igw, NAT, egress-only: a customer-managed list
        there holds internet ranges; its contents are not collected). Prefix-list routes to endpoints,
        which lead to AWS services, are left out. None: table unknown."""
        routes = self.tables.get(subnet.table or "")
        if routes is None:
            return None
        return [
            {"destination": r.dest_text, "kind": r.kind, "target": r.target}
            for r in routes
            if r.kind != "local"
            and (
                (r.dest is not None and self._internet.holds_any(r.dest))
                or (r.dest is None and r.kind in ("igw", "nat", "eigw"))
            )
        ]


def _combine(answers: list[tuple[Verdict, list[str]]], one_of_them: bool, label: str) -> tuple[Verdict, list[str]]:
    """Answers for each position of one end: the best, unless the end sits in just one unknown
    position, where disagreeing answers make it only possible."""
    top = max((v for v, _ in answers), key=ORDER.__getitem__)
    reasons = list(next(r for v, r in answers if v == top))
    if one_of_them and len(answers) > 1:
        combined = one_of([v for v, _ in answers])
        if combined != top:
            reasons.append(f"{label} sits in one of several subnets, and they answer differently")
        return combined, reasons
    return top, reasons


def _extend(found: list[Exposure], exposure: Exposure) -> None:
    """Append the exposure, merged into the last one when it continues its ports with the same answer."""
    last = found[-1] if found else None
    if (
        last is not None
        and last.protocol == exposure.protocol
        and last.high + 1 == exposure.low
        and (last.verdict, last.path) == (exposure.verdict, exposure.path)
    ):
        found[-1] = Exposure(exposure.protocol, last.low, exposure.high, exposure.verdict, exposure.path)
    else:
        found.append(exposure)

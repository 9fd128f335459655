"""Routes: whether the route tables carry a flow between two spots, and which VPCs can send traffic
into which (where connections into a VPC can start at all).

Longest prefix match in the subnet's table. From the internet only a resource with a public address
in a subnet whose table sends internet addresses to an internet gateway; NAT is egress only. Within
a VPC the `local` route; between VPCs a peering route on both sides with the same pcx-; transit
gateways, appliances and VPN gateways hide the far side: "possible"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from pcicheck.analyze.aws_reach.model import Route, Spot, Subnet, Trace, worst
from pcicheck.analyze.aws_reach.ranges import Net, holds
from pcicheck.analyze.k8s_reach import Verdict

# Where a route can hand traffic on to a network we do not see.
OPAQUE = ("tgw", "vgw", "instance", "interface", "endpoint", "gateway", "other")
# Route kinds that can carry traffic to another VPC only by way of the internet, if at all.
_NOT_TO_A_VPC = ("local", "igw", "eigw", "nat")

Tables = Mapping[str, tuple[Route, ...] | None]


def vpc_neighbours(
    vpcs: Mapping[str, list[Net]],
    subnets: Iterable[Subnet],
    tables: Tables,
    table_vpcs: Mapping[str, str],
) -> dict[str, set[str | None]]:
    """VPC → the VPCs (None: subnets of no known VPC) whose route tables send some of its addresses
    somewhere other than the internet: those are the only places a connection into it can start."""
    subnets = list(subnets)
    owner: dict[str, str | None] = {}
    for s in subnets:
        if s.table:
            owner.setdefault(s.table, s.vpc)
    out: dict[str, set[str | None]] = defaultdict(set)
    for table, routes in tables.items():
        source_vpc = table_vpcs.get(table) or owner.get(table)
        for vpc, nets in vpcs.items():
            if vpc != source_vpc and _sends_into(routes or (), nets):
                out[vpc].add(source_vpc)
    # A subnet whose table is unknown could route anywhere.
    for s in subnets:
        if s.table is None or s.table not in tables or tables[s.table] is None:
            for vpc in vpcs:
                out[vpc].add(s.vpc)
    return out


def _sends_into(routes: Iterable[Route], nets: list[Net]) -> bool:
    """Whether some route sends some of these addresses on other than through the internet (a
    prefix-list route to a gateway endpoint leads to an AWS service, not into a VPC)."""
    for route in routes:
        if route.kind in _NOT_TO_A_VPC or (route.dest is None and route.kind == "endpoint"):
            continue
        if route.dest is None or any(holds(route.dest, n) is not False for n in nets):
            return True
    return False


class Routes:
    """The route-table leg of a flow's judgement."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def judge(self, s: Spot, d: Spot, trace: Trace) -> Verdict:
        if s.internet or d.internet:
            return self._internet(s, d, trace)
        if s.subnet is None or d.subnet is None:
            return self._external(s, d, trace)
        if s.subnet.vpc == d.subnet.vpc:
            return self._within_vpc(s, d, trace)
        return self._between_vpcs(s, d, trace)

    def lpm(self, subnet: Subnet, peer: Spot, trace: Trace) -> tuple[Route | None, str, str]:
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
            m = holds(r.dest, peer.addr)
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

    def _within_vpc(self, s: Spot, d: Spot, trace: Trace) -> Verdict:
        verdict: Verdict = "allowed"
        for here, peer in ((s, d), (d, s)):
            assert here.subnet is not None
            route, status, table = self.lpm(here.subnet, peer, trace)
            if status == "unknown":
                verdict = worst(verdict, trace.step("possible", f"route table of {here.subnet.id} is unknown"))
            elif route is not None and route.kind in ("instance", "interface", "endpoint"):
                # Only a middlebox route may be more specific than the local one.
                text = f"{route.describe(table)}: through an appliance we do not see"
                verdict = worst(verdict, trace.step("possible", text))
        if verdict == "allowed":
            assert s.subnet is not None
            trace.step("allowed", f"{s.subnet.vpc} local route")
        return verdict

    def _between_vpcs(self, s: Spot, d: Spot, trace: Trace) -> Verdict:
        """Both tables must route the other end's address, through the same peering connection."""
        verdict: Verdict = "allowed"
        legs = []
        for here, peer in ((s, d), (d, s)):
            assert here.subnet is not None
            route, status, table = self.lpm(here.subnet, peer, trace)
            legs.append(route)
            if status == "unknown":
                verdict = worst(verdict, trace.step("possible", f"route table of {here.subnet.id} is unknown"))
            elif route is not None and route.kind == "peering":
                trace.step("allowed", route.describe(table))
            elif route is not None and route.kind in OPAQUE:
                text = f"{route.describe(table)}: the far side is not visible"
                verdict = worst(verdict, trace.step("possible", text))
            elif status == "partial":
                text = f"{table} routes only part of {peer.label} this way"
                verdict = worst(verdict, trace.step("possible", text))
            elif route is None:
                return trace.step("denied", f"{table} has no route to {peer.label}")
            else:
                return trace.step("denied", f"{route.describe(table)}: it cannot reach another VPC")
        there, back = legs
        if there and back and there.kind == back.kind == "peering" and there.target != back.target:
            return trace.step("denied", f"{there.target} and {back.target} are different peering connections")
        return verdict

    def _internet(self, s: Spot, d: Spot, trace: Trace) -> Verdict:
        inbound = s.internet
        inside, outside = (d, s) if inbound else (s, d)
        if inside.subnet is None:
            return trace.step("denied", f"{inside.label} is not in a scanned VPC")
        verdict = _ipv6(inside, outside, trace)
        if verdict == "denied":
            return verdict
        route, status, table = self.lpm(inside.subnet, outside, trace)
        if status == "unknown":
            return trace.step("possible", f"route table of {inside.subnet.id} is unknown")
        if route is not None and route.kind in ("nat", "eigw") and not inbound:
            return worst(verdict, trace.step("allowed", f"{route.describe(table)} (outbound only)"))
        if route is not None and route.kind in OPAQUE:
            return trace.step("possible", f"{route.describe(table)}: the far side is not visible")
        if route is None or route.kind != "igw":
            return self._no_gateway(inside.subnet, route, status, table, inbound, trace)
        trace.step("allowed", route.describe(table))
        return _public_address(inside, outside, verdict, trace)

    def _no_gateway(
        self, subnet: Subnet, route: Route | None, status: str, table: str, inbound: bool, trace: Trace
    ) -> Verdict:
        """The internet leg when the best route for the address is not an internet gateway."""
        listed = self._prefix_list_route(subnet, ("igw",) if inbound else ("igw", "nat", "eigw"))
        if listed is not None:
            return trace.step("possible", f"{listed.describe(table)} (prefix list contents are not collected)")
        if status == "partial":
            return trace.step("possible", f"{table} routes only part of the internet through a gateway")
        if route is None:
            return trace.step("denied", f"{table} has no route {'from' if inbound else 'to'} the internet")
        if route.kind == "nat":
            return trace.step("denied", f"{route.describe(table)}: NAT lets connections out, never in")
        return trace.step("denied", f"{route.describe(table)}: not an internet gateway")

    def _external(self, s: Spot, d: Spot, trace: Trace) -> Verdict:
        """One end outside every scanned VPC but not on the internet (on-premises, another account)."""
        inside, outside = (d, s) if s.subnet is None else (s, d)
        if inside.subnet is None:
            return trace.step("denied", f"neither {s.label} nor {d.label} is in a scanned VPC")
        route, status, table = self.lpm(inside.subnet, outside, trace)
        if status == "unknown":
            return trace.step("possible", f"route table of {inside.subnet.id} is unknown")
        if route is not None and (route.kind in OPAQUE or route.kind == "peering"):
            return trace.step("possible", f"{route.describe(table)}: the far side is not scanned")
        if route is not None and route.kind == "local":
            text = f"{outside.label} is inside {inside.subnet.vpc} but in no subnet of the snapshot"
            return trace.step("possible", text)
        if status == "partial":
            return trace.step("possible", f"{table} routes part of {outside.label} elsewhere")
        if route is None:
            return trace.step("denied", f"{table} has no route to {outside.label}")
        return trace.step("denied", f"{route.describe(table)}: it cannot reach {outside.label}")


def _ipv6(inside: Spot, outside: Spot, trace: Trace) -> Verdict:
    """IPv6 to or from the internet: the node must have an IPv6 address, and for most that is not
    collected."""
    if outside.addr[0] != 6:
        return "allowed"
    node = inside.node
    if node and node.ipv6 is False:
        return trace.step("denied", f"{inside.label} has no IPv6 address")
    if node is None or node.ipv6 is None:
        return trace.step("possible", f"IPv6 addresses of {inside.label} are not collected")
    return "allowed"


def _public_address(inside: Spot, outside: Spot, verdict: Verdict, trace: Trace) -> Verdict:
    # Behind an internet gateway a resource needs its own public address, both ways.
    node = inside.node
    if node is None:
        return trace.step("possible", f"an address in {inside.label} may have a public IP")
    if outside.addr[0] == 6:
        return verdict
    if node.public is None:
        return trace.step("possible", f"whether {inside.label} has a public address is unknown")
    if not node.public:
        return trace.step("denied", f"{inside.label} {node.public_note}")
    trace.step("allowed", f"{inside.label} {node.public_note}")
    return verdict

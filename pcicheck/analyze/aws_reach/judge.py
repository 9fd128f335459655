"""One flow between two concrete spots, judged end to end: what the ends themselves decide (ports they
answer on, endpoints that open no connections, EC2-Classic, EKS public endpoints), then routes,
network ACLs and security groups, in the order a packet meets them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pcicheck.analyze.aws_reach.acls import Acls
from pcicheck.analyze.aws_reach.model import CLUSTER, INSTANCE, Acl, Group, Spot, Trace
from pcicheck.analyze.aws_reach.ranges import Net, holds, ports_text
from pcicheck.analyze.aws_reach.routes import Routes, Tables
from pcicheck.analyze.aws_reach.security_groups import SecurityGroups
from pcicheck.analyze.k8s_reach import Verdict


class Judge:
    """Judges flows against one snapshot's route tables, ACLs and security groups."""

    def __init__(self, tables: Tables, acls: Mapping[str, Acl], groups: Mapping[str, Group]) -> None:
        self._tables = tables
        self._acls = acls
        self._groups = groups
        self._routes = Routes(tables)
        self._nacls = Acls(acls)
        self._security_groups = SecurityGroups(groups)

    def flow(self, s: Spot, d: Spot, protocol: int, port: int, trace: Trace) -> Verdict:
        """Can `s` open a connection to `d` on protocol/port? The reasons go to the trace."""
        decided = _ends(s, d, protocol, port, trace)
        if decided is not None:
            return decided
        if not (s.missing or d.missing) and self._routes.judge(s, d, trace) == "denied":
            return "denied"
        if self._nacls.judge(s, d, protocol, port, trace) == "denied":
            return "denied"
        if self._security_groups.judge(s, d, protocol, port, trace) == "denied":
            return "denied"
        return trace.verdict

    def may_admit(self, targets: Iterable[Spot], protocol: int, port: int) -> bool:
        """Whether any flow into these positions could pass on the port: a cheap test before judging."""
        return self._security_groups.may_admit(targets, protocol, port)

    # --- the CIDRs and ports the rules in play mention --------------------------------------------

    def cuts(self, s: Spot, d: Spot) -> list[Net]:
        """Every CIDR the rules in play between these spots mention."""
        nets: list[Net] = []
        for spot, key in ((s, "egress"), (d, "ingress")):
            for gid in spot.groups or ():
                group = self._groups.get(gid)
                for rule in (getattr(group, key) or ()) if group else ():
                    nets.extend(n for n, _ in rule.nets)
            if spot.subnet:
                acl = self._acls.get(spot.subnet.acl or "")
                if acl:
                    nets.extend(e.net for e in (acl.inbound or ()) + (acl.outbound or ()) if e.net)
                nets.extend(r.dest for r in self._tables.get(spot.subnet.table or "") or () if r.dest)
            if spot.node and spot.node.eks_cidrs:
                nets.extend(n for n, _ in spot.node.eks_cidrs)
        return nets

    def port_cuts(self, spots: Iterable[Spot], protocol: int) -> list[tuple[int, int]]:
        """The port spans every group rule and ACL entry of these spots gives for the protocol."""
        spans: list[tuple[int, int]] = []
        for spot in spots:
            for gid in spot.groups or ():
                group = self._groups.get(gid)
                for rule in ((group.ingress or ()) + (group.egress or ())) if group else ():
                    if rule.protocol == protocol:
                        spans.append((rule.low, rule.high))
            if spot.subnet:
                acl = self._acls.get(spot.subnet.acl or "")
                for e in ((acl.inbound or ()) + (acl.outbound or ())) if acl else ():
                    if e.protocol == protocol:
                        spans.append((e.low, e.high))
        return spans


def _ends(s: Spot, d: Spot, protocol: int, port: int, trace: Trace) -> Verdict | None:
    """The verdict when the ends alone settle the flow, else None (the path decides)."""
    node = d.node
    if node is not None:
        if node.services is None:
            if node.type != INSTANCE:
                trace.step("possible", f"the ports {d.label} answers on are unknown")
        elif not any(p == protocol and lo <= port <= hi for p, lo, hi in node.services):
            listed = ", ".join(ports_text(*x) for x in node.services) or "no port"
            return trace.step("denied", f"{d.label} answers only on {listed}")
    if s.node and s.node.type == CLUSTER:
        return trace.step("denied", f"{s.label} is an EKS API endpoint: it does not open connections")
    for spot in (s, d):
        if spot.node and spot.node.ec2_classic:
            # No subnet, route table, ACL or VPC security group stands between it and anything.
            return trace.step(
                "possible", f"{spot.label} is in EC2-Classic, outside every VPC: its path is not modelled"
            )
    if node and node.type == CLUSTER and d.external:
        return _eks_public(s, d, trace)
    return _placement(s, d, trace)


def _eks_public(s: Spot, d: Spot, trace: Trace) -> Verdict:
    """An EKS cluster's public endpoint: on the internet, behind its own CIDR list, not a VPC path."""
    node = d.node
    assert node is not None
    if node.eks_public is False:
        return trace.step("denied", f"{d.label} public endpoint is disabled")
    if node.eks_public is None:
        trace.step("possible", f"whether {d.label} has a public endpoint is unknown")
    if not s.internet:
        return trace.step("denied", f"{d.label} public endpoint is on the internet, which {s.label} is not")
    if node.eks_cidrs is None:
        return trace.step("possible", f"the CIDRs {d.label} public endpoint admits are unknown")
    for net, text in node.eks_cidrs:
        if holds(net, s.addr):
            return trace.step("allowed", f"{d.label} public endpoint admits {text}")
    admitted = ", ".join(t for _, t in node.eks_cidrs) or "no CIDR"
    return trace.step("denied", f"{d.label} public endpoint admits only {admitted}")


def _placement(s: Spot, d: Spot, trace: Trace) -> Verdict | None:
    """A subnet missing from the snapshot, or a private endpoint switched off or unknown: a denial
    settles the flow (returned); the rest only weaken it (None)."""
    for spot in (s, d):
        if spot.missing:
            trace.step("possible", f"{spot.missing} is not in the snapshot: its routes and network ACL are unknown")
        if spot.node and spot.node.private is False:
            return trace.step("denied", f"{spot.label} private endpoint is disabled")
        if spot.node and spot.node.private is None:
            trace.step("possible", f"whether {spot.label} has a private endpoint is unknown")
    return None

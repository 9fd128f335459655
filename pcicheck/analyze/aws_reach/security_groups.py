"""Security groups: stateful and allow-only. A flow needs some ingress rule of some group on the
destination's interface and some egress rule of some group on the source's; replies are implied.
A rule names a CIDR, a security group (matching interfaces that hold it, by private address) or a
prefix list (whose contents are not collected: "possible")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pcicheck.analyze.aws_reach.model import ORDER, Group, SgRule, Spot, Trace
from pcicheck.analyze.aws_reach.ranges import NAMES, PORTED, holds
from pcicheck.analyze.k8s_reach import Verdict


class SecurityGroups:
    """The security group leg of a flow's judgement."""

    def __init__(self, groups: Mapping[str, Group]) -> None:
        self.groups = groups

    def judge(self, s: Spot, d: Spot, protocol: int, port: int, trace: Trace) -> Verdict:
        verdict: Verdict = "allowed"
        if s.node and not s.external and s.node.filtered:
            v, text = self._side(s, d, True, protocol, port, trace)
            verdict = trace.step(v, text)
            if v == "denied":
                return v
        if d.node and not d.external:
            if d.node.filtered:
                v, text = self._side(d, s, False, protocol, port, trace)
                verdict = trace.step(v, text)
            else:
                trace.step("allowed", f"{d.label} has no security groups")
        elif d.subnet is not None:
            verdict = trace.step("possible", f"security groups of hosts in {d.label} are not known")
        return verdict

    def may_admit(self, targets: Iterable[Spot], protocol: int, port: int) -> bool:
        """False only when every destination position is a node whose security groups are all known
        and none has an ingress rule for the protocol and port: then nothing can pass."""
        for d in targets:
            node = d.node
            if node is None or d.external or not node.filtered or node.groups is None:
                return True
            for gid in node.groups:
                group = self.groups.get(gid)
                if group is None or group.ingress is None or any(r.covers(protocol, port) for r in group.ingress):
                    return True
        return False

    def _side(
        self, spot: Spot, peer: Spot, egress: bool, protocol: int, port: int, trace: Trace
    ) -> tuple[Verdict, str]:
        """The best answer any group of the spot's node gives for the peer, with the rule that gives it."""
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
                v, t = _rule_admits(rule, peer, trace)
                if v == "allowed":
                    return v, t
                if ORDER[v] > ORDER[best]:
                    best, text = v, t
        if best == "denied":
            what = f"{NAMES[protocol]} {port}" if protocol in PORTED else NAMES.get(protocol, str(protocol))
            names = ", ".join(node.groups) or "no security group"
            direction, preposition = ("egress", "to") if egress else ("ingress", "from")
            text = f"{names}: no {direction} rule for {what} {preposition} {peer.label}"
        return best, text


def _rule_admits(rule: SgRule, peer: Spot, trace: Trace) -> tuple[Verdict, str]:
    """Whether the rule's CIDRs, groups or prefix lists hold the peer; of several maybes, the first."""
    best, text = _by_cidr(rule, peer, trace)
    if best == "allowed":
        return best, text
    by_group, group_text = _by_group(rule, peer)
    if by_group == "allowed" or best == "denied":
        best, text = by_group, group_text
    if best == "denied" and rule.prefix_lists:
        best, text = "possible", rule.describe(rule.prefix_lists[0]) + " (prefix list contents are not collected)"
    return best, text


def _by_cidr(rule: SgRule, peer: Spot, trace: Trace) -> tuple[Verdict, str]:
    best: Verdict = "denied"
    text = ""
    for net, written in rule.nets:
        m = holds(net, peer.addr)
        if m is True:
            return "allowed", rule.describe(written)
        if m is None:
            if peer.stand_in:
                trace.split = True
            if best == "denied":
                best, text = "possible", rule.describe(written) + f" (only part of {peer.label})"
    return best, text


def _by_group(rule: SgRule, peer: Spot) -> tuple[Verdict, str]:
    if peer.internet or peer.external:
        return "denied", ""  # a group reference matches interfaces in a VPC, by private address
    for gid in rule.groups:
        if peer.groups is None:
            return "possible", rule.describe(gid) + f" (groups of {peer.label} are unknown)"
        if gid in peer.groups:
            return "allowed", rule.describe(gid)
    return "denied", ""

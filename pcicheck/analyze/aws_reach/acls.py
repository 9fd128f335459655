"""Network ACLs: stateless and ordered. Per subnet and direction, the lowest-numbered matching entry
decides and `*` denies. Crossing a subnet boundary needs the destination subnet's inbound (service
port) and outbound (reply to the client's ephemeral port, 1024-65535) entries, and for a source
inside a VPC its own subnet's outbound and inbound-reply entries. Traffic within one subnet crosses
no ACL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pcicheck.analyze.aws_reach.model import STAR, Acl, AclEntry, Spot, Trace, worst
from pcicheck.analyze.aws_reach.ranges import EPHEMERAL, PORTED, Net, holds, pieces
from pcicheck.analyze.k8s_reach import Verdict

# One ACL check of a flow: (the spot whose subnet's ACL applies, outbound, low port, high port,
# the spot at the other end, what to add to the reason).
_Check = tuple[Spot, bool, int, int, Spot, str]


class Acls:
    """The network ACL leg of a flow's judgement. Answers are cached per ACL, direction, ports and
    peer address: many flows cross the same few ACLs."""

    def __init__(self, acls: Mapping[str, Acl]) -> None:
        self.acls = acls
        self._cache: dict[tuple[Any, ...], tuple[bool | None, str]] = {}

    def judge(self, s: Spot, d: Spot, protocol: int, port: int, trace: Trace) -> Verdict:
        if s.subnet and d.subnet and s.subnet.id == d.subnet.id:
            trace.step("allowed", f"same subnet {s.subnet.id}: no network ACL crossed")
            return "allowed"
        verdict: Verdict = "allowed"
        for here, outbound, low, high, peer, suffix in _checks(s, d, protocol, port):
            assert here.subnet is not None
            acl = self.acls.get(here.subnet.acl or "")
            if acl is None:
                verdict = worst(verdict, trace.step("possible", f"network ACL of {here.subnet.id} is unknown"))
                continue
            answer, text = self._decides(acl, outbound, protocol, low, high, peer, trace)
            if answer is False:
                return trace.step("denied", text + suffix)
            verdict = worst(verdict, trace.step("allowed" if answer else "possible", text + suffix))
        return verdict

    def _decides(
        self, acl: Acl, outbound: bool, protocol: int, low: int, high: int, peer: Spot, trace: Trace
    ) -> tuple[bool | None, str]:
        """Does the ACL let traffic to (outbound) or from (inbound) the peer through on some port of
        [low, high]? True, False, or None (unreadable entries, or only some addresses of a range)."""
        key = (acl.id, outbound, protocol, low, high, peer.addr)
        found = self._cache.get(key)
        if found is None:
            found = first_match(acl, outbound, protocol, low, high, peer.addr)
            self._cache[key] = found
        if found[0] is None and peer.stand_in:
            trace.split = True
        return found


def _checks(s: Spot, d: Spot, protocol: int, port: int) -> list[_Check]:
    """The ACL crossings of a flow and of its replies, source side first."""
    reply = EPHEMERAL if protocol in PORTED else (port, port)
    note = f" (reply on {reply[0]}-{reply[1]})" if protocol in PORTED else " (reply)"
    checks: list[_Check] = []
    if s.subnet:
        checks += [(s, True, port, port, d, ""), (s, False, reply[0], reply[1], d, note)]
    if d.subnet:
        checks += [(d, False, port, port, s, ""), (d, True, reply[0], reply[1], s, note)]
    return checks


def first_match(acl: Acl, outbound: bool, protocol: int, low: int, high: int, addr: Net) -> tuple[bool | None, str]:
    """The ACL's answer for the address on [low, high], and the entry that gives it: True when some
    port passes, None when one may, else False."""
    direction = "outbound" if outbound else "inbound"
    entries = acl.outbound if outbound else acl.inbound
    if entries is None:
        return None, f"{acl.id} {direction} entries are unknown"
    ports = [p for p, _ in pieces(low, high, _spans(entries))] if protocol in PORTED else [low]
    answers: dict[bool | None, str] = {}
    for port in ports:
        answer, text = _at_port(acl.id, direction, entries, protocol, port, addr)
        answers.setdefault(answer, text)
        if answer is True:
            break
    for answer in (True, None, False):
        if answer in answers:
            return answer, answers[answer]
    return False, f"{acl.id} {direction}: no rule matches, * denies"


def _at_port(
    acl: str, direction: str, entries: Iterable[AclEntry], protocol: int, port: int, addr: Net
) -> tuple[bool | None, str]:
    """The first entry that holds the address decides; an entry that holds only part of a range
    (or has an unreadable CIDR) may decide, so the answer is then known only when all agree."""
    outcomes: set[bool] = set()
    text = ""
    for e in entries:
        if not e.covers(protocol, port, port):
            continue
        m = holds(e.net, addr) if e.net else None
        if m is False:
            continue
        outcomes.add(e.allow)
        number = "*" if e.number == STAR else e.number
        text = text or f"{acl} {direction} rule {number} {'allow' if e.allow else 'deny'}"
        if m is True:
            break
    else:
        outcomes.add(False)
        text = text or f"{acl} {direction}: no rule matches, * denies"
    return (True if outcomes == {True} else False if outcomes == {False} else None), text


def _spans(entries: Iterable[AclEntry]) -> list[tuple[int, int]]:
    return [(e.low, e.high) for e in entries if e.protocol in PORTED]

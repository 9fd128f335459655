"""Addresses and ports as integer ranges, and the protocol numbers rules name.

Every rule, route and ACL entry compares addresses many times per flow: as integers, a CIDR is two
comparisons, where `ipaddress` objects would be built and compared on every question."""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable, Mapping

from pcicheck.analyze.addresses import NOT_INTERNET

Net = tuple[int, int, int]  # (IP version, first address, last address), addresses as integers

TOP = {4: 2**32 - 1, 6: 2**128 - 1}
ANY_IPV4: Net = (4, 0, TOP[4])  # where an end sits when only "somewhere" is known

PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "-1": -1, "all": -1}
NAMES = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", -1: "all"}
PORTED = (6, 17)
EPHEMERAL = (1024, 65535)


def to_net(text: object) -> Net | None:
    try:
        n = ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None
    return (n.version, int(n.network_address), int(n.broadcast_address))


def prefix_length(net: Net) -> int:
    bits = 32 if net[0] == 4 else 128
    return bits - (net[2] - net[1] + 1).bit_length() + 1


def holds(rule: Net, x: Net) -> bool | None:
    """Does `rule` hold `x`? None when it holds only part of a range `x` (an address inside it)."""
    if rule[0] != x[0] or rule[2] < x[1] or x[2] < rule[1]:
        return False
    if rule[1] <= x[1] and x[2] <= rule[2]:
        return True
    return None


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def pieces(lo: int, hi: int, cuts: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """[lo, hi] cut at the edges of every span in `cuts`: within a piece each span holds all or nothing."""
    points = {lo}
    for a, b in cuts:
        if lo < a <= hi:
            points.add(a)
        if lo <= b < hi:
            points.add(b + 1)
    starts = sorted(points)
    return [(s, (starts[i + 1] - 1) if i + 1 < len(starts) else hi) for i, s in enumerate(starts)]


def ports_text(protocol: int, low: int, high: int) -> str:
    if protocol not in PORTED:
        return NAMES.get(protocol, str(protocol))
    if (low, high) == (0, 65535):
        return f"all/{NAMES[protocol]}"
    return f"{low}/{NAMES[protocol]}" if low == high else f"{low}-{high}/{NAMES[protocol]}"


def protocol_number(value: object) -> int:
    text = str(value).lower()
    if text in PROTOCOLS:
        return PROTOCOLS[text]
    return int(text)  # numbered protocols as AWS reports them ("50" for ESP)


class InternetSpace:
    """Which addresses are on the internet: none of private, shared, loopback, link-local, multicast
    or reserved space, and none inside a scanned VPC (whose addresses may be public but are ours)."""

    def __init__(self, vpcs: Mapping[str, Iterable[Net]]) -> None:
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for n in NOT_INTERNET:
            spans[n.version].append((int(n.network_address), int(n.broadcast_address)))
        for nets in vpcs.values():
            spans[4] += [(n[1], n[2]) for n in nets if n[0] == 4]
        self._excluded = {v: merge(s) for v, s in spans.items()}
        self._starts = {v: [s for s, _ in e] for v, e in self._excluded.items()}

    def first_free(self, version: int, lo: int, hi: int) -> int | None:
        """The first address in [lo, hi] on the internet, or None."""
        spans, starts = self._excluded[version], self._starts[version]
        i = bisect.bisect_right(starts, lo) - 1
        x = lo
        if i >= 0 and spans[i][1] >= x:
            x = spans[i][1] + 1
        return x if x <= hi else None

    def holds_any(self, net: Net) -> bool:
        """Whether `net` holds any internet address."""
        return self.first_free(net[0], net[1], net[2]) is not None

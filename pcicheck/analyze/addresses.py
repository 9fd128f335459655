"""Address space arithmetic shared by the reachability engines: what counts as the internet, and
what a CIDR minus its exceptions still contains."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Pod and VPC addresses come from here; nothing here is routable from the internet.
PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
# IPv6: only global unicast (2000::/3) is routed on the internet; the rest (ULA, link-local, multicast) is not.
NOT_INTERNET = PRIVATE + tuple(
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3", "::/3", "4000::/2", "8000::/1")
)


def network(cidr: str) -> Network:
    return ipaddress.ip_network(str(cidr), strict=False)


def subtract(networks: Iterable[Network], removed: Iterable[Network]) -> list[Network]:
    """The addresses of `networks` outside `removed`, as CIDRs (CIDRs either nest or are disjoint)."""
    left = list(networks)
    for gone in removed:
        kept: list[Network] = []
        for n in left:
            if n.version != gone.version or not n.overlaps(gone):
                kept.append(n)
            elif not gone.supernet_of(n):  # type: ignore[arg-type]
                kept.extend(n.address_exclude(gone))  # type: ignore[arg-type]
        left = kept
    return left


def admits_internet(cidr: str, excepts: Iterable[str] = ()) -> bool:
    """Whether `cidr` minus `excepts` holds an address on the internet."""
    return bool(subtract([network(cidr)], [*(network(e) for e in excepts), *NOT_INTERNET]))


def covers_private(cidr: str, excepts: Iterable[str] = ()) -> bool:
    """Whether `cidr` minus `excepts` holds a private address (where pod IPs live)."""
    left = subtract([network(cidr)], [network(e) for e in excepts])
    return any(n.version == p.version and n.overlaps(p) for n in left for p in PRIVATE)

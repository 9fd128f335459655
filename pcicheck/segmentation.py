"""`pcicheck segmentation query`: answer flows against the NetworkPolicies of a cluster or manifests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck.analyze.k8s_reach import Cluster
from pcicheck.errors import InputError
from pcicheck.model import Snapshot
from pcicheck.yamlfile import LineDict, load_documents

PROTOCOLS = ("TCP", "UDP", "SCTP")


@dataclass(frozen=True)
class Flow:
    source: str
    destination: str
    port: int
    protocol: str
    where: str = ""  # file:line of a flow read from a file


def parse_port(text: str, where: str = "--port") -> tuple[int, str]:
    """`5432`, `5432/TCP`, `53/udp` → (port, protocol)."""
    number, _, protocol = str(text).partition("/")
    protocol = (protocol or "TCP").upper()
    if not number.isdigit() or not 1 <= int(number) <= 65535 or protocol not in PROTOCOLS:
        raise InputError(f"{where}: {text!r} is not PORT[/TCP|UDP|SCTP]", fix="e.g. 5432/TCP")
    return int(number), protocol


def read_flows(path: Path) -> list[Flow]:
    docs = load_documents(path)
    items = docs[0] if len(docs) == 1 and isinstance(docs[0], list) else None
    if items is None:
        raise InputError("a flows file is one YAML list of {from, to, port, protocol}", path=str(path), line=1)
    flows = []
    for item in items:
        line = item.line if isinstance(item, LineDict) else 1
        if not isinstance(item, dict) or not {"from", "to", "port"} <= set(item):
            raise InputError("each flow needs from, to and port", path=str(path), line=line)
        port, protocol = parse_port(f"{item['port']}/{item.get('protocol', 'TCP')}", f"{path}:{line}")
        flows.append(Flow(str(item["from"]), str(item["to"]), port, protocol, f"{path}:{line}"))
    return flows


def answer(snapshot: Snapshot, flows: list[Flow]) -> list[dict[str, Any]]:
    cluster = Cluster.from_resources(snapshot.resources)
    out = []
    for f in flows:
        try:
            src = cluster.endpoint(f.source)
            if f.destination.startswith("svc:"):
                decision = cluster.service_flow(src, f.destination[4:], f.port, f.protocol)
            else:
                decision = cluster.flow(src, cluster.endpoint(f.destination), f.port, f.protocol)
        except (KeyError, ValueError) as exc:
            where = f"{f.where}: " if f.where else ""
            raise InputError(
                f"{where}unknown endpoint: {exc}",
                fix="use NS/POD, node:NAME, cidr:IP or (as destination) svc:NS/NAME naming objects in the scan",
            ) from None
        allowed: bool | str = {"allowed": True, "denied": False}.get(decision.verdict, "possible")
        out.append(
            {
                "from": f.source,
                "to": f.destination,
                "port": f.port,
                "protocol": f.protocol,
                "allowed": allowed,
                "reason": "; ".join(decision.reasons),
            }
        )
    return out

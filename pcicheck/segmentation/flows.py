"""Flows (`pcicheck segmentation query`) answered against the NetworkPolicies of a cluster or manifests,
or the security groups, network ACLs and route tables of AWS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck.analyze.k8s_reach import Cluster
from pcicheck.config import ScopeConfig
from pcicheck.errors import InputError
from pcicheck.model import Snapshot
from pcicheck.yamlfile import LineDict, load_documents

PROTOCOLS = ("TCP", "UDP", "SCTP")
VERDICTS = ("allowed", "denied", "possible")


@dataclass(frozen=True)
class Flow:
    source: str
    destination: str
    port: int
    protocol: str
    where: str = ""  # file:line of a flow read from a file
    expect: str | None = None  # a test plan's required verdict: allowed | denied | possible
    uids: tuple[str, str] | None = None  # an AWS subnet → node flow of a plan: the two resources' uids


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
        expect = item.get("expect")
        if expect is not None and expect not in VERDICTS:
            raise InputError(f"expect: {expect!r} is not one of {', '.join(VERDICTS)}", path=str(path), line=line)
        flows.append(Flow(str(item["from"]), str(item["to"]), port, protocol, f"{path}:{line}", expect))
    return flows


def _is_aws(text: str) -> bool:
    """An AWS endpoint name (instance, subnet, database, load balancer, EKS cluster, ARN, `internet`)
    rather than a Kubernetes one (NS/POD, svc:, node:); `cidr:` is decided by the other end."""
    if text == "internet" or text.startswith(("arn:", "aws://", "subnet-", "i-")):
        return True
    return not text.startswith(("cidr:", "svc:", "node:")) and "/" not in text


def answer(snapshot: Snapshot, flows: list[Flow], scope: ScopeConfig | None = None) -> list[dict[str, Any]]:
    cluster = Cluster.from_resources(snapshot.resources)
    network = None
    ends: dict[str, Any] = {}  # a plan names each subnet and node many times: resolve each name once
    out = []
    for f in flows:
        try:
            if _is_aws(f.source) or _is_aws(f.destination):
                if network is None:
                    network = aws_network(snapshot, scope or ScopeConfig())
                for name in (f.source, f.destination):
                    if name not in ends:
                        ends[name] = network.endpoint(name)
                decision = network.decide(ends[f.source], ends[f.destination], f.port, f.protocol.lower())
            else:
                src = cluster.endpoint(f.source)
                if f.destination.startswith("svc:"):
                    decision = cluster.service_flow(src, f.destination[4:], f.port, f.protocol)
                else:
                    decision = cluster.flow(src, cluster.endpoint(f.destination), f.port, f.protocol)
        except (KeyError, ValueError) as exc:
            where = f"{f.where}: " if f.where else ""
            raise InputError(
                f"{where}unknown endpoint: {exc}",
                fix="use NS/POD, node:NAME, cidr:IP, svc:NS/NAME (destination), or an AWS instance id, subnet id, "
                "RDS identifier, load balancer or EKS cluster name, or `internet`, naming objects in the scan",
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


def aws_network(snapshot: Snapshot, scope: ScopeConfig) -> Any:
    from pcicheck.analyze.aws_reach import Network
    from pcicheck.analyze.scope import scope_facts

    resources = list(snapshot.resources)
    return Network.from_resources(resources, scope_facts(resources, scope))


def check_expectations(answers: list[dict[str, Any]], flows: list[Flow]) -> list[str]:
    """Flows whose configured verdict differs from the `expect` a test plan states ("denied" is met
    only by a denied flow: a possible one is not proven closed)."""
    misses = []
    for a, f in zip(answers, flows, strict=True):
        if f.expect is None:
            continue
        got = {True: "allowed", False: "denied"}.get(a["allowed"], "possible")
        if got != f.expect:
            misses.append(f"{f.where}: {f.source} -> {f.destination} {f.port}/{f.protocol}: expected {f.expect}, {got}")
    return misses

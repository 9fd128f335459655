"""Exact Kubernetes NetworkPolicy (networking.k8s.io/v1) reachability for one flow.

A connection needs the source pod's egress and the destination pod's ingress. A direction is
isolated only when some policy in the pod's namespace selects the pod and lists that direction;
then only the union of the selecting policies' rules allows. Where the specification leaves the
answer to the network plugin (hostNetwork pods, ipBlocks covering pod IPs) the answer is
"possible", never "denied". Works on the normalized records (API-server defaults applied).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pcicheck.analyze.addresses import covers_private
from pcicheck.model import Resource

Verdict = Literal["allowed", "denied", "possible"]
_ORDER = {"denied": 0, "possible": 1, "allowed": 2}
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    labels: dict[str, str]
    ips: tuple[str, ...]
    node: str | None
    host_network: bool
    ports: tuple[tuple[str | None, int, str], ...]  # (name, number, protocol)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Endpoint:
    """A flow end: a pod, a node (by name) or an address."""

    pod: Pod | None = None
    node: str | None = None
    ip: str | None = None

    def label(self) -> str:
        if self.pod:
            return self.pod.key
        return f"node:{self.node}" if self.node else f"cidr:{self.ip}"


@dataclass
class Decision:
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Cluster:
    namespaces: dict[str, dict[str, str]]  # name → labels (with kubernetes.io/metadata.name)
    pods: dict[str, Pod]  # "ns/name" → Pod
    nodes: dict[str, tuple[str, ...]]  # name → internal IPs
    policies: dict[str, list[Resource]]  # namespace → its NetworkPolicy records
    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # "ns/name" → k8s.service attributes

    @classmethod
    def from_resources(cls, resources: list[Resource] | tuple[Resource, ...]) -> Cluster:
        namespaces: dict[str, dict[str, str]] = {}
        pods: dict[str, Pod] = {}
        nodes: dict[str, tuple[str, ...]] = {}
        policies: dict[str, list[Resource]] = {}
        services: dict[str, dict[str, Any]] = {}
        for r in resources:
            a = r.attributes
            if r.type == "k8s.namespace":
                labels = dict(a.get("labels") or {})
                namespaces[labels.get(NAME_LABEL, r.name.split(" ", 1)[-1])] = labels
            elif r.type == "k8s.pod":
                pod = _pod(r)
                pods[pod.key] = pod
            elif r.type == "k8s.node":
                nodes[r.uid.rsplit("/", 1)[-1]] = tuple(a.get("internal_ips") or ())
            elif r.type == "k8s.network_policy":
                policies.setdefault(r.region, []).append(r)
            elif r.type == "k8s.service":
                services[f"{r.region}/{r.uid.rsplit('/', 1)[-1]}"] = r.attributes
        _add_template_pods(resources, pods)
        for pod in pods.values():  # a namespace known only through its pods still has its name label
            namespaces.setdefault(pod.namespace, {NAME_LABEL: pod.namespace})
        return cls(namespaces, pods, nodes, policies, services)

    def endpoint(self, text: str) -> Endpoint:
        """`NS/POD`, `node:NAME` or `cidr:IP`."""
        if text.startswith("cidr:"):
            ipaddress.ip_address(text[5:])
            return Endpoint(ip=text[5:])
        if text.startswith("node:"):
            if text[5:] not in self.nodes:
                raise KeyError(f"no node {text[5:]!r}")
            return Endpoint(node=text[5:])
        if text not in self.pods:
            raise KeyError(f"no pod {text!r}")
        return Endpoint(pod=self.pods[text])

    def service_flow(self, src: Endpoint, service: str, port: int, protocol: str) -> Decision:
        """To a Service: policies see the backend pods and the targetPort after DNAT. Reachable when
        at least one backend is; the reasons name each backend's answer."""
        spec = self.services.get(service)
        if spec is None:
            raise KeyError(f"no service {service!r}")
        namespace = service.split("/", 1)[0]
        mapping = next(
            (p for p in spec.get("ports") or () if p.get("port") == port and (p.get("protocol") or "TCP") == protocol),
            None,
        )
        if mapping is None:
            return Decision("denied", [f"service {service} has no port {port}/{protocol}"])
        selector = spec.get("selector") or {}
        backends = [
            p
            for p in self.pods.values()
            if p.namespace == namespace and selector and all(p.labels.get(k) == v for k, v in selector.items())
        ]
        if not backends:
            return Decision("denied", [f"service {service} selects no pods"])
        best: Verdict = "denied"
        reasons = []
        for pod in sorted(backends, key=lambda p: p.key):
            target = mapping.get("target_port", port)
            if isinstance(target, str) and not target.isdigit():
                number = next((n for name, n, proto in pod.ports if name == target and proto == protocol), None)
                if number is None:
                    reasons.append(f"{pod.key}: no container port named {target}")
                    continue
            else:
                number = int(target)
            decision = self.flow(src, Endpoint(pod=pod), number, protocol)
            reasons.append(f"{pod.key}:{number} {decision.verdict} ({'; '.join(decision.reasons)})")
            if _ORDER[decision.verdict] > _ORDER[best]:
                best = decision.verdict
        return Decision(best, reasons)

    def flow(self, src: Endpoint, dst: Endpoint, port: int, protocol: str) -> Decision:
        if src.pod and dst.pod and src.pod.key == dst.pod.key:
            return Decision("allowed", ["a pod can always reach itself"])
        egress = self._egress(src, dst, port, protocol)
        ingress = self._ingress(src, dst, port, protocol)
        verdict = min((egress.verdict, ingress.verdict), key=_ORDER.__getitem__)
        return Decision(verdict, [f"egress: {r}" for r in egress.reasons] + [f"ingress: {r}" for r in ingress.reasons])

    # --- directions ---------------------------------------------------------------------------

    def _egress(self, src: Endpoint, dst: Endpoint, port: int, protocol: str) -> Decision:
        if src.pod is None:
            return Decision("allowed", ["source is outside the pod network: no egress policy applies"])
        if src.pod.host_network:
            return Decision("possible", [f"{src.pod.key} uses hostNetwork: policies may not apply (plugin-defined)"])
        return self._direction(src.pod, "Egress", "to", dst, port, protocol, dst_pod=dst.pod)

    def _ingress(self, src: Endpoint, dst: Endpoint, port: int, protocol: str) -> Decision:
        if dst.pod is None:
            return Decision("allowed", ["destination is outside the pod network: no ingress policy applies"])
        if dst.pod.host_network:
            return Decision("possible", [f"{dst.pod.key} uses hostNetwork: policies may not apply (plugin-defined)"])
        if src.node and src.node == dst.pod.node:
            return Decision("allowed", [f"traffic from its own node {src.node} is always allowed"])
        decision = self._direction(dst.pod, "Ingress", "from", src, port, protocol, dst_pod=dst.pod)
        if decision.verdict == "denied" and src.pod and src.pod.host_network:
            # It sends from its node's address: seen as the pod, as the node (always allowed to that
            # node's own pods; a DaemonSet is on every node) or as an ipBlock address, as the plugin decides.
            decision = Decision("possible", [*decision.reasons, f"{src.pod.key} uses hostNetwork (plugin-defined)"])
        return decision

    def _direction(
        self, pod: Pod, kind: str, peers_key: str, other: Endpoint, port: int, protocol: str, *, dst_pod: Pod | None
    ) -> Decision:
        selecting = [
            p
            for p in self.policies.get(pod.namespace, [])
            if kind in p.attributes.get("policy_types", ()) and _selects(p.attributes.get("pod_selector"), pod.labels)
        ]
        if not selecting:
            return Decision("allowed", [f"{pod.key} is not isolated for {kind.lower()}"])
        best: Verdict = "denied"
        reasons: list[str] = []
        for policy in selecting:
            for i, rule in enumerate(policy.attributes.get(kind.lower(), ())):
                if not _ports_match(rule.get("ports") or [], port, protocol, dst_pod):
                    continue
                answer = self._peers_match(rule.get(peers_key) or [], policy.region, other)
                if answer != "denied":
                    reasons.append(f"{policy.name} {kind.lower()} rule {i + 1} ({answer})")
                    if _ORDER[answer] > _ORDER[best]:
                        best = answer
        if best == "denied":
            names = ", ".join(p.name for p in selecting)
            reasons.append(f"{pod.key} is isolated for {kind.lower()} by {names} and no rule allows it")
        return Decision(best, reasons)

    def _peers_match(self, peers: list[dict[str, Any]], policy_ns: str, other: Endpoint) -> Verdict:
        if not peers:
            return "allowed"  # no from/to: every peer, external ones included
        best: Verdict = "denied"
        for peer in peers:
            answer = self._peer_match(peer, policy_ns, other)
            if _ORDER[answer] > _ORDER[best]:
                best = answer
        return best

    def _peer_match(self, peer: dict[str, Any], policy_ns: str, other: Endpoint) -> Verdict:
        block = peer.get("ip_block")
        if block:
            ips = self._addresses(other)
            if other.pod and not ips:
                # Addresses unknown (a template or a pending pod): it gets one from pod space.
                return "possible" if covers_private(block.get("cidr"), block.get("except") or ()) else "denied"
            if not any(_in_block(ip, block) for ip in ips):
                return "denied"
            # An ipBlock covering a pod's IP (or a hostNetwork pod's node IP) is plugin-defined.
            return "possible" if other.pod else "allowed"
        if other.pod is None:
            return "denied"  # selectors only ever select pods
        if other.pod.host_network:
            verdict: Verdict = "possible"
        else:
            verdict = "allowed"
        ns_selector, pod_selector = peer.get("namespace_selector"), peer.get("pod_selector")
        if ns_selector is None:
            if other.pod.namespace != policy_ns:
                return "denied"
        elif not _selects(ns_selector, self.namespaces.get(other.pod.namespace, {NAME_LABEL: other.pod.namespace})):
            return "denied"
        if pod_selector is not None and not _selects(pod_selector, other.pod.labels):
            return "denied"
        return verdict

    def _addresses(self, e: Endpoint) -> list[str]:
        if e.ip:
            return [e.ip]
        if e.node:
            return list(self.nodes.get(e.node, ()))
        assert e.pod is not None
        if e.pod.host_network and e.pod.node:
            return list(self.nodes.get(e.pod.node, ()))
        return list(e.pod.ips)


def _pod(record: Resource) -> Pod:
    a = record.attributes
    ports = tuple((p.get("name"), int(p["port"]), str(p.get("protocol") or "TCP")) for p in a["ports"])
    return Pod(
        record.region,
        str(a["pod_name"]),
        dict(record.tags),
        tuple(a.get("ips") or ()),
        a.get("node_name"),
        bool(a.get("host_network")),
        ports,
    )


def _add_template_pods(resources: list[Resource] | tuple[Resource, ...], pods: dict[str, Pod]) -> None:
    """A controller whose pods are not in `pods` (manifests, or none running yet) stands in as its
    template: unless a pod of its namespace already carries its template labels."""
    for r in resources:
        if r.type == "k8s.workload" and r.attributes.get("kind") != "Pod":
            template = _template_pod(r)
            if template.key not in pods and not any(
                p.namespace == template.namespace and template.labels.items() <= p.labels.items() for p in pods.values()
            ):
                pods[template.key] = template


def _template_pod(workload: Resource) -> Pod:
    """A controller's pod template as one pod, for manifests (and controllers with no pods yet): its
    labels, ports and hostNetwork, no address, keyed `NAMESPACE/WORKLOAD`."""
    a = workload.attributes
    ports = tuple(
        (p.get("name"), int(p["port"]), str(p.get("protocol") or "TCP"))
        for c in a.get("containers") or ()
        for p in c.get("ports") or ()
        if p.get("port") is not None
    )
    name = workload.uid.rsplit("/", 1)[-1]
    labels = {str(k): str(v) for k, v in (a.get("pod_labels") or {}).items()}
    return Pod(workload.region, name, labels, (), a.get("node_name"), bool(a.get("host_network")), ports)


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for k, v in (selector.get("match_labels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("match_expressions") or ():
        key, op, values = e.get("key"), e.get("operator"), set(e.get("values") or ())
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:  # NotIn matches a missing key
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _ports_match(ports: list[dict[str, Any]], port: int, protocol: str, dst_pod: Pod | None) -> bool:
    if not ports:
        return True  # no ports: every port and protocol
    for p in ports:
        if (p.get("protocol") or "TCP") != protocol:
            continue
        want = p.get("port")
        if want is None:
            return True  # a protocol without a port: every port of it
        if isinstance(want, str) and not want.isdigit():
            # Named: resolved on the destination pod's container ports; name and protocol must match.
            if dst_pod and any(
                name == want and number == port and proto == protocol for name, number, proto in dst_pod.ports
            ):
                return True
            continue
        low = int(want)
        high = int(p.get("end_port") or low)
        if low <= port <= high:
            return True
    return False


def _in_block(ip: str, block: dict[str, Any]) -> bool:
    address = ipaddress.ip_address(ip)
    network = ipaddress.ip_network(str(block.get("cidr")), strict=False)
    if address.version != network.version or address not in network:
        return False
    for excluded in block.get("except") or ():
        net = ipaddress.ip_network(str(excluded), strict=False)
        if net.version == address.version and address in net:
            return False
    return True


def _describe_selector(selector: dict[str, Any] | None, what: str) -> str:
    if selector is None:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("match_labels") or {}).items())]
    parts += [
        f"{e.get('key')} {e.get('operator')} {sorted(e.get('values') or [])}".replace(" []", "")
        for e in selector.get("match_expressions") or ()
    ]
    return f"{what} {{{', '.join(parts)}}}" if parts else f"all {what}s"


def _spoofable(selector: dict[str, Any] | None) -> bool:
    """A namespace selector on any label but the API server's own name label can be satisfied by
    anyone allowed to label namespaces (or create one)."""
    if not selector:
        return False
    keys = set(selector.get("match_labels") or {}) | {e.get("key") for e in selector.get("match_expressions") or ()}
    return bool(keys - {NAME_LABEL})


def exposure(cluster: Cluster, pods: list[Pod]) -> list[dict[str, Any]]:
    """For each pod: who may open connections to it, as the policies state it (selectors and CIDRs,
    so namespaces and pods that do not exist yet are covered too)."""
    return [{"pod": pod.key, "exposed_to": _exposed_to(cluster, pod)} for pod in sorted(pods, key=lambda p: p.key)]


def _exposed_to(cluster: Cluster, pod: Pod) -> list[dict[str, Any]]:
    selecting = [
        p
        for p in cluster.policies.get(pod.namespace, [])
        if "Ingress" in p.attributes.get("policy_types", ()) and _selects(p.attributes.get("pod_selector"), pod.labels)
    ]
    entries: list[dict[str, Any]] = []
    if pod.host_network:
        entries.append(
            {
                "source": "plugin-defined: hostNetwork pod",
                "ports": "all",
                "policy": None,
                "warnings": ["hostNetwork pods may not be subject to NetworkPolicy"],
            }
        )
    elif not selecting:
        entries.append(
            {
                "source": "anything (not isolated for ingress)",
                "ports": "all",
                "policy": None,
                "warnings": ["no NetworkPolicy selects this pod for ingress"],
            }
        )
    for policy in selecting:
        for rule in policy.attributes.get("ingress", ()):
            entries += _rule_exposure(policy, rule)
    if not entries:
        names = ", ".join(p.name for p in selecting)
        entries.append(
            {
                "source": "nothing: isolated for ingress and no rule admits a source",
                "ports": "-",
                "policy": names,
                "warnings": [],
            }
        )
    return entries


def _rule_exposure(policy: Resource, rule: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per source an ingress rule admits."""
    ports = _describe_ports(rule.get("ports") or ())
    peers = rule.get("from") or []
    if not peers:
        return [
            {
                "source": "anything, including the internet",
                "ports": ports,
                "policy": policy.name,
                "warnings": ["rule without 'from' admits every source"],
            }
        ]
    entries: list[dict[str, Any]] = []
    for peer in peers:
        source, warnings = _describe_peer(peer, policy.region)
        entries.append({"source": source, "ports": ports, "policy": policy.name, "warnings": warnings})
    return entries


def _describe_ports(ports: Iterable[dict[str, Any]]) -> str:
    return (
        ", ".join(
            f"{p.get('port') if p.get('port') is not None else 'all'}"
            f"{'-' + str(p['end_port']) if p.get('end_port') else ''}/{p.get('protocol') or 'TCP'}"
            for p in ports
        )
        or "all"
    )


def _describe_peer(peer: dict[str, Any], policy_ns: str) -> tuple[str, list[str]]:
    """(what a `from` peer admits, why that deserves a second look)."""
    warnings: list[str] = []
    block = peer.get("ip_block")
    if block:
        source = f"cidr {block.get('cidr')}" + (f" except {block['except']}" if block.get("except") else "")
        if str(block.get("cidr")) in ("0.0.0.0/0", "::/0"):
            warnings.append("open to the internet")
        return source, warnings
    ns_sel, pod_sel = peer.get("namespace_selector"), peer.get("pod_selector")
    ns_text = _describe_selector(ns_sel, "namespace") if ns_sel is not None else f"namespace {policy_ns}"
    source = " and ".join(t for t in (ns_text, _describe_selector(pod_sel, "pod")) if t)
    if ns_sel is not None and not (ns_sel.get("match_labels") or ns_sel.get("match_expressions")):
        warnings.append("every namespace, including ones created later")
    elif _spoofable(ns_sel):
        warnings.append(
            "namespace labels other than kubernetes.io/metadata.name can be set by "
            "anyone who may label or create namespaces"
        )
    return source, warnings

"""Exact Kubernetes NetworkPolicy (networking.k8s.io/v1) reachability for one flow.

A connection needs the source pod's egress and the destination pod's ingress. A direction is
isolated only when some policy in the pod's namespace selects the pod and lists that direction;
then only the union of the selecting policies' rules allows. Traffic between a pod and the node it
runs on is always allowed, both ways. Works on the normalized records (API-server defaults applied).

Where the specification leaves the answer to the network plugin, the flow is decided under every
behaviour it permits, and is `allowed` or `denied` when they all agree; `possible` only when they
differ, the reasons saying which behaviours disagree. For hostNetwork pods the Kubernetes
documentation ("NetworkPolicy and hostNetwork pods") limits the plugin to two behaviours:
  AS_POD   it tells hostNetwork pods' traffic apart and applies NetworkPolicy to them like any pod:
           policies select them, peer selectors match them;
  AS_NODE  it cannot, so it ignores them in `podSelector` and `namespaceSelector` (no policy selects
           them, no peer selector matches them) and treats their traffic as their node's: from and to
           the node IP, always allowed to and from pods on that node.
Under both, "since hostNetwork pods have the same IP addresses as the nodes they reside on", an
ipBlock holding the node's address matches them. Where a node is not known (a template, a pending
pod), AS_NODE is decided with the two pods on one node and on different nodes. An ipBlock covering
a pod's own address stays plugin-defined ("possible"): ipBlocks are meant for cluster-external
addresses.

Network policies of kinds pcicheck does not read (collect/k8s/unread.py) make the flows they may
change `possible`, naming them: they may deny what NetworkPolicy allows (a flow with an end they may
select), and most may allow what it denies, but only in the directions of the pods they select (a
namespaced one: the egress of a source in its namespace, the ingress of a destination there), so a
flow the other end's policies deny stays denied.
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
# The behaviours a flow is decided under: (tag in reasons, when it holds).
AS_POD = ("hostNetwork as pods", "if the plugin applies NetworkPolicy to hostNetwork pods")
AS_NODE = ("hostNetwork as node", "if it sees hostNetwork traffic as its node's (the most common)")
_SAME_NODE = ("same node", "with both on one node")
_OTHER_NODE = ("other nodes", "on different nodes")


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
    """A flow end: a pod, a node (by name) or an address. `host_of`: a hostNetwork pod's traffic seen
    as its node's (AS_NODE); `node` is then its node, None when not known."""

    pod: Pod | None = None
    node: str | None = None
    ip: str | None = None
    host_of: Pod | None = None

    def label(self) -> str:
        if self.pod:
            return self.pod.key
        if self.host_of:
            return f"{self.host_of.key} (as node {self.node or '?'})"
        return f"node:{self.node}" if self.node else f"cidr:{self.ip}"

    @property
    def node_like(self) -> bool:
        return self.host_of is not None or (self.node is not None and self.pod is None)

    def as_node(self) -> Endpoint:
        """AS_NODE: a hostNetwork pod's traffic is its node's; any other end is itself."""
        if self.pod and self.pod.host_network:
            return Endpoint(node=self.pod.node, host_of=self.pod)
        return self


@dataclass
class Decision:
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Unread:
    """A network policy of a kind pcicheck does not read (a k8s.unread_policy record)."""

    label: str  # "CiliumNetworkPolicy (cilium.io)"
    name: str  # "payments/allow-web", or the name of a cluster-wide one
    namespace: str | None  # None: cluster-wide, it may select pods of any namespace
    may_allow: bool  # False: it can only deny (BaselineAdminNetworkPolicy)

    def governs(self, namespaces: Iterable[str]) -> bool:
        return self.namespace is None or self.namespace in namespaces


def _unread(record: Resource) -> Unread:
    a = record.attributes
    cluster_wide = bool(a.get("cluster_wide"))
    name = record.uid.rsplit("/", 1)[-1]
    return Unread(
        str(a.get("label") or a.get("kind")),
        name if cluster_wide else f"{record.region}/{name}",
        None if cluster_wide else record.region,
        bool(a.get("may_allow", True)),
    )


def unread_effect(verdict: Verdict, governing: Iterable[Unread]) -> tuple[Verdict, str | None]:
    """A verdict once the unread policies that may govern the flow are taken into account, and the
    reason naming them (None when they cannot change it)."""
    found = list(governing)
    if verdict == "possible" or not found:
        return verdict, None
    if verdict == "denied" and not any(u.may_allow for u in found):
        return verdict, None
    kinds: dict[str, list[str]] = {}
    for u in found:
        kinds.setdefault(u.label, []).append(u.name)
    named = "; ".join(
        f"{label}: {', '.join(sorted(names)[:3])}{' …' if len(names) > 3 else ''}"
        for label, names in sorted(kinds.items())
    )
    change = "allow" if verdict == "denied" else "deny"
    return (
        "possible",
        f"possible: NetworkPolicy says {verdict}, but policies pcicheck does not read may {change} it ({named})",
    )


@dataclass(frozen=True)
class Cluster:
    namespaces: dict[str, dict[str, str]]  # name → labels (with kubernetes.io/metadata.name)
    pods: dict[str, Pod]  # "ns/name" → Pod
    nodes: dict[str, tuple[str, ...]]  # name → internal IPs
    policies: dict[str, list[Resource]]  # namespace → its NetworkPolicy records
    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # "ns/name" → k8s.service attributes
    unread: tuple[Unread, ...] = ()  # policies of kinds pcicheck does not read

    @classmethod
    def from_resources(cls, resources: list[Resource] | tuple[Resource, ...]) -> Cluster:
        namespaces: dict[str, dict[str, str]] = {}
        pods: dict[str, Pod] = {}
        nodes: dict[str, tuple[str, ...]] = {}
        policies: dict[str, list[Resource]] = {}
        services: dict[str, dict[str, Any]] = {}
        unread: list[Unread] = []
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
            elif r.type == "k8s.unread_policy":
                unread.append(_unread(r))
        _add_template_pods(resources, pods)
        for pod in pods.values():  # a namespace known only through its pods still has its name label
            namespaces.setdefault(pod.namespace, {NAME_LABEL: pod.namespace})
        return cls(namespaces, pods, nodes, policies, services, tuple(sorted(unread, key=lambda u: (u.label, u.name))))

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
        decision = self._permitted(src, dst, port, protocol)
        ends = {e.pod.namespace for e in (src, dst) if e.pod}
        governing = [u for u in self.unread if u.governs(ends)]
        if decision.verdict == "denied" and governing:
            # They may allow only the directions of their own pods: denied stays denied where the others deny.
            opened = self._opened(src, dst)
            if not opened or self._permitted(src, dst, port, protocol, opened).verdict == "denied":
                governing = []
        verdict, why = unread_effect(decision.verdict, governing)
        return Decision(verdict, [why, *decision.reasons]) if why else decision

    def _opened(self, src: Endpoint, dst: Endpoint) -> frozenset[str]:
        """The directions unread policies that may allow could open: a namespaced one selects pods of its own
        namespace only (the egress of a source there, the ingress of a destination there); a cluster-wide
        one any pod."""
        allowing = [u for u in self.unread if u.may_allow]
        return frozenset(
            direction
            for direction, end in (("Egress", src), ("Ingress", dst))
            if end.pod and any(u.namespace in (None, end.pod.namespace) for u in allowing)
        )

    def _permitted(
        self, src: Endpoint, dst: Endpoint, port: int, protocol: str, opened: frozenset[str] = frozenset()
    ) -> Decision:
        """The flow under every behaviour the specification permits: hostNetwork pods as pods and as
        their nodes, and where a node is not known, the two ends on one node and on different nodes."""
        hosts = [e.pod.key for e in (src, dst) if e.pod and e.pod.host_network]
        worlds = [((), src, dst)] if not hosts else [((AS_POD,), src, dst), ((AS_NODE,), src.as_node(), dst.as_node())]
        outcomes: list[tuple[tuple[tuple[str, str], ...], Decision]] = []
        for world, s, d in worlds:
            together = _together(s, d)
            if together is None:
                same = self._decide(s, d, port, protocol, True, opened)
                apart = self._decide(s, d, port, protocol, False, opened)
                if same.verdict == apart.verdict:  # placement does not matter: the general case says why
                    outcomes.append((world, apart))
                else:
                    outcomes += [((*world, _SAME_NODE), same), ((*world, _OTHER_NODE), apart)]
            else:
                outcomes.append((world, self._decide(s, d, port, protocol, together, opened)))
        if len(outcomes) == 1:
            return outcomes[0][1]
        verdicts = {d.verdict for _, d in outcomes}
        subject = f"hostNetwork {', '.join(hosts)}" if hosts else "an unplaced pod"
        if len(verdicts) == 1:
            verdict = next(iter(verdicts))
            head = f"{verdict} under every behaviour the specification permits ({subject}: " + (
                "; ".join(" ".join(t for t, _ in w) for w, _ in outcomes) + ")"
            )
        else:
            verdict = "possible"
            head = f"possible: the specification leaves it to the plugin ({subject}): " + "; ".join(
                f"{d.verdict} {' '.join(when for _, when in w)}" for w, d in outcomes
            )
        tagged = [f"[{', '.join(t for t, _ in w)}] {r}" for w, d in outcomes for r in d.reasons]
        return Decision(verdict, [head, *tagged])

    def _decide(
        self, src: Endpoint, dst: Endpoint, port: int, protocol: str, together: bool, opened: frozenset[str]
    ) -> Decision:
        """Under one behaviour; `together`: a node end and a pod end share the node; `opened`: directions
        taken as allowed (what an unread policy may allow)."""
        free = Decision("allowed", ["opened"])
        egress = free if "Egress" in opened else self._egress(src, dst, port, protocol, together)
        ingress = free if "Ingress" in opened else self._ingress(src, dst, port, protocol, together)
        verdict = min((egress.verdict, ingress.verdict), key=_ORDER.__getitem__)
        return Decision(verdict, [f"egress: {r}" for r in egress.reasons] + [f"ingress: {r}" for r in ingress.reasons])

    # --- directions ---------------------------------------------------------------------------

    def _egress(self, src: Endpoint, dst: Endpoint, port: int, protocol: str, together: bool) -> Decision:
        if src.pod is None:
            return Decision("allowed", ["source is outside the pod network: no egress policy applies"])
        if together and dst.node_like:
            return Decision("allowed", [f"traffic to its own node{_named(dst.node)} is always allowed"])
        return self._direction(src.pod, "Egress", "to", dst, port, protocol, dst_pod=dst.pod)

    def _ingress(self, src: Endpoint, dst: Endpoint, port: int, protocol: str, together: bool) -> Decision:
        if dst.pod is None:
            return Decision("allowed", ["destination is outside the pod network: no ingress policy applies"])
        if together and src.node_like:
            return Decision("allowed", [f"traffic from its own node{_named(src.node)} is always allowed"])
        return self._direction(dst.pod, "Ingress", "from", src, port, protocol, dst_pod=dst.pod)

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
            if (other.pod or other.host_of) and not ips:
                # Addresses unknown (a template or a pending pod): it gets one from pod space, or its
                # node's, which is private in every cluster network.
                return "possible" if covers_private(block.get("cidr"), block.get("except") or ()) else "denied"
            if not any(_in_block(ip, block) for ip in ips):
                return "denied"
            # An ipBlock covering a pod's own IP is plugin-defined; a node's address (a hostNetwork pod's
            # too) is not a pod IP, and the specification says an ipBlock may admit it.
            return "possible" if other.pod and not other.pod.host_network else "allowed"
        if other.pod is None:
            return "denied"  # selectors only ever select pods (AS_NODE: never hostNetwork ones)
        ns_selector, pod_selector = peer.get("namespace_selector"), peer.get("pod_selector")
        if ns_selector is None:
            if other.pod.namespace != policy_ns:
                return "denied"
        elif not _selects(ns_selector, self.namespaces.get(other.pod.namespace, {NAME_LABEL: other.pod.namespace})):
            return "denied"
        if pod_selector is not None and not _selects(pod_selector, other.pod.labels):
            return "denied"
        return "allowed"

    def _addresses(self, e: Endpoint) -> list[str]:
        if e.ip:
            return [e.ip]
        host = e.host_of or (e.pod if e.pod and e.pod.host_network else None)
        if host is not None:
            # A hostNetwork pod has its node's addresses: the node's record's, else its own (the API
            # server copies the node's address into a hostNetwork pod's status).
            return list(self.nodes.get(host.node, ()) if host.node else ()) or list(host.ips)
        if e.node:
            return list(self.nodes.get(e.node, ()))
        assert e.pod is not None
        return list(e.pod.ips)


def _named(node: str | None) -> str:
    return f" {node}" if node else ""


def _together(a: Endpoint, b: Endpoint) -> bool | None:
    """Whether a node end and a pod end share the node (None: a node is not known). False where the
    question does not arise (two pods, two nodes, an address)."""
    for node_end, pod_end in ((a, b), (b, a)):
        if node_end.node_like and pod_end.pod is not None:
            if node_end.node is None or pod_end.pod.node is None:
                return None
            return node_end.node == pod_end.pod.node
    return False


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
    template, unless pods of its own are there. Its pods carry its template labels and a name the
    controller generated from its own (`web-7d4b9-x2x8q`, `db-0`, a CronJob's `backup-28391234-abcde`);
    an unrelated pod that merely carries the same labels, or more, does not replace it."""
    mine: dict[tuple[str, str], list[Pod]] = {}
    for p in pods.values():
        mine.setdefault((p.namespace, p.name.split("-", 1)[0]), []).append(p)
    for r in resources:
        if r.type == "k8s.workload" and r.attributes.get("kind") != "Pod":
            template = _template_pod(r)
            candidates = mine.get((template.namespace, template.name.split("-", 1)[0]), ())
            if template.key not in pods and not any(
                p.name.startswith(template.name + "-") and template.labels.items() <= p.labels.items()
                for p in candidates
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
    unread = [u for u in cluster.unread if u.governs([pod.namespace])]
    if unread:  # they may admit more, or deny what is listed: say so first
        entries.insert(
            0,
            {
                "source": "possible: what policies pcicheck does not read admit or deny",
                "ports": "all",
                "policy": ", ".join(sorted({f"{u.label} {u.name}" for u in unread})),
                "warnings": ["network policies of kinds pcicheck does not read may govern this pod"],
            },
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

"""Reachability between all pods at once, computed on equivalence classes of pods.

Two pods that share a namespace, labels, container ports, hostNetwork and the set of policy ipBlocks
their addresses fall in are treated identically by every NetworkPolicy, so each class is decided
once. Sets of classes are Python ints used as bitmasks: "which sources may reach this destination"
is a handful of ORs and ANDs instead of a loop over pod pairs. The per-flow engine in k8s_reach is
the reference; tests hold the two to the same answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pcicheck.analyze.addresses import covers_private
from pcicheck.analyze.k8s_reach import NAME_LABEL, Cluster, Endpoint, Pod, Verdict, _in_block, _ports_match, _selects

ALL_PORTS = ("TCP", "UDP", "SCTP")


@dataclass(frozen=True)
class PodClass:
    index: int
    namespace: str
    labels: dict[str, str]
    ports: tuple[tuple[str | None, int, str], ...]
    host_network: bool
    blocks: frozenset[int]  # ids of the policy ipBlocks that contain an address of its pods
    members: tuple[Pod, ...]

    @property
    def representative(self) -> Pod:
        return self.members[0]


@dataclass(frozen=True)
class _Rule:
    """One egress rule with what it needs for bulk evaluation."""

    policy: str
    namespace: str
    ports: list[dict[str, Any]]
    sources: int  # classes its policy selects for egress (hostNetwork classes excluded: always "possible")
    allowed: int  # destination classes its peers admit
    possible: int  # destination classes its peers admit only plugin-defined (ipBlock over a pod, hostNetwork)
    any_peer: bool  # no `to`: every destination


_IngressRule = tuple[list[dict[str, Any]], int, int]  # ports, allowed source classes, possible source classes


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


@dataclass
class Reach:
    """For every destination class: the source classes with an allowed flow on some port, and those
    with at best a possible one."""

    cluster: Cluster
    classes: list[PodClass]
    allowed: list[int]
    possible: list[int]
    namespace_masks: dict[str, int] = field(default_factory=dict)

    @classmethod
    def compute(cls, cluster: Cluster) -> Reach:
        return _Builder(cluster).run()

    def class_of(self, pod: Pod) -> PodClass:
        return next(c for c in self.classes if any(m.key == pod.key for m in c.members))

    def sources(self, dst: PodClass) -> Iterator[tuple[PodClass, Verdict]]:
        """Source classes that may reach `dst`, a distinct pod of the class itself included."""
        for i in _bits(self.allowed[dst.index]):
            if i != dst.index or len(dst.members) > 1:
                yield self.classes[i], "allowed"
        for i in _bits(self.possible[dst.index]):
            if i != dst.index or len(dst.members) > 1:
                yield self.classes[i], "possible"

    def namespace_matrix(self) -> dict[str, dict[str, Verdict | None]]:
        """Namespace → namespace: can some pod of one reach a different pod of the other on some port?
        None where no such pair of pods exists."""
        names = sorted(self.cluster.namespaces)
        matrix: dict[str, dict[str, Verdict | None]] = {a: dict.fromkeys(names) for a in names}
        for b in names:
            dsts = [self.classes[i] for i in _bits(self.namespace_masks.get(b, 0))]
            for a in names:
                src_mask = self.namespace_masks.get(a, 0)
                best: Verdict | None = None
                for dst in dsts:
                    mask = src_mask
                    if len(dst.members) == 1:
                        mask &= ~(1 << dst.index)  # a lone pod reaching itself is not a pair
                    if not mask:
                        continue
                    if self.allowed[dst.index] & mask:
                        best = "allowed"
                        break
                    if self.possible[dst.index] & mask:
                        best = "possible"
                    elif best is None:
                        best = "denied"
                matrix[a][b] = best
        return matrix


class _Builder:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.blocks: list[dict[str, Any]] = []
        self._block_ids: dict[str, int] = {}
        self._peer_cache: dict[str, tuple[int, int]] = {}
        self._ns_selector_cache: dict[str, list[str]] = {}
        self.classes: list[PodClass] = []
        self.by_namespace: dict[str, list[PodClass]] = {}
        self.everyone = 0  # every class
        self.host = 0  # the hostNetwork classes

    # --- classes --------------------------------------------------------------------------------

    def _collect_blocks(self) -> None:
        for policies in self.cluster.policies.values():
            for policy in policies:
                for direction, key in (("ingress", "from"), ("egress", "to")):
                    for rule in policy.attributes.get(direction, ()):
                        for peer in rule.get(key) or ():
                            if peer.get("ip_block"):
                                self._block_id(peer["ip_block"])

    def _block_id(self, block: dict[str, Any]) -> int:
        text = json.dumps(block, sort_keys=True)
        if text not in self._block_ids:
            self._block_ids[text] = len(self.blocks)
            self.blocks.append(block)
        return self._block_ids[text]

    def _classes(self) -> list[PodClass]:
        groups: dict[tuple[Any, ...], list[Pod]] = {}
        for pod in self.cluster.pods.values():
            addresses = self.cluster._addresses(Endpoint(pod=pod))
            if addresses:
                blocks = frozenset(i for i, b in enumerate(self.blocks) if any(_in_block(ip, b) for ip in addresses))
            else:  # unknown addresses (a template, a pending pod): any block that can hold a pod IP
                blocks = frozenset(
                    i for i, b in enumerate(self.blocks) if covers_private(str(b.get("cidr")), b.get("except") or ())
                )
            key = (
                pod.namespace,
                tuple(sorted(pod.labels.items())),
                tuple(sorted(pod.ports, key=str)),
                pod.host_network,
                blocks,
            )
            groups.setdefault(key, []).append(pod)
        classes = []
        for i, (key, pods) in enumerate(sorted(groups.items(), key=lambda kv: kv[1][0].key)):
            first = pods[0]
            classes.append(
                PodClass(i, first.namespace, first.labels, first.ports, first.host_network, key[4], tuple(pods))
            )
        return classes

    # --- peers ----------------------------------------------------------------------------------

    def _namespaces_selected(self, selector: dict[str, Any]) -> list[str]:
        text = json.dumps(selector, sort_keys=True)
        if text not in self._ns_selector_cache:
            self._ns_selector_cache[text] = [
                name for name, labels in self.cluster.namespaces.items() if _selects(selector, labels)
            ]
        return self._ns_selector_cache[text]

    def _peer(self, peer: dict[str, Any], policy_ns: str) -> tuple[int, int]:
        """(allowed, possible) class masks of one peer, as the other end of a connection."""
        ns_selector = peer.get("namespace_selector")
        text = json.dumps(peer, sort_keys=True) + ("" if ns_selector is not None else policy_ns)
        cached = self._peer_cache.get(text)
        if cached is not None:
            return cached
        allowed = possible = 0
        block = peer.get("ip_block")
        if block:
            block_id = self._block_id(block)
            for c in self.classes:
                if block_id in c.blocks:
                    possible |= 1 << c.index  # an ipBlock over a pod's address is plugin-defined
        else:
            names = [policy_ns] if ns_selector is None else self._namespaces_selected(ns_selector)
            pod_selector = peer.get("pod_selector")
            for name in names:
                for c in self.by_namespace.get(name, ()):
                    if pod_selector is None or _selects(pod_selector, c.labels):
                        if c.host_network:
                            possible |= 1 << c.index
                        else:
                            allowed |= 1 << c.index
        self._peer_cache[text] = (allowed, possible)
        return allowed, possible

    def _peers(self, peers: list[dict[str, Any]], policy_ns: str) -> tuple[int, int, bool]:
        if not peers:
            return self.everyone, 0, True
        allowed = possible = 0
        for peer in peers:
            a, p = self._peer(peer, policy_ns)
            allowed |= a
            possible |= p
        return allowed, possible & ~allowed, False

    # --- the computation ------------------------------------------------------------------------

    def run(self) -> Reach:
        self._collect_blocks()
        self._index_classes()
        selected, isolated = self._selections()
        everywhere, toward = self._by_destination(self._egress_rules(selected))
        egress_free = self.everyone & ~isolated["Egress"] & ~self.host
        allowed_by: list[int] = []
        possible_by: list[int] = []
        for dst in self.classes:
            ingress_isolated = not dst.host_network and isolated["Ingress"] >> dst.index & 1
            ingress = self._ingress_rules(dst, selected) if ingress_isolated else None
            allowed, possible = self._reach_toward(dst, ingress, everywhere + toward.get(dst.index, []), egress_free)
            allowed_by.append(allowed)
            possible_by.append(possible)
        masks = {ns: sum(1 << c.index for c in members) for ns, members in self.by_namespace.items()}
        return Reach(self.cluster, self.classes, allowed_by, possible_by, masks)

    def _index_classes(self) -> None:
        self.classes = self._classes()
        for c in self.classes:
            self.by_namespace.setdefault(c.namespace, []).append(c)
        self.everyone = (1 << len(self.classes)) - 1
        self.host = sum(1 << c.index for c in self.classes if c.host_network)

    def _selections(self) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """(policy uid, direction) → the classes the policy selects; direction → the classes some
        policy isolates for it."""
        selected: dict[tuple[str, str], int] = {}
        isolated = {"Ingress": 0, "Egress": 0}
        for ns, policies in self.cluster.policies.items():
            for policy in policies:
                for kind in ("Ingress", "Egress"):
                    if kind in policy.attributes.get("policy_types", ()):
                        mask = self._selected_in(ns, policy.attributes.get("pod_selector"))
                        selected[(policy.uid, kind)] = mask
                        isolated[kind] |= mask
        return selected, isolated

    def _selected_in(self, namespace: str, pod_selector: dict[str, Any] | None) -> int:
        """The classes of `namespace` that `pod_selector` selects."""
        mask = 0
        for c in self.by_namespace.get(namespace, ()):
            if _selects(pod_selector, c.labels):
                mask |= 1 << c.index
        return mask

    def _egress_rules(self, selected: dict[tuple[str, str], int]) -> list[_Rule]:
        rules: list[_Rule] = []
        for ns, policies in self.cluster.policies.items():
            for policy in policies:
                sources = selected.get((policy.uid, "Egress"), 0) & ~self.host
                if not sources:
                    continue
                for rule in policy.attributes.get("egress", ()):
                    allowed, possible, any_peer = self._peers(rule.get("to") or [], ns)
                    rules.append(_Rule(policy.name, ns, rule.get("ports") or [], sources, allowed, possible, any_peer))
        return rules

    @staticmethod
    def _by_destination(rules: list[_Rule]) -> tuple[list[_Rule], dict[int, list[_Rule]]]:
        """Egress rules indexed by the destination classes they name, so each destination looks only at
        its own; rules without `to` name every destination."""
        everywhere = [r for r in rules if r.any_peer]
        toward: dict[int, list[_Rule]] = {}
        for r in rules:
            if not r.any_peer:
                for i in _bits(r.allowed | r.possible):
                    toward.setdefault(i, []).append(r)
        return everywhere, toward

    def _ingress_rules(self, dst: PodClass, selected: dict[tuple[str, str], int]) -> list[_IngressRule]:
        """(ports, allowed sources, possible sources) of every ingress rule of the policies selecting `dst`."""
        rules: list[_IngressRule] = []
        for policy in self.cluster.policies.get(dst.namespace, ()):
            if selected.get((policy.uid, "Ingress"), 0) >> dst.index & 1:
                for rule in policy.attributes.get("ingress", ()):
                    a, p, _ = self._peers(rule.get("from") or [], dst.namespace)
                    rules.append((rule.get("ports") or [], a, p))
        return rules

    def _reach_toward(
        self,
        dst: PodClass,
        ingress_rules: list[_IngressRule] | None,
        egress_rules: list[_Rule],
        egress_free: int,
    ) -> tuple[int, int]:
        """(allowed, possible-only) source classes of `dst` on some port. `ingress_rules` is None when
        `dst` is not isolated for ingress."""
        pod = dst.representative
        rule_ports = [r[0] for r in ingress_rules or ()] + [r.ports for r in egress_rules]
        reach_allowed = reach_possible = 0
        for port, protocol in self._ports(dst, rule_ports):
            ia, ip = self._ingress_at(dst, ingress_rules, port, protocol, pod)
            ea, ep = self._egress_at(dst, egress_rules, egress_free, port, protocol, pod)
            reach_allowed |= ia & ea
            reach_possible |= (ia | ip) & (ea | ep)
        return reach_allowed, reach_possible & ~reach_allowed

    def _ingress_at(
        self,
        dst: PodClass,
        ingress_rules: list[_IngressRule] | None,
        port: int,
        protocol: str,
        pod: Pod,
    ) -> tuple[int, int]:
        """(allowed, possible) source classes that `dst`'s ingress admits on one port."""
        if dst.host_network:
            return 0, self.everyone
        if ingress_rules is None:
            return self.everyone, 0
        allowed, possible = 0, self.host  # hostNetwork sources: plugin-defined even when no rule admits them
        for ports, a, p in ingress_rules:
            if _ports_match(ports, port, protocol, pod):
                allowed |= a
                possible |= p
        return allowed, possible

    def _egress_at(
        self, dst: PodClass, egress_rules: list[_Rule], egress_free: int, port: int, protocol: str, pod: Pod
    ) -> tuple[int, int]:
        """(allowed, possible) source classes whose egress lets them send to `dst` on one port."""
        allowed, possible = egress_free, self.host
        for r in egress_rules:
            if _ports_match(r.ports, port, protocol, pod):
                if r.any_peer or r.allowed >> dst.index & 1:
                    allowed |= r.sources
                elif r.possible >> dst.index & 1:
                    possible |= r.sources
        return allowed, possible

    def _ports(self, dst: PodClass, rule_ports: list[list[dict[str, Any]]]) -> list[tuple[int, str]]:
        """Ports at which the verdict toward `dst` can change: its container ports, every edge of a
        numbered port or range that applies to it (±1), and a spare port per protocol that no rule
        names. Every stretch of ports with a constant verdict contains one of them."""
        points: set[tuple[int, str]] = {(n, proto) for _, n, proto in dst.ports}
        named: set[int] = {n for n, _ in points}
        for ports in rule_ports:
            for p in ports:
                proto, port, end = p.get("protocol") or "TCP", p.get("port"), p.get("end_port")
                if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
                    low = int(port)
                    high = int(end or low)
                    for n in (low - 1, low, high, high + 1):
                        if 1 <= n <= 65535:
                            points.add((n, proto))
                            named.add(n)
        spare = next(n for n in range(1024, 65536) if n not in named)
        for proto in ALL_PORTS:
            points.add((spare, proto))
        return sorted(points)


def tenant_matrix(
    matrix: dict[str, dict[str, Verdict | None]], tenants: dict[str, str]
) -> dict[str, dict[str, Verdict | None]]:
    """Tenant → tenant from the namespace matrix; namespaces without a tenant are left out."""
    order = {"denied": 0, "possible": 1, "allowed": 2}
    names = sorted(set(tenants.values()))
    out: dict[str, dict[str, Verdict | None]] = {a: dict.fromkeys(names) for a in names}
    for a_ns, row in matrix.items():
        for b_ns, verdict in row.items():
            a, b = tenants.get(a_ns), tenants.get(b_ns)
            if a is None or b is None or verdict is None:
                continue
            current = out[a][b]
            if current is None or order[verdict] > order[current]:
                out[a][b] = verdict
    return out


def namespace_tenants(cluster: Cluster, tenant_label: str) -> dict[str, str]:
    return {
        labels.get(NAME_LABEL, name): labels[tenant_label]
        for name, labels in cluster.namespaces.items()
        if labels.get(tenant_label)
    }

"""Reachability between all pods at once, computed on equivalence classes of pods.

Two pods that share a namespace, labels, container ports, hostNetwork and the set of policy ipBlocks
their addresses fall in are treated identically by every NetworkPolicy, so each class is decided
once. Sets of classes are Python ints used as bitmasks: "which sources may reach this destination"
is a handful of ORs and ANDs instead of a loop over pod pairs. The per-flow engine in k8s_reach is
the reference; tests hold the two to the same answers.

hostNetwork pods are decided under both behaviours the specification permits (k8s_reach: AS_POD and
AS_NODE): the whole cluster as if they were pods, then, for the pairs with a hostNetwork end, as node
traffic; a pair is allowed (denied) when both say so, possible otherwise. As node traffic, a pod and
its own node always reach each other, so where hostNetwork pods exist the class of a pod also says
its node (for ordinary pods only whether it shares one with a hostNetwork pod, and which).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pcicheck.analyze.addresses import covers_private
from pcicheck.analyze.k8s_reach import (
    NAME_LABEL,
    Cluster,
    Endpoint,
    Pod,
    Verdict,
    _in_block,
    _ports_match,
    _selects,
)

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
    # Where it runs, as far as a hostNetwork pod's node traffic cares: a node's name, "" for a node
    # no hostNetwork pod shares, None when not known (or when there is no hostNetwork pod at all).
    node: str | None = None
    addressed: bool = True  # its addresses are known (a hostNetwork class's are its node's)

    @property
    def representative(self) -> Pod:
        return self.members[0]


@dataclass(frozen=True)
class _Rule:
    """One egress rule with what it needs for bulk evaluation."""

    policy: str
    namespace: str
    ports: list[dict[str, Any]]
    sources: int  # classes its policy selects for egress (hostNetwork ones as pods)
    allowed: int  # destination classes its peers admit
    possible: int  # destination classes its peers admit only plugin-defined (an ipBlock over a pod's IP)
    any_peer: bool  # no `to`: every destination
    node_allowed: int  # hostNetwork destinations its peers admit as node traffic (ipBlocks; every one with no `to`)
    node_possible: int  # ... possibly (an ipBlock that may hold a node address not known)


@dataclass(frozen=True)
class _IngressRule:
    ports: list[dict[str, Any]]
    allowed: int  # source classes its peers admit
    possible: int
    node_allowed: int  # hostNetwork sources its peers admit as node traffic
    node_possible: int


@dataclass(frozen=True)
class _Peers:
    allowed: int
    possible: int
    node_allowed: int
    node_possible: int
    any_peer: bool = False


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
        self._peer_cache: dict[str, _Peers] = {}
        self._ns_selector_cache: dict[str, list[str]] = {}
        self.classes: list[PodClass] = []
        self.by_namespace: dict[str, list[PodClass]] = {}
        self.everyone = 0  # every class
        self.host = 0  # the hostNetwork classes
        self.host_on: dict[str | None, int] = {}  # node (None: not known) → hostNetwork classes there
        self.plain_on: dict[str | None, int] = {}  # node key → the other classes there

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
        pods = list(self.cluster.pods.values())
        host_nodes = {p.node for p in pods if p.host_network}
        groups: dict[tuple[Any, ...], list[Pod]] = {}
        for pod in pods:
            addresses = self.cluster._addresses(Endpoint(pod=pod))
            if addresses:
                blocks = frozenset(i for i, b in enumerate(self.blocks) if any(_in_block(ip, b) for ip in addresses))
            else:  # unknown addresses (a template, a pending pod): any block that can hold a pod IP
                blocks = frozenset(
                    i for i, b in enumerate(self.blocks) if covers_private(str(b.get("cidr")), b.get("except") or ())
                )
            if not host_nodes or pod.node is None:
                node = None
            elif pod.host_network or pod.node in host_nodes:
                node = pod.node
            else:
                node = ""  # a known node no hostNetwork pod runs on: apart from all of them
            key = (
                pod.namespace,
                tuple(sorted(pod.labels.items())),
                tuple(sorted(pod.ports, key=str)),
                pod.host_network,
                blocks,
                node,
                bool(addresses) or not pod.host_network,
            )
            groups.setdefault(key, []).append(pod)
        classes = []
        for i, (key, members) in enumerate(sorted(groups.items(), key=lambda kv: kv[1][0].key)):
            first = members[0]
            classes.append(
                PodClass(
                    i,
                    first.namespace,
                    first.labels,
                    first.ports,
                    first.host_network,
                    key[4],
                    tuple(members),
                    key[5],
                    key[6],
                )
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

    def _peer(self, peer: dict[str, Any], policy_ns: str) -> _Peers:
        """The class masks of one peer, as the other end of a connection: as pods (allowed, possible)
        and, for hostNetwork classes, as node traffic (only ipBlocks match it)."""
        ns_selector = peer.get("namespace_selector")
        text = json.dumps(peer, sort_keys=True) + ("" if ns_selector is not None else policy_ns)
        cached = self._peer_cache.get(text)
        if cached is not None:
            return cached
        allowed = possible = node_allowed = node_possible = 0
        block = peer.get("ip_block")
        if block:
            block_id = self._block_id(block)
            for c in self.classes:
                if block_id in c.blocks:
                    bit = 1 << c.index
                    if not c.host_network:
                        possible |= bit  # an ipBlock over a pod's own address is plugin-defined
                    elif c.addressed:
                        allowed |= bit  # a node address: the specification lets an ipBlock admit it
                        node_allowed |= bit
                    else:
                        possible |= bit
                        node_possible |= bit
        else:
            names = [policy_ns] if ns_selector is None else self._namespaces_selected(ns_selector)
            pod_selector = peer.get("pod_selector")
            for name in names:
                for c in self.by_namespace.get(name, ()):
                    if pod_selector is None or _selects(pod_selector, c.labels):
                        allowed |= 1 << c.index  # hostNetwork classes too, as pods
        found = _Peers(allowed, possible, node_allowed, node_possible)
        self._peer_cache[text] = found
        return found

    def _peers(self, peers: list[dict[str, Any]], policy_ns: str) -> _Peers:
        if not peers:
            return _Peers(self.everyone, 0, self.everyone, 0, any_peer=True)
        allowed = possible = node_allowed = node_possible = 0
        for peer in peers:
            one = self._peer(peer, policy_ns)
            allowed |= one.allowed
            possible |= one.possible
            node_allowed |= one.node_allowed
            node_possible |= one.node_possible
        return _Peers(allowed, possible & ~allowed, node_allowed, node_possible & ~node_allowed)

    # --- the computation ------------------------------------------------------------------------

    def run(self) -> Reach:
        self._collect_blocks()
        self._index_classes()
        selected, isolated = self._selections()
        everywhere, toward = self._by_destination(self._egress_rules(selected))
        egress_free = self.everyone & ~isolated["Egress"]
        allowed_by: list[int] = []
        possible_by: list[int] = []
        masks = {ns: sum(1 << c.index for c in members) for ns, members in self.by_namespace.items()}
        for dst in self.classes:
            ingress = self._ingress_rules(dst, selected) if isolated["Ingress"] >> dst.index & 1 else None
            rules = everywhere + toward.get(dst.index, [])
            allowed, possible = self._reach_toward(dst, ingress, rules, egress_free)
            allowed, possible = self._unread(dst, (ingress, rules, egress_free), allowed, possible, masks)
            allowed_by.append(allowed)
            possible_by.append(possible)
        return Reach(self.cluster, self.classes, allowed_by, possible_by, masks)

    def _unread(
        self,
        dst: PodClass,
        decided: tuple[list[_IngressRule] | None, list[_Rule], int],
        allowed: int,
        possible: int,
        masks: dict[str, int],
    ) -> tuple[int, int]:
        """Policies of kinds pcicheck does not read make the pairs they may change possible (k8s_reach.flow):
        an allowed pair with an end in a namespaced policy's namespace (every pair, for a cluster-wide one);
        a denied pair where the directions those that may allow can open (the egress of sources in their
        namespace, the ingress of a destination there; every pod's for a cluster-wide one) would let it
        through: decided again with those directions open. `decided`: the ingress rules, egress rules and
        egress-free classes `dst` was decided with."""
        governed = opened_sources = 0
        opened_ingress = False
        for u in self.cluster.unread:
            own = masks.get(u.namespace, 0) if u.namespace not in (None, dst.namespace) else self.everyone
            governed |= own
            if u.may_allow:
                opened_sources |= self.everyone if u.namespace is None else masks.get(u.namespace, 0)
                opened_ingress |= u.namespace in (None, dst.namespace)
        if not governed:
            return allowed, possible
        kept = allowed & ~governed
        opened = 0
        if (opened_sources or opened_ingress) and governed & ~(allowed | possible):
            ingress, rules, egress_free = decided
            reopened = self._reach_toward(dst, None if opened_ingress else ingress, rules, egress_free | opened_sources)
            opened = reopened[0] | reopened[1]
        return kept, (possible | ((allowed | opened) & governed)) & ~kept

    def _index_classes(self) -> None:
        self.classes = self._classes()
        for c in self.classes:
            self.by_namespace.setdefault(c.namespace, []).append(c)
            on = self.host_on if c.host_network else self.plain_on
            on[c.node] = on.get(c.node, 0) | 1 << c.index
        self.everyone = (1 << len(self.classes)) - 1
        self.host = sum(1 << c.index for c in self.classes if c.host_network)

    def _selections(self) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """(policy uid, direction) → the classes the policy selects; direction → the classes some
        policy isolates for it (hostNetwork classes as pods)."""
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
                sources = selected.get((policy.uid, "Egress"), 0)
                if not sources:
                    continue
                for rule in policy.attributes.get("egress", ()):
                    p = self._peers(rule.get("to") or [], ns)
                    rules.append(
                        _Rule(
                            policy.name,
                            ns,
                            rule.get("ports") or [],
                            sources,
                            p.allowed,
                            p.possible,
                            p.any_peer,
                            p.node_allowed,
                            p.node_possible,
                        )
                    )
        return rules

    @staticmethod
    def _by_destination(rules: list[_Rule]) -> tuple[list[_Rule], dict[int, list[_Rule]]]:
        """Egress rules indexed by the destination classes they name, so each destination looks only at
        its own; rules without `to` name every destination."""
        everywhere = [r for r in rules if r.any_peer]
        toward: dict[int, list[_Rule]] = {}
        for r in rules:
            if not r.any_peer:
                for i in _bits(r.allowed | r.possible | r.node_allowed | r.node_possible):
                    toward.setdefault(i, []).append(r)
        return everywhere, toward

    def _ingress_rules(self, dst: PodClass, selected: dict[tuple[str, str], int]) -> list[_IngressRule]:
        """Every ingress rule of the policies selecting `dst` (as a pod)."""
        rules: list[_IngressRule] = []
        for policy in self.cluster.policies.get(dst.namespace, ()):
            if selected.get((policy.uid, "Ingress"), 0) >> dst.index & 1:
                for rule in policy.attributes.get("ingress", ()):
                    p = self._peers(rule.get("from") or [], dst.namespace)
                    rules.append(
                        _IngressRule(rule.get("ports") or [], p.allowed, p.possible, p.node_allowed, p.node_possible)
                    )
        return rules

    def _reach_toward(
        self,
        dst: PodClass,
        ingress_rules: list[_IngressRule] | None,
        egress_rules: list[_Rule],
        egress_free: int,
    ) -> tuple[int, int]:
        """(allowed, possible-only) source classes of `dst` on some port. `ingress_rules` is None when
        `dst` is not isolated for ingress. A pair with a hostNetwork end is allowed on a port when it is
        both as pods and as node traffic, denied when it is neither."""
        pod = dst.representative
        rule_ports = [r.ports for r in ingress_rules or ()] + [r.ports for r in egress_rules]
        reach_allowed = reach_possible = 0
        for port, protocol in self._ports(dst, rule_ports):
            ia, ip = self._ingress_at(ingress_rules, port, protocol, pod)
            ea, ep = self._egress_at(dst, egress_rules, egress_free, port, protocol, pod)
            allowed, maybe = ia & ea, (ia | ip) & (ea | ep)
            if dst.host_network:
                na, nm = self._as_node_toward_host(dst, egress_rules, egress_free, port, protocol)
                allowed, maybe = allowed & na, maybe | nm
            elif self.host:
                na, nm = self._as_node_from_hosts(dst, ingress_rules, port, protocol, pod)
                allowed, maybe = allowed & (na | ~self.host), maybe | nm
            reach_allowed |= allowed
            reach_possible |= maybe
        return reach_allowed, reach_possible & ~reach_allowed

    def _ingress_at(
        self, ingress_rules: list[_IngressRule] | None, port: int, protocol: str, pod: Pod
    ) -> tuple[int, int]:
        """(allowed, possible) source classes that the destination's ingress admits on one port."""
        if ingress_rules is None:
            return self.everyone, 0
        allowed = possible = 0
        for r in ingress_rules:
            if _ports_match(r.ports, port, protocol, pod):
                allowed |= r.allowed
                possible |= r.possible
        return allowed, possible

    def _egress_at(
        self, dst: PodClass, egress_rules: list[_Rule], egress_free: int, port: int, protocol: str, pod: Pod
    ) -> tuple[int, int]:
        """(allowed, possible) source classes whose egress lets them send to `dst` on one port."""
        allowed, possible = egress_free, 0
        for r in egress_rules:
            if _ports_match(r.ports, port, protocol, pod):
                if r.any_peer or r.allowed >> dst.index & 1:
                    allowed |= r.sources
                elif r.possible >> dst.index & 1:
                    possible |= r.sources
        return allowed, possible

    def _as_node_from_hosts(
        self, dst: PodClass, ingress_rules: list[_IngressRule] | None, port: int, protocol: str, pod: Pod
    ) -> tuple[int, int]:
        """AS_NODE, toward an ordinary pod: (allowed, not denied) hostNetwork sources. Their egress is
        node traffic (no policy); the pod's ingress admits them through ipBlocks only, and always from
        its own node (both answers where a node is not known)."""
        if ingress_rules is None:
            return self.host, self.host
        allowed = possible = 0
        for r in ingress_rules:
            if _ports_match(r.ports, port, protocol, pod):
                allowed |= r.node_allowed
                possible |= r.node_possible
        same, unknown = self._placed(dst, self.host_on)
        allowed = (allowed | same) & self.host
        return allowed, (allowed | possible | unknown) & self.host

    def _as_node_toward_host(
        self, dst: PodClass, egress_rules: list[_Rule], egress_free: int, port: int, protocol: str
    ) -> tuple[int, int]:
        """AS_NODE, toward a hostNetwork class (node traffic: no ingress policy): (allowed, not denied)
        sources. hostNetwork sources send as nodes (no egress policy); an ordinary pod's egress admits
        the node through ipBlocks only (a named port names no node's), and always its own node."""
        allowed, possible = (egress_free & ~self.host) | self.host, 0
        for r in egress_rules:
            if _ports_match(r.ports, port, protocol, None):
                if r.node_allowed >> dst.index & 1:
                    allowed |= r.sources
                elif r.node_possible >> dst.index & 1:
                    possible |= r.sources
        same, unknown = self._placed(dst, self.plain_on)
        allowed |= same
        return allowed, allowed | possible | unknown

    @staticmethod
    def _placed(c: PodClass, others: dict[str | None, int]) -> tuple[int, int]:
        """(classes of `others` on c's node, those whose sharing it is not known)."""
        if c.node is None:
            return 0, sum(others.values())
        return others.get(c.node, 0) if c.node else 0, others.get(None, 0)

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

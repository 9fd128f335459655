"""Reachability between all pods at once, computed on equivalence classes of pods.

Two pods that share a namespace, labels, container ports, hostNetwork and the set of policy ipBlocks
their addresses fall in are treated identically by every NetworkPolicy, so each class is decided
once. Sets of classes are Python ints used as bitmasks: "which sources may reach this destination"
is a handful of ORs and ANDs instead of a loop over pod pairs. The per-flow engine in k8s_reach is
the reference; tests hold the two to the same answers.

Real clusters give most workloads labels of their own, so classes number in the thousands: nothing
here compares every class with every other. Selectors are answered from label indexes
(k8s_selectors), an ipBlock finds its classes through the addresses' own networks, egress rules with
the same ports and peers are merged (their sources ORed), and destinations that the same policies
and rules decide, on the same ports and placement, share one computation.

hostNetwork pods are decided under both behaviours the specification permits (k8s_reach: AS_POD and
AS_NODE): the whole cluster as if they were pods, then, for the pairs with a hostNetwork end, as node
traffic; a pair is allowed (denied) when both say so, possible otherwise. As node traffic, a pod and
its own node always reach each other, so where hostNetwork pods exist the class of a pod also says
its node (for ordinary pods only whether it shares one with a hostNetwork pod, and which).
"""

from __future__ import annotations

import ipaddress
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
    _ports_match,
)
from pcicheck.analyze.k8s_selectors import LabelIndex, bits, mask_of
from pcicheck.model import Resource

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
    """Egress rules with the same ports and peers, merged, with what they need for bulk evaluation."""

    ports: list[dict[str, Any]]
    sources: int  # classes their policies select for egress (hostNetwork ones as pods)
    allowed: int  # destination classes their peers admit
    possible: int  # destination classes their peers admit only plugin-defined (an ipBlock over a pod's IP)
    any_peer: bool  # no `to`: every destination
    node_allowed: int  # hostNetwork destinations their peers admit as node traffic (ipBlocks; every one with no `to`)
    node_possible: int  # ... possibly (an ipBlock that may hold a node address not known)


# An egress rule as one destination sees it: (rule, as pods, as node traffic), each 2 allowed, 1
# possible, 0 not admitted.
_Toward = tuple[_Rule, int, int]


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


@dataclass
class Reach:
    """For every destination class: the source classes with an allowed flow on some port, and those
    with at best a possible one. Also what it was computed from, for readers of whole clusters: the
    label index of the classes, and for each class the policies selecting it, by direction."""

    cluster: Cluster
    classes: list[PodClass]
    allowed: list[int]
    possible: list[int]
    namespace_masks: dict[str, int] = field(default_factory=dict)
    labels: LabelIndex = field(default_factory=lambda: LabelIndex([]))
    selected_by: dict[str, list[tuple[Resource, ...]]] = field(default_factory=dict)  # kind → class → policies
    _seen: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _ends: dict[str, int] = field(default_factory=dict, repr=False)
    _verdicts: dict[tuple[int, int], dict[str, Verdict]] = field(default_factory=dict, repr=False)

    @classmethod
    def compute(cls, cluster: Cluster) -> Reach:
        return _Builder(cluster).run()

    def class_of(self, pod: Pod) -> PodClass:
        return next(c for c in self.classes if any(m.key == pod.key for m in c.members))

    def sources(self, dst: PodClass) -> Iterator[tuple[PodClass, Verdict]]:
        """Source classes that may reach `dst`, a distinct pod of the class itself included."""
        for i in bits(self.allowed[dst.index]):
            if i != dst.index or len(dst.members) > 1:
                yield self.classes[i], "allowed"
        for i in bits(self.possible[dst.index]):
            if i != dst.index or len(dst.members) > 1:
                yield self.classes[i], "possible"

    def namespaces_in(self, mask: int) -> tuple[str, ...]:
        """The namespaces with a class in `mask`. Classes are numbered in order of their first pod's
        `namespace/name`, so each namespace's are consecutive: one step per namespace, not per class.
        Many destinations share a mask; each distinct one is read once."""
        found = self._seen.get(mask)
        if found is None:
            if not self._ends:
                self._ends.update(_namespace_ends(self.classes))
            out = []
            text = format(mask, "b")[::-1] if mask else ""
            i = text.find("1")
            while i >= 0:
                ns = self.classes[i].namespace
                out.append(ns)
                i = text.find("1", self._ends[ns])
            found = self._seen[mask] = tuple(out)
        return found

    def namespace_verdicts(self, allowed: int, possible: int) -> dict[str, Verdict]:
        """Namespace → "allowed" where a class of `allowed` is, else "possible" where one of `possible`
        is. Shared between callers asking with the same masks: read it, do not change it."""
        found = self._verdicts.get((allowed, possible))
        if found is None:
            found = dict.fromkeys(self.namespaces_in(possible), "possible")
            found.update(dict.fromkeys(self.namespaces_in(allowed), "allowed"))
            self._verdicts[(allowed, possible)] = found
        return found

    def source_namespaces(self, dst: PodClass) -> dict[str, Verdict]:
        """Namespace → the best verdict of its pods toward a distinct pod of `dst` (what `sources`
        gives, by namespace). Read it, do not change it: destinations alike share one."""
        allowed, possible = self.allowed[dst.index], self.possible[dst.index]
        out = self.namespace_verdicts(allowed, possible)
        bit = 1 << dst.index
        if len(dst.members) == 1 and (allowed | possible) & bit:  # a lone pod reaching itself is not a pair
            out = dict(out)
            own = self.namespace_masks.get(dst.namespace, 0) & ~bit
            if allowed & own:
                out[dst.namespace] = "allowed"
            elif possible & own:
                out[dst.namespace] = "possible"
            else:
                del out[dst.namespace]
        return out

    def namespace_matrix(self) -> dict[str, dict[str, Verdict | None]]:
        """Namespace → namespace: can some pod of one reach a different pod of the other on some port?
        None where no such pair of pods exists."""
        names = sorted(self.cluster.namespaces)
        matrix: dict[str, dict[str, Verdict | None]] = {a: dict.fromkeys(names) for a in names}
        populated = [a for a in names if self.namespace_masks.get(a)]
        for b in populated:
            dsts = [self.classes[i] for i in bits(self.namespace_masks[b])]
            allowed = possible = 0
            for dst in dsts:
                allowed |= self.allowed[dst.index]
                possible |= self.possible[dst.index]
            reached = self.namespace_verdicts(allowed, possible)
            for a in populated:
                if a != b:
                    matrix[a][b] = reached.get(a, "denied")
            # Within the namespace a lone pod does not pair with itself: per destination.
            own: Verdict | None = None
            for dst in dsts:
                if len(dsts) == 1 and len(dst.members) == 1:
                    break  # one pod alone in its namespace: no pair
                verdict = self.source_namespaces(dst).get(b, "denied")
                if verdict == "allowed" or own is None or (verdict == "possible" and own == "denied"):
                    own = verdict
            matrix[b][b] = own
        return matrix


def _namespace_ends(classes: list[PodClass]) -> dict[str, int]:
    """Namespace → one past the index of its last class; its classes must be consecutive."""
    ends: dict[str, int] = {}
    for c in classes:
        if c.namespace in ends and ends[c.namespace] != c.index:
            raise AssertionError(f"classes of namespace {c.namespace} are not consecutive")
        ends[c.namespace] = c.index + 1
    return ends


class _Blocks:
    """Which policy ipBlocks hold an address. Blocks are grouped by their network, so an address looks
    up its own network at each prefix length in use instead of testing every block."""

    def __init__(self, blocks: list[dict[str, Any]]) -> None:
        self._by_network: dict[Any, list[tuple[int, tuple[Any, ...]]]] = {}
        self._lengths: dict[int, set[int]] = {4: set(), 6: set()}
        for i, b in enumerate(blocks):
            net = ipaddress.ip_network(str(b.get("cidr")), strict=False)
            excepts = tuple(ipaddress.ip_network(str(e), strict=False) for e in b.get("except") or ())
            self._by_network.setdefault(net, []).append((i, excepts))
            self._lengths[net.version].add(net.prefixlen)

    def holding(self, ip: str) -> set[int]:
        address = ipaddress.ip_address(ip)
        width = address.max_prefixlen
        kind = ipaddress.IPv4Network if address.version == 4 else ipaddress.IPv6Network
        out: set[int] = set()
        for length in self._lengths[address.version]:
            own = kind((int(address) >> (width - length) << (width - length), length))
            for i, excepts in self._by_network.get(own, ()):
                if not any(e.version == address.version and address in e for e in excepts):
                    out.add(i)
        return out


class _Builder:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.blocks: list[dict[str, Any]] = []
        self._block_ids: dict[str, int] = {}
        self._peer_cache: dict[str, _Peers] = {}
        self.classes: list[PodClass] = []
        self.ns_masks: dict[str, int] = {}  # namespace → its classes
        self.labels = LabelIndex([])  # the classes by their labels
        self.ns_labels = LabelIndex([])  # the classes by their namespace's labels
        self.listed = 0  # the classes whose namespace the cluster lists
        self.block_masks: list[int] = []  # block id → the classes with an address in it
        self.everyone = 0  # every class
        self.host = 0  # the hostNetwork classes
        self.unaddressed_host = 0  # hostNetwork classes whose (node) addresses are not known
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
        lookup: _Blocks | None = None
        unplaced: frozenset[int] | None = None  # the blocks of a pod whose addresses are not known
        groups: dict[tuple[Any, ...], list[Pod]] = {}
        for pod in pods:
            addresses = self.cluster._addresses(Endpoint(pod=pod))
            if addresses:
                lookup = lookup or _Blocks(self.blocks)
                blocks = frozenset(i for ip in addresses for i in lookup.holding(ip))
            else:  # unknown addresses (a template, a pending pod): any block that can hold a pod IP
                if unplaced is None:
                    unplaced = frozenset(
                        i
                        for i, b in enumerate(self.blocks)
                        if covers_private(str(b.get("cidr")), b.get("except") or ())
                    )
                blocks = unplaced
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

    def _index_classes(self) -> None:
        self.classes = classes = self._classes()
        size = len(classes)

        def where(test: Any) -> int:
            return mask_of((c.index for c in classes if test(c)), size)

        members: dict[str, list[int]] = {}
        host_on: dict[str | None, list[int]] = {}
        plain_on: dict[str | None, list[int]] = {}
        in_block: list[list[int]] = [[] for _ in self.blocks]
        for c in classes:
            members.setdefault(c.namespace, []).append(c.index)
            (host_on if c.host_network else plain_on).setdefault(c.node, []).append(c.index)
            for b in c.blocks:
                in_block[b].append(c.index)
        self.ns_masks = {ns: mask_of(found, size) for ns, found in members.items()}
        self.host_on = {node: mask_of(found, size) for node, found in host_on.items()}
        self.plain_on = {node: mask_of(found, size) for node, found in plain_on.items()}
        self.block_masks = [mask_of(found, size) for found in in_block]
        self.labels = LabelIndex([c.labels for c in classes])
        namespaces = self.cluster.namespaces
        self.ns_labels = LabelIndex([namespaces.get(c.namespace, {}) for c in classes])
        self.listed = where(lambda c: c.namespace in namespaces)  # a namespaceSelector sees only these
        self.everyone = (1 << size) - 1
        self.host = where(lambda c: c.host_network)
        self.unaddressed_host = where(lambda c: c.host_network and not c.addressed)

    # --- peers ----------------------------------------------------------------------------------

    def _peer(self, peer: dict[str, Any], policy_ns: str) -> _Peers:
        """The class masks of one peer, as the other end of a connection: as pods (allowed, possible)
        and, for hostNetwork classes, as node traffic (only ipBlocks match it)."""
        ns_selector = peer.get("namespace_selector")
        text = json.dumps(peer, sort_keys=True) + ("" if ns_selector is not None else policy_ns)
        cached = self._peer_cache.get(text)
        if cached is not None:
            return cached
        block = peer.get("ip_block")
        if block:
            inside = self.block_masks[self._block_id(block)]
            # An ipBlock over a pod's own address is plugin-defined; over a node address (a hostNetwork
            # class's, when known) the specification lets it admit it.
            node_allowed = inside & self.host & ~self.unaddressed_host
            node_possible = inside & self.unaddressed_host
            found = _Peers(node_allowed, inside & ~node_allowed, node_allowed, node_possible)
        else:
            if ns_selector is None:
                namespaces = self.ns_masks.get(policy_ns, 0)
            else:
                namespaces = self.ns_labels.select(ns_selector, self.listed)
            # hostNetwork classes too, as pods
            found = _Peers(self.labels.select(peer.get("pod_selector"), namespaces), 0, 0, 0)
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
        selected_by = self._selected_by(selected)
        everywhere, toward = self._by_destination(self._egress_rules(selected))
        egress_free = self.everyone & ~isolated["Egress"]
        ingress_of = self._ingress_rules(selected_by["Ingress"])
        unread: dict[str | None, tuple[int, int, bool]] = {}
        allowed_by: list[int] = []
        possible_by: list[int] = []
        decided: dict[tuple[Any, ...], tuple[int, int]] = {}
        for dst in self.classes:
            policies = selected_by["Ingress"][dst.index]
            egress = everywhere + toward.get(dst.index, [])
            # Everything the answer toward `dst` depends on: destinations alike in it share one.
            key = (
                tuple(id(p) for p in policies) if policies else None,
                tuple((id(r), pod, node) for r, pod, node in egress),
                dst.ports,
                dst.host_network,
                dst.node,
            )
            answer = decided.get(key)
            if answer is None:
                ingress = [r for p in policies for r in ingress_of[id(p)]] if policies else None
                answer = decided[key] = self._reach_toward(dst, ingress, egress, egress_free)
            allowed, possible = answer
            if self.cluster.unread:
                ingress = [r for p in policies for r in ingress_of[id(p)]] if policies else None
                allowed, possible = self._unread(dst, (ingress, egress, egress_free), allowed, possible, unread)
            allowed_by.append(allowed)
            possible_by.append(possible)
        return Reach(
            self.cluster,
            self.classes,
            allowed_by,
            possible_by,
            self.ns_masks,
            self.labels,
            selected_by,
        )

    def _unread(
        self,
        dst: PodClass,
        decided: tuple[list[_IngressRule] | None, list[_Toward], int],
        allowed: int,
        possible: int,
        unread: dict[str | None, tuple[int, int, bool]],
    ) -> tuple[int, int]:
        """Policies of kinds pcicheck does not read make the pairs they may change possible (k8s_reach.flow):
        an allowed pair with an end in a namespaced policy's namespace (every pair, for a cluster-wide one);
        a denied pair where the directions those that may allow can open (the egress of sources in their
        namespace, the ingress of a destination there; every pod's for a cluster-wide one) would let it
        through: decided again with those directions open. `decided`: the ingress rules, egress rules and
        egress-free classes `dst` was decided with; `unread` caches what the policies govern by namespace."""
        found = unread.get(dst.namespace)
        if found is None:
            governed = opened_sources = 0
            opened_ingress = False
            masks = self.ns_masks
            for u in self.cluster.unread:
                own = masks.get(u.namespace, 0) if u.namespace not in (None, dst.namespace) else self.everyone
                governed |= own
                if u.may_allow:
                    opened_sources |= self.everyone if u.namespace is None else masks.get(u.namespace, 0)
                    opened_ingress |= u.namespace in (None, dst.namespace)
            found = unread[dst.namespace] = (governed, opened_sources, opened_ingress)
        governed, opened_sources, opened_ingress = found
        if not governed:
            return allowed, possible
        kept = allowed & ~governed
        opened = 0
        if (opened_sources or opened_ingress) and governed & ~(allowed | possible):
            ingress, rules, egress_free = decided
            reopened = self._reach_toward(dst, None if opened_ingress else ingress, rules, egress_free | opened_sources)
            opened = reopened[0] | reopened[1]
        return kept, (possible | ((allowed | opened) & governed)) & ~kept

    def _selections(self) -> tuple[dict[tuple[int, str], int], dict[str, int]]:
        """(id of a policy, direction) → the classes the policy selects; direction → the classes some
        policy isolates for it (hostNetwork classes as pods)."""
        selected: dict[tuple[int, str], int] = {}
        isolated = {"Ingress": 0, "Egress": 0}
        for ns, policies in self.cluster.policies.items():
            for policy in policies:
                for kind in ("Ingress", "Egress"):
                    if kind in policy.attributes.get("policy_types", ()):
                        mask = self.labels.select(policy.attributes.get("pod_selector"), self.ns_masks.get(ns, 0))
                        selected[(id(policy), kind)] = mask
                        isolated[kind] |= mask
        return selected, isolated

    def _selected_by(self, selected: dict[tuple[int, str], int]) -> dict[str, list[tuple[Resource, ...]]]:
        """Direction → for each class, the policies of its namespace selecting it, in their order."""
        out: dict[str, list[tuple[Resource, ...]]] = {}
        for kind in ("Ingress", "Egress"):
            found: list[list[Resource]] = [[] for _ in self.classes]
            for policies in self.cluster.policies.values():
                for policy in policies:
                    for i in bits(selected.get((id(policy), kind), 0)):
                        found[i].append(policy)
            out[kind] = [tuple(f) for f in found]
        return out

    def _egress_rules(self, selected: dict[tuple[int, str], int]) -> list[_Rule]:
        """Every egress rule of a policy selecting some class, those with the same ports and peers
        merged: they admit the same destinations, from the union of their sources."""
        merged: dict[tuple[Any, ...], tuple[list[dict[str, Any]], _Peers, int]] = {}
        for ns, policies in self.cluster.policies.items():
            for policy in policies:
                sources = selected.get((id(policy), "Egress"), 0)
                if not sources:
                    continue
                for rule in policy.attributes.get("egress", ()):
                    ports = rule.get("ports") or []
                    p = self._peers(rule.get("to") or [], ns)
                    key = (json.dumps(ports, sort_keys=True), p)
                    _, _, before = merged.get(key, (ports, p, 0))
                    merged[key] = (ports, p, before | sources)
        return [
            _Rule(ports, sources, p.allowed, p.possible, p.any_peer, p.node_allowed, p.node_possible)
            for ports, p, sources in merged.values()
        ]

    @staticmethod
    def _by_destination(rules: list[_Rule]) -> tuple[list[_Toward], dict[int, list[_Toward]]]:
        """Egress rules indexed by the destination classes they name, with how they admit each, so each
        destination looks only at its own; rules without `to` name every destination."""
        everywhere: list[_Toward] = [(r, 2, 2) for r in rules if r.any_peer]
        toward: dict[int, list[_Toward]] = {}
        for r in rules:
            if r.any_peer:
                continue
            admits: dict[int, list[int]] = {}
            for mask, at, verdict in (
                (r.allowed, 0, 2),
                (r.possible, 0, 1),
                (r.node_allowed, 1, 2),
                (r.node_possible, 1, 1),
            ):
                for i in bits(mask):
                    admits.setdefault(i, [0, 0])[at] = verdict
            for i, (pod, node) in admits.items():
                toward.setdefault(i, []).append((r, pod, node))
        return everywhere, toward

    def _ingress_rules(self, selecting: list[tuple[Resource, ...]]) -> dict[int, list[_IngressRule]]:
        """id of each policy selecting some class for ingress → its ingress rules."""
        out: dict[int, list[_IngressRule]] = {}
        for policies in selecting:
            for policy in policies:
                if id(policy) not in out:
                    rules = []
                    for rule in policy.attributes.get("ingress", ()):
                        p = self._peers(rule.get("from") or [], policy.region)
                        ports = rule.get("ports") or []
                        rules.append(_IngressRule(ports, p.allowed, p.possible, p.node_allowed, p.node_possible))
                    out[id(policy)] = rules
        return out

    def _reach_toward(
        self,
        dst: PodClass,
        ingress_rules: list[_IngressRule] | None,
        egress_rules: list[_Toward],
        egress_free: int,
    ) -> tuple[int, int]:
        """(allowed, possible-only) source classes of `dst` on some port. `ingress_rules` is None when
        `dst` is not isolated for ingress. A pair with a hostNetwork end is allowed on a port when it is
        both as pods and as node traffic, denied when it is neither."""
        pod = dst.representative
        rule_ports = [r.ports for r in ingress_rules or ()] + [r.ports for r, _, _ in egress_rules]
        reach_allowed = reach_possible = 0
        for port, protocol in self._ports(dst, rule_ports):
            ia, ip = self._ingress_at(ingress_rules, port, protocol, pod)
            ea, ep = self._egress_at(egress_rules, egress_free, port, protocol, pod)
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

    @staticmethod
    def _egress_at(
        egress_rules: list[_Toward], egress_free: int, port: int, protocol: str, pod: Pod
    ) -> tuple[int, int]:
        """(allowed, possible) source classes whose egress lets them send to the destination on one port."""
        allowed, possible = _admitted(egress_rules, 1, port, protocol, pod)
        return egress_free | allowed, possible

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
        self, dst: PodClass, egress_rules: list[_Toward], egress_free: int, port: int, protocol: str
    ) -> tuple[int, int]:
        """AS_NODE, toward a hostNetwork class (node traffic: no ingress policy): (allowed, not denied)
        sources. hostNetwork sources send as nodes (no egress policy); an ordinary pod's egress admits
        the node through ipBlocks only (a named port names no node's), and always its own node."""
        allowed, possible = _admitted(egress_rules, 2, port, protocol, None)
        allowed |= (egress_free & ~self.host) | self.host
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


def _admitted(egress_rules: list[_Toward], how: int, port: int, protocol: str, pod: Pod | None) -> tuple[int, int]:
    """(allowed, possible) sources the egress rules admit toward a destination on one port, `how` picking
    which admission counts: 1 the destination as a pod, 2 as its node (2 = certainly, 1 = possibly)."""
    allowed = possible = 0
    for toward in egress_rules:
        r, level = toward[0], toward[how]
        if level and _ports_match(r.ports, port, protocol, pod):
            if level == 2:
                allowed |= r.sources
            else:
                possible |= r.sources
    return allowed, possible

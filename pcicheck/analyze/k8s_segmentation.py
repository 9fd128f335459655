"""Kubernetes segmentation facts: who can reach each workload, from which namespaces, tenants and the
internet, and where it can send traffic; plus the connected-to systems of the CDE.

Computed per cluster from the equivalence-class engine, so a 5,000-pod cluster costs seconds, and
attached to k8s.workload and k8s.namespace records for YAML controls. "possible" answers count as
reachable: what the policies cannot rule out is not isolation.

Network policies of kinds pcicheck does not read (k8s.unread_policy) may deny or allow what
NetworkPolicy decides: every answer they may govern is "possible", and the facts name them (the
`unread_policies` of a source entry; a text in internet_ingress and internet_egress_cidrs), so a
control failing on them says why instead of reporting a plain exposure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pcicheck.analyze.addresses import admits_internet
from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.analyze.k8s_classes import PodClass, Reach
from pcicheck.analyze.k8s_reach import NAME_LABEL, Cluster, Unread, Verdict
from pcicheck.analyze.k8s_selectors import LabelIndex, bits, mask_of
from pcicheck.model import Resource

EVERYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class ClassView:
    """What one pod class exposes and reaches, ready to merge into facts."""

    sources: dict[str, Verdict]  # namespace → best verdict of its pods toward this class
    internet_ingress: tuple[str, ...]
    internet_egress: tuple[str, ...]
    any_namespace_ingress: tuple[str, ...]
    label_selected_ingress: tuple[str, ...]


def _better(a: Verdict | None, b: Verdict) -> Verdict:
    order = {"denied": 0, "possible": 1, "allowed": 2}
    return b if a is None or order[b] > order[a] else a


def governing(cluster: Cluster, namespaces: Iterable[str]) -> list[Unread]:
    """The unread policies that may govern traffic with an end in `namespaces`."""
    ends = set(namespaces)
    return [u for u in cluster.unread if u.governs(ends)]


def _labels(unread: Iterable[Unread]) -> list[str]:
    return sorted({u.label for u in unread})


def _unread_text(unread: list[Unread], what: str) -> str:
    names = "; ".join(
        f"{label}: {', '.join(sorted(u.name for u in unread if u.label == label))}" for label in _labels(unread)
    )
    return f"possible: policies pcicheck does not read may {what} ({names})"


def _ingress_views(
    cluster: Cluster, c: PodClass, policies: tuple[Resource, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(internet ingress, policies admitting every namespace, policies selecting namespaces by
    labels that anyone able to label or create a namespace can set), given the policies selecting
    `c` for ingress."""
    unread = governing(cluster, [c.namespace])
    if c.host_network:
        internet: tuple[str, ...] = ("hostNetwork: NetworkPolicy may not apply (plugin-defined)",)
        any_ns: tuple[str, ...] = ()
        labelled: tuple[str, ...] = ()
    else:
        if not policies:
            internet, any_ns, labelled = ("not isolated for ingress: no NetworkPolicy selects it",), (), ()
        else:
            any_ns, labelled = _namespace_selecting(policies)
            internet = _internet_ingress(policies)
    if internet and unread:
        internet += (_unread_text(unread, "restrict it"),)
    elif may_allow := [u for u in unread if u.may_allow]:
        internet += (_unread_text(may_allow, "admit traffic from outside the cluster"),)
    return internet, any_ns, labelled


def _internet_ingress(policies: tuple[Resource, ...]) -> tuple[str, ...]:
    """The ingress rules of `policies` that admit internet addresses: no `from`, or an ipBlock holding some."""
    internet: list[str] = []
    for policy in policies:
        for i, rule in enumerate(policy.attributes.get("ingress", ()), 1):
            peers = rule.get("from") or []
            if not peers:
                internet.append(f"{policy.name} ingress rule {i}: no 'from', every source")
            for peer in peers:
                block = peer.get("ip_block")
                if block and admits_internet(block.get("cidr"), block.get("except") or ()):
                    internet.append(f"{policy.name} ingress rule {i}: ipBlock {block.get('cidr')}")
    return tuple(internet)


def _namespace_selecting(policies: tuple[Resource, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(policies whose ingress admits every namespace, policies whose ingress selects namespaces by a
    label other than the API server's own name label)."""
    any_ns: set[str] = set()
    labelled: set[str] = set()
    for policy in policies:
        for rule in policy.attributes.get("ingress", ()):
            for peer in rule.get("from") or ():
                ns_selector = peer.get("namespace_selector")
                if peer.get("ip_block") or ns_selector is None:
                    continue
                keys = set(ns_selector.get("match_labels") or {}) | {
                    e.get("key") for e in ns_selector.get("match_expressions") or ()
                }
                if not keys:
                    any_ns.add(policy.name)
                elif keys - {NAME_LABEL}:
                    labelled.add(policy.name)
    return tuple(sorted(any_ns)), tuple(sorted(labelled))


def _internet_egress(cluster: Cluster, c: PodClass, policies: tuple[Resource, ...]) -> tuple[str, ...]:
    """The CIDRs holding internet addresses that this class may send to, given the policies selecting
    it for egress; and, where policies pcicheck does not read may allow it more, a text naming them."""
    may_allow = [u for u in governing(cluster, [c.namespace]) if u.may_allow]
    if c.host_network:
        return EVERYWHERE
    if not policies:
        return EVERYWHERE
    out: set[str] = set()
    for policy in policies:
        for rule in policy.attributes.get("egress", ()):
            peers = rule.get("to") or []
            if not peers:
                return EVERYWHERE
            for peer in peers:
                block = peer.get("ip_block")
                if block and admits_internet(block.get("cidr"), block.get("except") or ()):
                    out.add(str(block.get("cidr")))
    extra = (_unread_text(may_allow, "allow it more"),) if may_allow else ()
    return (*sorted(out), *extra)


def class_views(reach: Reach) -> list[ClassView]:
    """Each class's view. Its sources come by namespace from its reach masks, shared by the classes
    with the same masks; its internet and namespace views depend only on its namespace, hostNetwork
    and the policies selecting it, so classes alike in those share one."""
    cluster = reach.cluster
    ingress: dict[tuple[Any, ...], tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
    egress: dict[tuple[Any, ...], tuple[str, ...]] = {}
    views = []
    for c in reach.classes:
        into = reach.selected_by["Ingress"][c.index]
        key = (c.namespace, c.host_network, tuple(id(p) for p in into))
        if key not in ingress:
            ingress[key] = _ingress_views(cluster, c, into)
        internet, any_ns, labelled = ingress[key]
        out_of = reach.selected_by["Egress"][c.index]
        key = (c.namespace, c.host_network, tuple(id(p) for p in out_of))
        if key not in egress:
            egress[key] = _internet_egress(cluster, c, out_of)
        views.append(ClassView(reach.source_namespaces(c), internet, egress[key], any_ns, labelled))
    return views


@dataclass(frozen=True)
class _WorkloadIndex:
    """A namespace's classes, to find a workload's without testing each: by label, and by the name
    of a member pod (every member; those without an address)."""

    classes: list[PodClass]
    labels: LabelIndex
    named: dict[str, list[int]]
    unaddressed: dict[str, list[int]]

    @classmethod
    def of(cls, classes: list[PodClass]) -> _WorkloadIndex:
        named: dict[str, list[int]] = defaultdict(list)
        unaddressed: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(classes):
            for name in dict.fromkeys(m.name for m in c.members):
                named[name].append(i)
            for name in dict.fromkeys(m.name for m in c.members if not m.ips):
                unaddressed[name].append(i)
        return cls(classes, LabelIndex([c.labels for c in classes]), named, unaddressed)

    def workload(self, workload: Resource) -> list[PodClass]:
        """Those of a workload's pods: the pod itself, pods carrying its template labels (a superset
        when another workload's labels include these: wider, never narrower), or its template."""
        name = workload.uid.rsplit("/", 1)[-1]
        if workload.attributes.get("kind") == "Pod":
            found = set(self.named.get(name, ()))
        else:
            labels = {str(k): str(v) for k, v in (workload.attributes.get("pod_labels") or {}).items()}
            found = set(bits(self.labels.select({"match_labels": labels})))
            found.update(self.unaddressed.get(name, ()))
        return [self.classes[i] for i in sorted(found)]


def segmentation_facts(
    resources: list[Resource], scopes: dict[str, dict[str, Any]], tenant_label: str
) -> dict[str, dict[str, Any]]:
    """Facts for k8s.workload (ingress_sources, non_cde_sources, other_tenant_sources,
    internet_ingress, internet_egress_cidrs, any_namespace_ingress, label_selected_ingress,
    connected_to_cde) and k8s.namespace (other_tenant_sources)."""
    by_cluster: dict[str, list[Resource]] = defaultdict(list)
    for r in resources:
        if r.type in (
            "k8s.namespace",
            "k8s.pod",
            "k8s.node",
            "k8s.network_policy",
            "k8s.workload",
            "k8s.unread_policy",
        ):
            by_cluster[r.account].append(r)
    facts: dict[str, dict[str, Any]] = {}
    for records in by_cluster.values():
        if not any(r.type in ("k8s.pod", "k8s.workload") for r in records):
            continue
        facts.update(_cluster_facts(records, scopes, tenant_label))
    return facts


@dataclass(frozen=True)
class _Namespaces:
    """Scope and tenant of one cluster's namespaces."""

    cluster: Cluster
    records: dict[str, Resource]  # name → its k8s.namespace record
    scopes: dict[str, dict[str, Any]]  # uid → its scope facts
    tenant_label: str
    _scope: dict[str, str] = field(default_factory=dict)  # asked once per source entry: remembered

    def scope(self, ns: str) -> str:
        found = self._scope.get(ns)
        if found is None:
            r = self.records.get(ns)
            found = self._scope[ns] = str(self.scopes[r.uid]["scope"]) if r is not None else "non-cde"
        return found

    def tenant(self, ns: str) -> str | None:
        return self.cluster.namespaces.get(ns, {}).get(self.tenant_label) or None


def _merged(verdicts: Iterable[dict[str, Verdict]]) -> dict[str, Verdict]:
    """Namespace → the best verdict any of `verdicts` gives it (one of them, when there is one: read it,
    do not change it)."""
    verdicts = list(verdicts)
    if len(verdicts) == 1:
        return verdicts[0]
    out: dict[str, Verdict] = {}
    for one in verdicts:
        for ns, verdict in one.items():
            out[ns] = _better(out.get(ns), verdict)
    return out


def _cluster_facts(
    records: list[Resource], scopes: dict[str, dict[str, Any]], tenant_label: str
) -> dict[str, dict[str, Any]]:
    cluster = Cluster.from_resources(records)
    reach = Reach.compute(cluster)
    views = class_views(reach)
    namespaces = _Namespaces(
        cluster,
        {
            str(r.attributes.get("labels", {}).get(NAME_LABEL, r.name.split()[-1])): r
            for r in records
            if r.type == "k8s.namespace"
        },
        scopes,
        tenant_label,
    )
    by_namespace: dict[str, list[PodClass]] = defaultdict(list)
    for c in reach.classes:
        by_namespace[c.namespace].append(c)
    reaches_cde = _cde_reached(reach, namespaces)
    facts: dict[str, dict[str, Any]] = {}
    indexes: dict[str, _WorkloadIndex] = {}
    shared: dict[tuple[int, str], tuple[dict[str, Verdict], _Lists]] = {}
    for r in records:
        if r.type == "k8s.workload":
            if r.region not in indexes:
                indexes[r.region] = _WorkloadIndex.of(by_namespace.get(r.region, []))
            classes = indexes[r.region].workload(r)
            facts[r.uid] = _workload_facts(r.region, classes, views, reaches_cde, namespaces, shared)
    for ns, r in namespaces.records.items():
        own_tenant = namespaces.tenant(ns)
        # Only sources of another tenant are listed, so never the namespace itself: no pod of it is
        # kept apart from itself, and the union of its classes' masks says it by namespace.
        reaching = _reaching(reach, by_namespace.get(ns, [])) if own_tenant else {}
        facts[r.uid] = {
            "other_tenant_sources": [
                _entry(cluster, {"namespace": s, "verdict": v, "tenant": namespaces.tenant(s)}, s, ns)
                for s, v in sorted(reaching.items())
                if own_tenant and namespaces.tenant(s) not in (None, own_tenant)
            ]
        }
    return facts


def _reaching(reach: Reach, classes: list[PodClass]) -> dict[str, Verdict]:
    """Namespace → the best verdict of its pods toward some pod of `classes` (a pod toward itself
    included: callers leave the classes' own namespace out)."""
    allowed = possible = 0
    for c in classes:
        allowed |= reach.allowed[c.index]
        possible |= reach.possible[c.index]
    return reach.namespace_verdicts(allowed, possible)


def _cde_reached(reach: Reach, namespaces: _Namespaces) -> dict[int, dict[str, Verdict]]:
    """Class index → the CDE namespaces it can reach, for the classes outside the CDE (those are then
    connected-to). By CDE namespace, from the union of its classes' masks: a source outside the CDE is
    never one of them, so no pod is paired with itself."""
    reaches_cde: dict[int, dict[str, Verdict]] = defaultdict(dict)
    cde: dict[str, list[PodClass]] = defaultdict(list)
    for c in reach.classes:
        if namespaces.scope(c.namespace) == "cde":
            cde[c.namespace].append(c)
    outside = mask_of((c.index for c in reach.classes if namespaces.scope(c.namespace) != "cde"), len(reach.classes))
    for ns, classes in cde.items():
        allowed = possible = 0
        for c in classes:
            allowed |= reach.allowed[c.index]
            possible |= reach.possible[c.index]
        for i in bits(allowed & outside):
            reaches_cde[i][ns] = "allowed"
        for i in bits(possible & ~allowed & outside):
            reaches_cde[i][ns] = "possible"
    return reaches_cde


def _entry(cluster: Cluster, entry: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    """A source entry; a possible one also names the kinds pcicheck does not read that may govern it."""
    if entry["verdict"] == "possible" and cluster.unread:
        labels = _labels(governing(cluster, (a, b)))
        if labels:
            return {**entry, "unread_policies": labels}
    return entry


# The source lists of a workload in a namespace, from its sources: (ingress_sources, non_cde_sources,
# other_tenant_sources, the from-cde entries of connected_to_cde).
_Lists = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


def _source_lists(sources: dict[str, Verdict], namespace: str, namespaces: _Namespaces) -> _Lists:
    cluster = namespaces.cluster
    own_tenant = namespaces.tenant(namespace)
    listed = [_entry(cluster, {"namespace": ns, "verdict": v}, ns, namespace) for ns, v in sorted(sources.items())]
    from_cde: list[dict[str, Any]] = []
    if namespaces.scope(namespace) != "cde":
        cde_sources = {ns: v for ns, v in sources.items() if namespaces.scope(ns) == "cde"}
        from_cde = [
            _entry(cluster, {"direction": "from-cde", "peer": ns, "verdict": v}, ns, namespace)
            for ns, v in sorted(cde_sources.items())
        ]
    return (
        listed,
        [s for s in listed if namespaces.scope(s["namespace"]) != "cde"],
        [
            {**s, "tenant": namespaces.tenant(s["namespace"])}
            for s in listed
            if own_tenant and namespaces.tenant(s["namespace"]) not in (None, own_tenant)
        ],
        from_cde,
    )


def _workload_facts(
    namespace: str,
    classes: list[PodClass],
    views: list[ClassView],
    reaches_cde: dict[int, dict[str, Verdict]],
    namespaces: _Namespaces,
    shared: dict[tuple[int, str], tuple[dict[str, Verdict], _Lists]] | None = None,
) -> dict[str, Any]:
    """`shared`: the source lists already made, by their sources and namespace. Workloads of a namespace
    mostly share their sources (one per namespace that reaches them, in every unisolated namespace),
    so they share the lists too: read them, do not change them."""
    cluster = namespaces.cluster
    sources = _merged(views[c.index].sources for c in classes)
    key = (id(sources), namespace)
    found = shared.get(key) if shared is not None else None
    if found is None or found[0] is not sources:  # the entry keeps `sources` alive: its id stays its own
        found = (sources, _source_lists(sources, namespace, namespaces))
        if shared is not None:
            shared[key] = found
    listed, non_cde, other_tenant, from_cde = found[1]
    connected: list[dict[str, Any]] = []
    if namespaces.scope(namespace) != "cde":
        reached = _merged(reaches_cde.get(c.index, {}) for c in classes)
        connected += [
            _entry(cluster, {"direction": "to-cde", "peer": ns, "verdict": v}, namespace, ns)
            for ns, v in sorted(reached.items())
        ]
        connected += from_cde
    return {
        "ingress_sources": listed,
        "non_cde_sources": non_cde,
        "other_tenant_sources": other_tenant,
        "internet_ingress": sorted({t for c in classes for t in views[c.index].internet_ingress}),
        "internet_egress_cidrs": sorted({t for c in classes for t in views[c.index].internet_egress}),
        "any_namespace_ingress": sorted({t for c in classes for t in views[c.index].any_namespace_ingress}),
        "label_selected_ingress": sorted({t for c in classes for t in views[c.index].label_selected_ingress}),
        "connected_to_cde": connected,
    }


def _analyze(inputs: AnalysisInput) -> FactMap:
    return segmentation_facts(inputs.resources, inputs.earlier["scope"], inputs.scope.tenant_tag)


# Every fact here is NetworkPolicy reachability between pods: built from namespaces, pods, policies
# (those pcicheck does not read too) and workloads, each of which could change an answer.
_CLUSTER = ("k8s.namespace", "k8s.pod", "k8s.network_policy", "k8s.workload", "k8s.unread_policy")
SEGMENTATION = Analyzer(
    "k8s-segmentation",
    (
        Fact(
            "ingress_sources",
            "k8s.workload only: every namespace with a pod that can reach one of its pods on some port "
            "(NetworkPolicy reachability, both directions), as {namespace, verdict ('allowed'|'possible'), "
            "unread_policies? (the kinds pcicheck does not read that may govern a possible one)}",
            _CLUSTER,
        ),
        Fact(
            "non_cde_sources",
            "Kubernetes (k8s.workload, any scope): the non-CDE namespaces with a pod that can reach one of its "
            "pods on some port, as {namespace, verdict, unread_policies?}",
            _CLUSTER,
        ),
        Fact(
            "other_tenant_sources",
            "Kubernetes (k8s.workload, k8s.namespace of a tenant): {namespace, verdict, tenant, unread_policies?} "
            "for namespaces of another tenant",
            _CLUSTER,
        ),
        Fact(
            "internet_ingress",
            "Kubernetes (k8s.workload): list of texts naming what admits addresses outside the cluster (not "
            "isolated for ingress, a rule without 'from', an ipBlock holding internet addresses, hostNetwork, "
            "policies pcicheck does not read that may admit them)",
            _CLUSTER,
        ),
        Fact(
            "internet_egress_cidrs",
            "k8s.workload only: CIDRs holding internet addresses its egress policies admit (0.0.0.0/0 and ::/0 "
            "when not isolated for egress, a rule has no 'to', or it uses hostNetwork), and a text naming "
            "policies pcicheck does not read that may allow it more",
            _CLUSTER,
        ),
        Fact(
            "any_namespace_ingress",
            "k8s.workload only: NetworkPolicies selecting it whose ingress admits every namespace "
            "(namespaceSelector: {}), including ones created later",
            _CLUSTER,
        ),
        Fact(
            "label_selected_ingress",
            "k8s.workload only: NetworkPolicies selecting it whose ingress selects namespaces by a label other "
            "than kubernetes.io/metadata.name (settable by anyone who may label namespaces)",
            _CLUSTER,
        ),
        Fact(
            "connected_to_cde",
            "Kubernetes (non-CDE k8s.workload): {direction, peer (the CDE namespace), verdict, unread_policies?}",
            _CLUSTER,
        ),
    ),
    _analyze,
)

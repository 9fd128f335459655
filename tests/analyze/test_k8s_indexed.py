"""The indexed segmentation analysis must give the answers of the pairwise one it replaced.

k8s_selectors answers selectors from label indexes, k8s_classes finds ipBlocks through an address's
networks, and k8s_segmentation reads sources by namespace from shared masks and unions. Each is held
here to a slow, direct reference on random inputs: a selector against k8s_reach._selects on every
label set, an address against k8s_reach._in_block on every block, and the segmentation facts of
random clusters against the pairwise computation (every class against every class, every policy
tested on every class) kept below. The class engine itself is held to the per-flow engine in
test_k8s_classes.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pcicheck.analyze import k8s_segmentation as seg
from pcicheck.analyze.k8s_classes import PodClass, Reach, _Blocks
from pcicheck.analyze.k8s_reach import NAME_LABEL, Cluster, _in_block, _selects
from pcicheck.analyze.k8s_selectors import LabelIndex, bits, mask_of
from pcicheck.analyze.scope import scope_facts
from pcicheck.config import ScopeConfig
from pcicheck.model import Resource
from tests.analyze.test_k8s_classes import LABELS, _network_policy, _selector, _unread, _workload, node_objects
from tests.analyze.test_k8s_reach import records_of

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)

# --- selectors and blocks -----------------------------------------------------------------------

label_sets = st.lists(
    st.dictionaries(st.sampled_from(sorted(LABELS)), st.sampled_from(["web", "api", "db", "front", "a", "b"])),
    max_size=12,
)


@SETTINGS
@given(labels=label_sets, rng=st.randoms(use_true_random=False))
def test_label_index_selects_the_label_sets_selectors_select(labels: list[dict[str, str]], rng: random.Random) -> None:
    index = LabelIndex(labels)
    for _ in range(5):
        raw = _selector(rng) if rng.random() < 0.9 else None
        selector = None if raw is None else _normalized(raw)
        within = rng.getrandbits(len(labels)) if rng.random() < 0.5 else None
        expected = [
            i for i, one in enumerate(labels) if (within is None or within >> i & 1) and _selects(selector, one)
        ]
        assert list(bits(index.select(selector, within))) == expected, (selector, within)


def _normalized(selector: dict[str, Any]) -> dict[str, Any]:
    """A manifest's selector as normalize.py records it."""
    return {
        "match_labels": dict(selector.get("matchLabels") or {}),
        "match_expressions": [
            {"key": e["key"], "operator": e["operator"], "values": list(e.get("values") or ())}
            for e in selector.get("matchExpressions") or ()
        ],
    }


@SETTINGS
@given(indices=st.lists(st.integers(0, 200), max_size=40), size=st.integers(201, 260))
def test_masks_and_bits_round_trip(indices: list[int], size: int) -> None:
    mask = mask_of(indices, size)
    assert mask == sum(1 << i for i in set(indices))
    assert list(bits(mask)) == sorted(set(indices))


CIDRS = ["10.0.0.0/8", "10.0.1.0/24", "10.0.1.7/32", "0.0.0.0/0", "192.168.0.0/16", "fc00::/7", "::/0", "fd00::/64"]
ADDRESSES = ["10.0.1.7", "10.0.2.1", "192.168.4.4", "8.8.8.8", "fd00::1", "2001:db8::1", "10.0.1.200"]


@SETTINGS
@given(
    blocks=st.lists(
        st.builds(
            lambda cidr, excepts: {"cidr": cidr, "except": excepts},
            st.sampled_from(CIDRS),
            st.lists(st.sampled_from(["10.0.1.0/24", "10.0.1.7/32", "fd00::/64", "192.168.4.0/24"]), max_size=2),
        ),
        max_size=8,
    )
)
def test_blocks_holding_an_address_are_those_containing_it(blocks: list[dict[str, Any]]) -> None:
    lookup = _Blocks(blocks)
    for ip in ADDRESSES:
        assert lookup.holding(ip) == {i for i, b in enumerate(blocks) if _in_block(ip, b)}, ip


# --- segmentation facts: the pairwise reference -------------------------------------------------


def _selecting(cluster: Cluster, c: PodClass, kind: str) -> tuple[Resource, ...]:
    return tuple(
        p
        for p in cluster.policies.get(c.namespace, ())
        if kind in p.attributes.get("policy_types", ()) and _selects(p.attributes.get("pod_selector"), c.labels)
    )


def reference_views(reach: Reach) -> list[seg.ClassView]:
    views = []
    for c in reach.classes:
        sources: dict[str, Any] = {}
        for src, verdict in reach.sources(c):
            sources[src.namespace] = seg._better(sources.get(src.namespace), verdict)
        internet, any_ns, labelled = seg._ingress_views(reach.cluster, c, _selecting(reach.cluster, c, "Ingress"))
        egress = seg._internet_egress(reach.cluster, c, _selecting(reach.cluster, c, "Egress"))
        views.append(seg.ClassView(sources, internet, egress, any_ns, labelled))
    return views


def reference_workload_classes(classes: list[PodClass], workload: Resource) -> list[PodClass]:
    name = workload.uid.rsplit("/", 1)[-1]
    labels = {str(k): str(v) for k, v in (workload.attributes.get("pod_labels") or {}).items()}
    out = []
    for c in classes:
        if workload.attributes.get("kind") == "Pod":
            hit = any(m.name == name for m in c.members)
        else:
            hit = labels.items() <= c.labels.items() or any(m.name == name and not m.ips for m in c.members)
        if hit:
            out.append(c)
    return out


def reference_facts(records: list[Resource], scopes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    cluster = Cluster.from_resources(records)
    reach = Reach.compute(cluster)
    views = reference_views(reach)
    namespaces = seg._Namespaces(
        cluster,
        {
            str(r.attributes.get("labels", {}).get(NAME_LABEL, r.name.split()[-1])): r
            for r in records
            if r.type == "k8s.namespace"
        },
        scopes,
        "tenant",
    )
    by_namespace: dict[str, list[PodClass]] = defaultdict(list)
    for c in reach.classes:
        by_namespace[c.namespace].append(c)
    reaches_cde: dict[int, dict[str, Any]] = defaultdict(dict)
    for c in reach.classes:
        if namespaces.scope(c.namespace) == "cde":
            for src, verdict in reach.sources(c):
                reaches_cde[src.index][c.namespace] = seg._better(reaches_cde[src.index].get(c.namespace), verdict)
    facts: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.type == "k8s.workload":
            classes = reference_workload_classes(by_namespace.get(r.region, []), r)
            facts[r.uid] = seg._workload_facts(r.region, classes, views, reaches_cde, namespaces)
    for ns, r in namespaces.records.items():
        reaching = seg._merged(views[c.index].sources for c in by_namespace.get(ns, []))
        own = namespaces.tenant(ns)
        facts[r.uid] = {
            "other_tenant_sources": [
                seg._entry(cluster, {"namespace": s, "verdict": v, "tenant": namespaces.tenant(s)}, s, ns)
                for s, v in sorted(reaching.items())
                if own and namespaces.tenant(s) not in (None, own)
            ]
        }
    return facts


def random_estate(rng: random.Random) -> list[dict[str, Any]]:
    """test_k8s_classes' random clusters with scope: CDE and tenant namespaces, workloads whose
    templates share labels, policies selecting namespaces by those labels."""
    objects = node_objects()
    namespaces = [f"ns{i}" for i in range(rng.randint(2, 5))]
    for ns in namespaces:
        labels = {k: rng.choice(v) for k, v in LABELS.items() if rng.random() < 0.5}
        roll = rng.random()
        if roll < 0.3:
            labels["pci-scope"] = "cde"
        elif roll < 0.8:
            labels["tenant"] = rng.choice(["acme", "globex", "initech"])
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    objects += [_workload(rng, rng.choice(namespaces), i) for i in range(rng.randint(3, 12))]
    objects += [_unread(rng, namespaces, i) for i in range(int(rng.random() < 0.15))]
    objects += [_network_policy(rng, namespaces, i) for i in range(rng.randint(1, 6))]
    for i in range(rng.randint(0, 2)):  # tenant-selecting policies, as real clusters write them
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"tenant{i}", "namespace": rng.choice(namespaces)},
                "spec": {
                    "podSelector": {},
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"tenant": "acme"}}}]}],
                },
            }
        )
    return objects


@SETTINGS
@given(rng=st.randoms(use_true_random=False))
def test_segmentation_facts_equal_the_pairwise_computation(rng: random.Random) -> None:
    records = records_of(random_estate(rng), "rand")
    scopes = scope_facts(records, ScopeConfig())
    assert seg.segmentation_facts(records, scopes, "tenant") == reference_facts(records, scopes)

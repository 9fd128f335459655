"""The equivalence-class engine must give the per-flow engine's answer for every pair of pods.

The oracle asks k8s_reach.Cluster.flow pod by pod on every port where some verdict can change (all
numbered ports and range edges of every rule, ±1, plus a spare port per protocol), over the 50
hand-worked clusters and over randomly generated ones.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from pcicheck.analyze.k8s_classes import Reach, tenant_matrix
from pcicheck.analyze.k8s_reach import Cluster, Endpoint, Verdict
from tests.analyze.test_k8s_reach import CASES, load, records_of

ORDER = {"denied": 0, "possible": 1, "allowed": 2}


def _points(cluster: Cluster) -> list[tuple[int, str]]:
    points = {(n, proto) for pod in cluster.pods.values() for _, n, proto in pod.ports}
    for policies in cluster.policies.values():
        for policy in policies:
            for direction in ("ingress", "egress"):
                for rule in policy.attributes.get(direction, ()):
                    for p in rule.get("ports") or ():
                        port = p.get("port")
                        if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
                            low, high = int(port), int(p.get("end_port") or port)
                            points |= {(n, p.get("protocol") or "TCP") for n in (low - 1, low, high, high + 1)}
    used = {n for n, _ in points}
    spare = next(n for n in range(1024, 65536) if n not in used)
    return sorted(points | {(spare, proto) for proto in ("TCP", "UDP", "SCTP")})


def oracle(cluster: Cluster) -> dict[tuple[str, str], Verdict]:
    """(src pod, dst pod) → best verdict on any port, pod by pod."""
    points = _points(cluster)
    out: dict[tuple[str, str], Verdict] = {}
    for src in cluster.pods.values():
        for dst in cluster.pods.values():
            if src.key == dst.key:
                continue
            best: Verdict = "denied"
            for port, proto in points:
                v = cluster.flow(Endpoint(pod=src), Endpoint(pod=dst), port, proto).verdict
                if ORDER[v] > ORDER[best]:
                    best = v
                    if best == "allowed":
                        break
            out[(src.key, dst.key)] = best
    return out


def by_classes(reach: Reach) -> dict[tuple[str, str], Verdict]:
    out: dict[tuple[str, str], Verdict] = {}
    for dst in reach.classes:
        verdicts: dict[int, Verdict] = {c.index: v for c, v in reach.sources(dst)}
        for src in reach.classes:
            for s in src.members:
                for d in dst.members:
                    if s.key != d.key:
                        out[(s.key, d.key)] = verdicts.get(src.index, "denied")
    return out


def oracle_matrix(cluster: Cluster, pairs: dict[tuple[str, str], Verdict]) -> dict[str, dict[str, Verdict | None]]:
    names = sorted(cluster.namespaces)
    matrix: dict[str, dict[str, Verdict | None]] = {a: dict.fromkeys(names) for a in names}
    for (s, d), v in pairs.items():
        a, b = s.split("/")[0], d.split("/")[0]
        if matrix[a][b] is None or ORDER[v] > ORDER[matrix[a][b]]:  # type: ignore[index]
            matrix[a][b] = v
    return matrix


def check(cluster: Cluster) -> None:
    reach = Reach.compute(cluster)
    expected = oracle(cluster)
    got = by_classes(reach)
    wrong = [
        f"{s} -> {d}: oracle {v}, classes {got.get((s, d))}" for (s, d), v in expected.items() if got.get((s, d)) != v
    ]
    assert not wrong, "\n".join(wrong[:20])
    assert reach.namespace_matrix() == oracle_matrix(cluster, expected)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_hand_worked_clusters(path: Path) -> None:
    check(load(path)[0])


# --- random clusters ----------------------------------------------------------------------------

LABELS = {"app": ["web", "api", "db"], "tier": ["front", "back"], "team": ["a", "b"]}


def _selector(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.3:
        return {}
    key = rng.choice(sorted(LABELS))
    if roll < 0.7:
        return {"matchLabels": {key: rng.choice(LABELS[key])}}
    op = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
    expr: dict[str, Any] = {"key": key, "operator": op}
    if op in ("In", "NotIn"):
        expr["values"] = rng.sample(LABELS[key], rng.randint(1, len(LABELS[key])))
    return {"matchExpressions": [expr]}


def _peer(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.2:
        cidr = rng.choice(
            ["10.0.0.0/8", "10.0.1.0/24", "0.0.0.0/0", "203.0.113.0/24", "192.168.0.0/16", "192.168.0.1/32"]
        )
        block: dict[str, Any] = {"cidr": cidr}
        if cidr in ("10.0.0.0/8", "0.0.0.0/0") and rng.random() < 0.5:
            block["except"] = ["10.0.1.0/24"]
        return {"ipBlock": block}
    peer: dict[str, Any] = {}
    if roll < 0.6:
        peer["podSelector"] = _selector(rng)
    if roll >= 0.4:
        peer["namespaceSelector"] = _selector(rng)
    return peer


def _ports(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for _ in range(rng.randint(0, 2)):
        proto = rng.choice(["TCP", "TCP", "UDP", "SCTP"])
        roll = rng.random()
        if roll < 0.4:
            out.append({"protocol": proto, "port": rng.choice([80, 443, 53, 5432])})
        elif roll < 0.6:
            out.append({"protocol": proto, "port": rng.choice(["http", "dns", "db"])})
        elif roll < 0.8:
            out.append({"protocol": proto, "port": 8000, "endPort": rng.choice([8000, 8080, 9000])})
        else:
            out.append({"protocol": proto})
    return out


NODES = {"n1": "192.168.0.1", "n2": "192.168.0.2", "n3": None}  # n3 has no Node record: its address is not known


def node_objects() -> list[dict[str, Any]]:
    """A Node record for each node of NODES that has one."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]},
        }
        for name, ip in NODES.items()
        if ip
    ]


def _unread(rng: random.Random, namespaces: list[str], i: int) -> dict[str, Any]:
    """A policy of a kind pcicheck does not read: namespaced (Cilium, Calico) or cluster-wide (ANP, BANP)."""
    api, kind = rng.choice(
        [
            ("cilium.io/v2", "CiliumNetworkPolicy"),
            ("projectcalico.org/v3", "NetworkPolicy"),
            ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"),
            ("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy"),
        ]
    )
    meta: dict[str, Any] = {"name": f"u{i}"}
    if kind in ("CiliumNetworkPolicy", "NetworkPolicy"):
        meta["namespace"] = rng.choice(namespaces)
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": {}}


def _container_ports(rng: random.Random) -> list[dict[str, Any]]:
    ports = [
        {"name": name, "containerPort": number, "protocol": proto}
        for name, number, proto in [("http", 80, "TCP"), ("dns", 53, "UDP"), ("db", 5432, "TCP"), ("http", 8080, "TCP")]
        if rng.random() < 0.3
    ][:2]
    names: set[str] = set()
    return [p for p in ports if not (p["name"] in names or names.add(p["name"]))]  # type: ignore[func-returns-value]


def _workload(rng: random.Random, ns: str, i: int) -> dict[str, Any]:
    """A pod on a node (or not yet placed), hostNetwork or not, with or without an address; or a
    controller whose template stands in for its pods (no node, no address)."""
    labels = {k: rng.choice(v) for k, v in LABELS.items() if rng.random() < 0.6}
    node = rng.choice(["n1", "n1", "n2", "n3", None])
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "i", "ports": _container_ports(rng)}]}
    host = rng.random() < 0.25
    if host:
        spec["hostNetwork"] = True
    if rng.random() < 0.15:
        return {
            "apiVersion": "apps/v1",
            "kind": rng.choice(["Deployment", "DaemonSet"]),
            "metadata": {"name": f"w{i}", "namespace": ns},
            "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": spec}},
        }
    if node:
        spec["nodeName"] = node
    if rng.random() < 0.15:
        status = {}
    elif host:  # the API server copies the node's address into a hostNetwork pod's status
        status = {"podIP": NODES[node] or "192.168.0.3"} if node else {}
    else:
        status = {"podIP": rng.choice(["10.0.1.", "10.0.2.", "10.9.0."]) + str(i + 10)}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p{i}", "namespace": ns, "labels": labels},
        "spec": spec,
        "status": status,
    }


def _network_policy(rng: random.Random, namespaces: list[str], i: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": _selector(rng)}
    types = rng.choice([["Ingress"], ["Egress"], ["Ingress", "Egress"], None])
    if types:
        spec["policyTypes"] = types
    for direction, key in (("ingress", "from"), ("egress", "to")):
        if rng.random() < 0.7:
            spec[direction] = [
                {k: v for k, v in ((key, [_peer(rng) for _ in range(rng.randint(0, 2))]), ("ports", _ports(rng))) if v}
                for _ in range(rng.randint(0, 2))
            ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"np{i}", "namespace": rng.choice(namespaces)},
        "spec": spec,
    }


def random_cluster(seed: int, unread: int | None = None) -> Cluster:
    """Namespaces, pods on three nodes (one without a Node record) or none, hostNetwork pods, templates,
    NetworkPolicies and now and then a policy of a kind pcicheck does not read (`unread` of them, if given)."""
    rng = random.Random(seed)
    objects = node_objects()
    namespaces = [f"ns{i}" for i in range(rng.randint(2, 4))]
    for ns in namespaces:
        labels = {k: rng.choice(v) for k, v in LABELS.items() if rng.random() < 0.5}
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    objects += [_workload(rng, rng.choice(namespaces), i) for i in range(rng.randint(3, 9))]
    count = unread if unread is not None else 2 if rng.random() < 0.15 else int(rng.random() < 0.15)
    objects += [_unread(rng, namespaces, i) for i in range(count)]
    objects += [_network_policy(rng, namespaces, i) for i in range(rng.randint(1, 5))]
    return Cluster.from_resources(records_of(objects, "rand"))


@pytest.mark.parametrize("seed", range(150))
def test_random_clusters(seed: int) -> None:
    check(random_cluster(seed))


@pytest.mark.parametrize("seed", range(60))
def test_random_clusters_with_unread_policies(seed: int) -> None:
    """Which denied pairs an unread policy may open depends on which end's policies deny: each engine
    decides it its own way (k8s_reach opens the directions per flow, k8s_classes per destination)."""
    check(random_cluster(1000 + seed, unread=1 + seed % 2))


def test_tenant_matrix_takes_the_widest_namespace_answer() -> None:
    matrix: dict[str, dict[str, Verdict | None]] = {
        "a1": {"a1": "allowed", "a2": "denied", "b1": "denied", "shared": "allowed"},
        "a2": {"a1": "denied", "a2": None, "b1": "possible", "shared": "allowed"},
        "b1": {"a1": "denied", "a2": "denied", "b1": "allowed", "shared": "allowed"},
        "shared": {"a1": "allowed", "a2": "allowed", "b1": "allowed", "shared": "allowed"},
    }
    got = tenant_matrix(matrix, {"a1": "acme", "a2": "acme", "b1": "bolt"})
    assert got == {"acme": {"acme": "allowed", "bolt": "possible"}, "bolt": {"acme": "denied", "bolt": "allowed"}}

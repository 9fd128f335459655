"""Benchmark: segmentation analysis of a synthetic cluster of 5,000 pods, 500 namespaces and 1,000
NetworkPolicies.

Budget (issue 4): the full CDE exposure analysis and the namespace matrix in <= 10 s wall and
<= 1 GB peak RSS. Measured from normalized records (what a scan or snapshot holds) to answers:
the equivalence classes and reachability between all of them, the namespace and tenant matrices,
the exposure report of every CDE pod, and the segmentation facts that controls read.

`--unique-labels` gives every pod a label of its own, so no two pods share a class (the worst case).

The cluster: 50 tenants of 9 namespaces each plus 50 CDE namespaces; each namespace has a
default-deny policy and an allow policy (same-namespace traffic, the ingress controller on 8080,
DNS to kube-system, CDE egress to a card processor's CIDR), some selecting namespaces by a
tenant label, one in 25 admitting every namespace; a hostNetwork node agent per hundred namespaces.

    python bench/segmentation.py [--pods 5000] [--namespaces 500]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from typing import Any

from pcicheck.analyze.k8s_classes import Reach, namespace_tenants, tenant_matrix
from pcicheck.analyze.k8s_reach import Cluster, exposure
from pcicheck.analyze.k8s_segmentation import segmentation_facts
from pcicheck.analyze.scope import scope_facts
from pcicheck.collect.k8s.normalize import pod_endpoint, to_resource
from pcicheck.collect.k8s.unread import policy_kind, unread_record
from pcicheck.config import ScopeConfig
from pcicheck.model import Resource

BUDGET_SECONDS = 10.0
BUDGET_RSS_MB = 1024
APPS = ("web", "api", "worker", "cache")


def _namespace(n: int) -> tuple[str, dict[str, str]]:
    if n % 10 == 0:
        return f"cde-{n}", {"pci-scope": "cde"}
    return f"t{n % 50}-ns{n}", {"tenant": f"t{n % 50}"}


def _policies(name: str, labels: dict[str, str], n: int) -> list[dict[str, Any]]:
    # One namespace in five leaves egress open, as many real clusters do.
    types = ["Ingress"] if n % 5 == 2 else ["Ingress", "Egress"]
    deny = {"podSelector": {}, "policyTypes": types}
    same_tenant = (
        {"namespaceSelector": {"matchLabels": {"tenant": labels["tenant"]}}}
        if "tenant" in labels and n % 3 == 0
        else {"podSelector": {}}
    )
    if n % 25 == 1:  # a misconfiguration: every namespace, other tenants' included
        same_tenant = {"namespaceSelector": {}}
    egress: list[dict[str, Any]] = [
        {
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        },
        {"to": [{"podSelector": {}}]},
    ]
    if "pci-scope" in labels:
        egress.append({"to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}], "ports": [{"port": 443}]})
    allow = {
        "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]},
        "policyTypes": types,
        "ingress": [
            {"from": [same_tenant]},
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
                "ports": [{"port": 8080, "endPort": 8090}],
            },
        ],
        "egress": egress,
    }
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": policy, "namespace": name},
            "spec": spec,
        }
        for policy, spec in (("default-deny", deny), ("allow", allow))
    ]


def cluster_objects(pods: int, namespaces: int, unique: bool = False) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    names = []
    for n in range(namespaces):
        name, labels = _namespace(n)
        if n == 1:
            name, labels = "ingress", {}
        names.append(name)
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
        objects += _policies(name, labels, n)
    nodes = 50
    for i in range(nodes):
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": f"node{i}"},
                "status": {"addresses": [{"type": "InternalIP", "address": f"192.168.{i // 250}.{i % 250 + 1}"}]},
            }
        )
    for i in range(pods):
        ns = names[i % namespaces]
        app = APPS[(i // namespaces) % len(APPS)]
        host = i % (namespaces * 100) == 1
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{app}-{i}",
                    "namespace": ns,
                    "labels": {"app": app, "pod-template-hash": f"h{len(app)}"} | ({"pod": f"p{i}"} if unique else {}),
                },
                "spec": {
                    "nodeName": f"node{i % nodes}",
                    "hostNetwork": host,
                    "containers": [
                        {"name": "c", "image": "i", "ports": [{"name": "http", "containerPort": 8080}]},
                    ],
                },
                "status": {"podIP": f"10.{i // 65025}.{i // 255 % 255}.{i % 255 + 1}"},
            }
        )
    return objects


def records(objects: list[dict[str, Any]]) -> list[Resource]:
    out = [r for r in (to_resource(o, "bench", ("bench",)) for o in objects) if r is not None]
    out += [pod_endpoint(o, "bench", ("bench",)) for o in objects if o["kind"] == "Pod"]
    return out


def unread_policies(resources: list[Resource], count: int) -> list[Resource]:
    """`count` CiliumNetworkPolicies, one in each of the first namespaces: policies pcicheck does not read."""
    names = sorted({r.region for r in resources if r.type == "k8s.pod"})[:count]
    objects = [
        {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "c", "namespace": ns}}
        for ns in names
    ]
    return [
        unread_record(k, o["metadata"]["namespace"], "c", "bench", ("bench",)) for o in objects if (k := policy_kind(o))
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--unique-labels", action="store_true", help="worst case: every pod its own class")
    parser.add_argument("--unread", type=int, default=0, help="namespaced CiliumNetworkPolicies (one per namespace)")
    args = parser.parse_args()
    resources = records(cluster_objects(args.pods, args.namespaces, args.unique_labels))
    resources += unread_policies(resources, args.unread)
    policies = sum(r.type == "k8s.network_policy" for r in resources)
    pods = sum(r.type == "k8s.pod" for r in resources)

    started = time.perf_counter()
    cluster = Cluster.from_resources(resources)
    reach = Reach.compute(cluster)
    matrix = reach.namespace_matrix()
    tenants = tenant_matrix(matrix, namespace_tenants(cluster, "tenant"))
    scopes = scope_facts(resources, ScopeConfig())
    cde = [p for p in cluster.pods.values() if p.namespace.startswith("cde-")]
    report = exposure(cluster, cde)
    facts = segmentation_facts(resources, scopes, "tenant")
    elapsed = time.perf_counter() - started

    exposed = sum(
        bool(facts[uid].get("non_cde_sources")) for uid, s in scopes.items() if s["scope"] == "cde" and uid in facts
    )
    cross_tenant = sum(v not in (None, "denied") for a, row in tenants.items() for b, v in row.items() if a != b)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{pods} pods, {len(cluster.namespaces)} namespaces, {policies} policies → {len(reach.classes)} classes; "
        f"matrix {len(matrix)}×{len(matrix)}, {len(report)} CDE pods in the exposure report, "
        f"{exposed} CDE workloads reachable from non-CDE namespaces, {cross_tenant} cross-tenant pairs reachable"
    )
    print(
        f"analysis: {elapsed:.2f} s (budget {BUDGET_SECONDS:.0f} s); peak RSS {rss_mb:.0f} MB (budget {BUDGET_RSS_MB})"
    )
    return 0 if elapsed <= BUDGET_SECONDS and rss_mb <= BUDGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: live collection of a synthetic cluster of 5,000 pods in 200 namespaces.

Budget (issue 3): <= 30 s wall and <= 1 GB peak RSS. The cluster is served by pcicheck's local
Kubernetes API server (real HTTP, real pagination at 500 per page, bearer auth); the real
kubernetes client lists it through `pcicheck.collect.k8s.live`, then the snapshot is evaluated.

    python bench/k8s_collect.py [--pods 5000] [--namespaces 200]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pcicheck.catalog import load_catalog
from pcicheck.collect.k8s.live import K8sOptions, collect_k8s
from pcicheck.config import Config
from pcicheck.demo.kubeapi import serve
from pcicheck.evaluate.evaluation import evaluate_snapshot

BUDGET_SECONDS = 30.0
BUDGET_RSS_MB = 1024


def cluster(pods: int, namespaces: int) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for n in range(namespaces):
        labels = {"pci-scope": "cde"} if n % 10 == 0 else {"tenant": f"t{n % 20}"}
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns{n}", "labels": labels}})
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "deny", "namespace": f"ns{n}"},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
            }
        )
    for i in range(pods):
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"pod{i}", "namespace": f"ns{i % namespaces}", "labels": {"app": f"a{i % 7}"}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "registry.example.com/app:1",
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "securityContext": {"runAsNonRoot": i % 3 != 0, "allowPrivilegeEscalation": False},
                            "env": [{"name": "MODE", "value": "prod"}, {"name": "DB_PASSWORD", "value": "x"}],
                        }
                    ]
                },
            }
        )
    return objects


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=200)
    args = parser.parse_args()
    catalog = load_catalog()
    with serve(cluster(args.pods, args.namespaces), token="bench") as handle, tempfile.TemporaryDirectory() as tmp:
        kubeconfig = handle.kubeconfig(Path(tmp) / "kubeconfig")
        start = time.perf_counter()
        snap = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
        collected = time.perf_counter()
        ev = evaluate_snapshot(snap, catalog, Config(), "pci-dss-3.2.1")
        elapsed = time.perf_counter() - start
        requests = len(handle.requests)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"resources={len(snap.resources)} requests={requests} errors={len(snap.errors)} results={len(ev.results)}")
    print(f"collect={collected - start:.2f}s evaluate={elapsed - (collected - start):.2f}s")
    print(f"wall={elapsed:.2f}s (budget {BUDGET_SECONDS:.0f}s)  peak_rss={peak_mb:.0f}MB (budget {BUDGET_RSS_MB}MB)")
    ok = elapsed <= BUDGET_SECONDS and peak_mb <= BUDGET_RSS_MB and not snap.errors
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

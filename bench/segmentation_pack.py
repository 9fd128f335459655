"""Benchmark: the segmentation evidence an evidence pack carries (the CDE isolation and tenant separation
plans with every flow's configured verdict), on the synthetic AWS estate of bench/aws_reach.py (10 VPCs of
10 subnets, half of them CDE; 10,000 instances, databases and load balancers: a 510,000-flow plan) and
the 5,000-pod cluster of bench/segmentation.py.

Budget: <= 10 s wall for each, after the analysis the pack reuses (reach facts). Report growth with
--nodes/--pods at N and 4N: the plan is CDE components x outside subnets (or namespaces) x ports.

    python bench/segmentation_pack.py [--nodes 10000] [--pods 5000 --namespaces 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the estate builders live with the tests
sys.path.insert(0, str(Path(__file__).resolve().parent))

from segmentation import cluster_objects, records  # bench/segmentation.py

from pcicheck.analyze.estate import analyze
from pcicheck.config import ScopeConfig
from pcicheck.model import Resource, Snapshot
from pcicheck.segmentation.pack import segmentation_evidence
from tests.analyze.test_aws_reach import synthetic

BUDGET = 10.0


def _measure(label: str, resources: list[Resource], provider: str) -> float:
    snap = Snapshot("0.1.0", "2026-11-25T10:00:00Z", {"providers": [provider]}, {}, tuple(resources), ())
    facts = analyze(snap.resources, ScopeConfig()).facts
    started = time.perf_counter()
    evidence = segmentation_evidence(snap, ScopeConfig(), facts)
    elapsed = time.perf_counter() - started
    assert evidence is not None
    plans = ", ".join(f"{p['id']} {p['flows']:,} flows ({p['not_denied']:,} not denied)" for p in evidence["plans"])
    print(f"{label}: {plans}; {elapsed:.2f} s (budget {BUDGET:.0f} s)")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=500)
    args = parser.parse_args()
    aws = _measure(f"AWS, {args.nodes:,} nodes", synthetic(nodes=args.nodes), "aws")
    k8s = _measure(
        f"Kubernetes, {args.pods:,} pods in {args.namespaces} namespaces",
        records(cluster_objects(args.pods, args.namespaces)),
        "k8s",
    )
    return 0 if max(aws, k8s) <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

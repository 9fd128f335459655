"""Benchmark: evaluate a synthetic snapshot of 100,000 AWS resources with the whole catalog.

Budget (issue 2): <= 10 s wall and <= 1.5 GB peak RSS on a 2-core machine.

Resources are built from the attribute sets the controls' own test cases use, so every
control finds the attributes it reads, and about a third of them are tagged CDE or tenant.
Five accounts in four regions; account- and region-level records occur once each, as in AWS.
Timed: reading the gzipped snapshot, analysis, evaluation, requirement roll-up and the JSON
results document — what `pcicheck evaluate snap.json.gz --format json` does.

    python bench/evaluate.py [--resources 100000]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pcicheck.catalog import load_catalog
from pcicheck.config import Config
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.model import Resource, Snapshot
from pcicheck.report import results_json
from pcicheck.snapshot import read_snapshot, write_snapshot

BUDGET_SECONDS = 10.0
BUDGET_RSS_MB = 1536


def templates() -> dict[str, list[dict[str, Any]]]:
    """Per resource type, the attribute maps the catalog's test cases use."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for control in load_catalog().controls:
        for case in control.tests:
            by_type[control.resource].append(dict(case.resource.get("attributes") or {}))
            for rel in case.related:
                by_type[str(rel.get("type", control.resource))].append(dict(rel.get("attributes") or {}))
    return by_type


ACCOUNTS = tuple(str(100000000000 + i) for i in range(5))
REGIONS = ("us-east-1", "eu-west-2", "eu-west-1", "ap-southeast-2")
# Types an account has exactly one of per account (or per account and region), as in real estates.
PER_ACCOUNT = ("aws.account",)
PER_REGION = ("aws.region", "aws.cloudtrail.trail", "aws.guardduty.detector")


def synthetic(n: int, seed: int = 7) -> Snapshot:
    rng = random.Random(seed)
    shapes = templates()
    resources = []

    def add(t: str, i: int, account: str, region: str) -> None:
        tags = {"Name": f"{t.split('.')[-1]}-{i}"}
        roll = rng.random()
        if roll < 0.2:
            tags["pci-scope"] = "cde"
        elif roll < 0.35:
            tags["tenant"] = f"tenant-{i % 50}"
        resources.append(
            Resource(
                uid=f"arn:aws:bench:{region}:{account}:{t}/{i}",
                type=t,
                provider="aws",
                account=account,
                region=region,
                name=tags["Name"],
                tags=tags,
                attributes=dict(rng.choice(shapes[t])),
                source=("bench:Synthetic",),
            )
        )

    for account in ACCOUNTS:
        for t in PER_ACCOUNT:
            add(t, len(resources), account, "")
        for region in REGIONS:
            for t in PER_REGION:
                add(t, len(resources), account, region)
    bulk = sorted(t for t in shapes if t.startswith("aws.") and t not in PER_ACCOUNT + PER_REGION)
    i = 0
    while len(resources) < n:
        add(bulk[i % len(bulk)], len(resources), ACCOUNTS[i % len(ACCOUNTS)], REGIONS[i % len(REGIONS)])
        i += 1
    return Snapshot(
        tool_version="bench",
        created_at="2026-11-25T00:00:00Z",
        request={"providers": ["aws"]},
        identity={},
        resources=tuple(resources),
        errors=(),
        calls={},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    args = parser.parse_args()
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.json.gz"
        write_snapshot(synthetic(args.resources), path)
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        snap = read_snapshot(path)
        read = time.perf_counter()
        ev = evaluate_snapshot(snap, catalog, Config(), "pci-dss-3.2.1")
        evaluated = time.perf_counter()
        with (Path(tmp) / "results.json").open("w", encoding="utf-8") as fp:
            results_json.write(ev, fp)
        elapsed = time.perf_counter() - start
        document_mb = (Path(tmp) / "results.json").stat().st_size / 1e6
    print(
        f"read={read - start:.2f}s evaluate={evaluated - read:.2f}s results_document={start + elapsed - evaluated:.2f}s"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the forked evaluator
    print(
        f"resources={len(snap.resources)} controls={len(catalog.controls)} results={len(ev.results)} "
        f"snapshot={size_mb:.1f}MB results_json={document_mb:.1f}MB"
    )
    print(
        f"wall={elapsed:.2f}s (budget {BUDGET_SECONDS:.0f}s)  "
        f"peak_rss={peak_mb:.0f}MB, worker {worker_mb:.0f}MB (budget {BUDGET_RSS_MB}MB each)"
    )
    ok = elapsed <= BUDGET_SECONDS and max(peak_mb, worker_mb) <= BUDGET_RSS_MB
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

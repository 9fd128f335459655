"""Benchmark: evaluate a synthetic snapshot of 100,000 AWS resources with the whole catalog.

Budget (issue 2): <= 10 s wall and <= 1.5 GB peak RSS on a 2-core machine.

With --pack (issue 16): the real CLI, `pcicheck evaluate snap.json.gz --format json -o results.json
--out pack`, in a child process whose peak RSS is read from wait4; real estates carry many tags, so
--tags adds that many tags to every resource (keys and values of realistic length). Budget for
3,400 resources x 50 tags: results.json <= 25 MB, peak RSS <= 500 MB. The child runs whichever
pcicheck PYTHONPATH names, so the same command measures another checkout (before/after). --heavy
draws the resources from the types six or more controls judge, for the most results per resource.

Resources are built from the attribute sets the controls' own test cases use, so every
control finds the attributes it reads, and about a third of them are tagged CDE or tenant.
Five accounts in four regions; account- and region-level records occur once each, as in AWS.
Timed: reading the gzipped snapshot, analysis, evaluation, requirement roll-up and the JSON
results document — what `pcicheck evaluate snap.json.gz --format json` does.

    python bench/evaluate.py [--resources 100000]
    python bench/evaluate.py --resources 3400 --tags 50 --pack [--heavy]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
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
BUDGET_PACK_RESULTS_MB = 25.0
BUDGET_PACK_RSS_MB = 500


def run_pcicheck(command: list[str], cwd: Path) -> tuple[float, Any]:
    """Run a pcicheck command as a child: (wall seconds, its rusage from wait4), or (seconds, None) after
    saying so when it exits other than 0 or 1 (findings are expected; anything else spoils the figures)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        print(f"pcicheck exited {code}")
        return elapsed, None
    return elapsed, usage


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


def extra_tags(i: int, count: int) -> dict[str, str]:
    """Tags as organisations write them: cost centre, owner, compliance and automation keys, ~50 bytes each."""
    return {f"org:governance/attribute-{k:02d}": f"value-{(i * 31 + k) % 997:04d}-{'x' * 16}" for k in range(count)}


def heavy_types(minimum: int = 6) -> list[str]:
    """The AWS types at least `minimum` controls judge (S3 buckets, RDS instances, IAM users, …): an estate
    of them has the most results per resource, the shape that made v1 documents large."""
    counts = Counter(c.resource for c in load_catalog().controls if c.resource.startswith("aws."))
    return sorted(t for t, n in counts.items() if n >= minimum and t not in PER_ACCOUNT + PER_REGION)


def synthetic(n: int, seed: int = 7, tags_per_resource: int = 0, bulk_types: list[str] | None = None) -> Snapshot:
    rng = random.Random(seed)
    shapes = templates()
    resources = []

    def add(t: str, i: int, account: str, region: str) -> None:
        tags = {"Name": f"{t.split('.')[-1]}-{i}", **extra_tags(i, tags_per_resource)}
        roll = rng.random()
        if roll < 0.2:
            tags["pci-scope"] = "cde"
        elif roll < 0.35:
            tags["tenant"] = f"tenant-{i % 50}"
        attributes = dict(rng.choice(shapes[t]))
        if t == "aws.ec2.subnet" and not attributes.get("cidr"):  # a real subnet always has one
            attributes["cidr"] = f"10.{i // 256 % 256}.{i % 256}.0/24"
        resources.append(
            Resource(
                uid=f"arn:aws:bench:{region}:{account}:{t}/{i}",
                type=t,
                provider="aws",
                account=account,
                region=region,
                name=tags["Name"],
                tags=tags,
                attributes=attributes,
                source=("bench:Synthetic",),
            )
        )

    for account in ACCOUNTS:
        for t in PER_ACCOUNT:
            add(t, len(resources), account, "")
        for region in REGIONS:
            for t in PER_REGION:
                add(t, len(resources), account, region)
    bulk = bulk_types or sorted(t for t in shapes if t.startswith("aws.") and t not in PER_ACCOUNT + PER_REGION)
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


def _tree_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def pack_run(resources: int, tags: int, heavy: bool) -> int:
    """The CLI writing results.json and the evidence pack in a child process: sizes and the child's peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        snap_path = Path(tmp) / "bench.json.gz"
        bulk = heavy_types() if heavy else None
        write_snapshot(synthetic(resources, tags_per_resource=tags, bulk_types=bulk), snap_path)
        results, pack = Path(tmp) / "results.json", Path(tmp) / "pack"
        command = [sys.executable, "-m", "pcicheck", "evaluate", str(snap_path), "--framework", "pci-dss-4.0.1"]
        command += ["--format", "json", "-o", str(results), "--out", str(pack), "--allow-incomplete", "-q"]
        elapsed, usage = run_pcicheck(command, Path(tmp))
        if usage is None:
            return 2
        results_mb, pack_mb = results.stat().st_size / 1e6, _tree_mb(pack)
        with results.open(encoding="utf-8") as fp:
            counted = sum(json.load(fp)["summary"].values())
        files = {p.name: p.stat().st_size / 1e6 for p in sorted(pack.iterdir()) if p.is_file()}
    peak_mb = usage.ru_maxrss / 1024
    print(f"resources={resources} tags/resource={tags} results={counted}")
    print("pack files (MB): " + ", ".join(f"{k}={v:.1f}" for k, v in files.items()))
    print(
        f"results.json={results_mb:.1f}MB (budget {BUDGET_PACK_RESULTS_MB:.0f}MB) pack={pack_mb:.1f}MB "
        f"peak_rss={peak_mb:.0f}MB (budget {BUDGET_PACK_RSS_MB}MB) wall={elapsed:.1f}s"
    )
    ok = results_mb <= BUDGET_PACK_RESULTS_MB and peak_mb <= BUDGET_PACK_RSS_MB
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--tags", type=int, default=0, help="extra tags on every resource")
    parser.add_argument("--pack", action="store_true", help="time the CLI writing results.json and the pack")
    parser.add_argument("--heavy", action="store_true", help="only the types most controls judge (with --pack)")
    args = parser.parse_args()
    if args.pack:
        return pack_run(args.resources, args.tags, args.heavy)
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.json.gz"
        write_snapshot(synthetic(args.resources, tags_per_resource=args.tags), path)
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

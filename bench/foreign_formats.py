"""Benchmark: --format ocsf and --format asff for N results and 4N — render time (median of 3), bytes,
peak memory (tracemalloc), and the growth ratio time(4N)/time(N), which should stay near 4 (linear).

The document is the demo estate's (the golden snapshot, evaluated by the real catalog and engine),
its results repeated with distinct evidence ids and resource uids until there are N of them.

    python bench/foreign_formats.py [--results 50000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from pcicheck.catalog import load_catalog
from pcicheck.config import Config
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.report import results_json
from pcicheck.report.formats import render
from pcicheck.snapshot import read_snapshot

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "demo" / "golden" / "snapshot.json"


def estate() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "snapshot.json"
        path.write_text(GOLDEN.read_text().replace("<time>", "2026-01-31T12:00:00Z"))
        ev = evaluate_snapshot(read_snapshot(path), load_catalog(), Config(), ("pci-dss-4.0.1", "pci-dss-3.2.1"))
    doc: dict[str, Any] = json.loads(results_json.render(ev))
    return doc


def grown(doc: dict[str, Any], n: int) -> dict[str, Any]:
    base = doc["results"]
    results = []
    for i in range(n):
        r = base[i % len(base)]
        copy = i // len(base)
        resource = {**r["resource"], "uid": f"{r['resource']['uid']}#{copy}"}
        results.append({**r, "id": f"EV-{i:012X}", "resource": resource})
    return {**doc, "results": results}


def measure(doc: dict[str, Any], fmt: str) -> tuple[float, float, int, int]:
    """(median wall seconds of 3, median CPU seconds of 3, bytes, peak traced bytes of one more run).
    CPU time is the figure to compare on a loaded machine: wall time there includes waiting."""
    walls, cpus = [], []
    size = 0
    for _ in range(3):
        started, cpu = time.perf_counter(), time.process_time()
        size = len(render(fmt, doc))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    tracemalloc.start()
    render(fmt, doc)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(walls), statistics.median(cpus), size, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=50_000)
    n = parser.parse_args().results
    base = estate()
    for fmt in ("ocsf", "asff"):
        timings = {}
        for count in (n, 4 * n):
            doc = grown(base, count)
            findings = sum(r["status"] != "not_applicable" for r in doc["results"])
            wall, cpu, size, peak = measure(doc, fmt)
            timings[count] = cpu
            print(
                f"{fmt}: {count} results → {findings} findings in {wall:.2f} s wall, {cpu:.2f} s CPU "
                f"(medians of 3), {size / 1e6:.1f} MB, peak {peak / 1e6:.0f} MB traced"
            )
        print(f"{fmt}: growth CPU time(4N)/time(N) = {timings[4 * n] / timings[n]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

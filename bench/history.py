"""Benchmark: `pcicheck history` on a year of daily scans, without the packs' I/O.

What grows with the number of scans is the timeline work (compute, history.json, index.html); reading a
pack is pack_reader's, measured by its own tests and linear in the pack's bytes. So the scans here are the
demo's results document (tests/demo/golden/results.json: 366 + 298 requirements, 185 controls, 522
results) read by history's own reader (`scan_of`), re-dated one day apart, with one control in ten
flipping between pass and fail at random so the timelines are not one rectangle each. Each size is run
three times and the median kept; growth ratios time(4N)/time(N) show whether the work stays linear.

Budget: a year of daily scans (N = 365) in <= 20 s and <= 500 MB peak traced memory on a laptop.

    python bench/history.py [--scans 90]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from pcicheck.history.read import ControlScan, Scan, scan_of
from pcicheck.history.render import history_document, history_html, history_json
from pcicheck.history.timeline import compute

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "demo" / "golden" / "results.json"
BUDGET_SECONDS = 20.0
BUDGET_BYTES = 500 << 20


def scans(n: int) -> list[Scan]:
    doc = json.loads(GOLDEN.read_text())
    doc["started_at"] = "2026-01-01T02:00:00Z"  # the golden file blanks its times
    base = scan_of(doc, "golden", "0" * 64, False)
    rng = random.Random(7)
    flipping = sorted(base.controls)[::10]
    out = []
    for day in range(n):
        controls = dict(base.controls)
        for cid in flipping:
            status = "fail" if rng.random() < 0.3 else "pass"
            controls[cid] = ControlScan(status, {status: 1}, (), frozenset())
        out.append(dataclasses.replace(base, pack=f"day-{day}", at=base.at + timedelta(days=day), controls=controls))
    return out


def work(series: list[Scan]) -> tuple[bytes, bytes]:
    h = compute(series, timedelta(days=1))
    doc = history_document(h, "bench", ())
    return history_json(doc), history_html(h, doc)


def run(n: int) -> tuple[float, int, int, int]:
    """Wall time (untraced), then peak memory in a second, traced run (tracemalloc slows the work)."""
    series = scans(n)
    started = time.perf_counter()
    data, page = work(series)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    work(series)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, len(data), len(page)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=90)
    n = parser.parse_args().scans
    medians = {}
    for size in (n, 4 * n):
        runs = [run(size) for _ in range(3)]
        elapsed = statistics.median(r[0] for r in runs)
        peak, json_bytes, html_bytes = runs[0][1], runs[0][2], runs[0][3]
        medians[size] = elapsed
        print(
            f"{size:5d} scans: {elapsed:6.2f} s (median of 3), peak {peak / 2**20:6.1f} MiB, "
            f"history.json {json_bytes / 2**20:5.1f} MiB, index.html {html_bytes / 2**20:5.1f} MiB"
        )
    ratio = medians[4 * n] / medians[n]
    print(f"growth time(4N)/time(N) = {ratio:.2f} (linear: about 4)")
    year = run(365)
    ok = year[0] <= BUDGET_SECONDS and year[1] <= BUDGET_BYTES
    verdict = "within" if ok else "OVER"
    print(f"a year of daily scans: {year[0]:.2f} s, peak {year[1] / 2**20:.1f} MiB: {verdict} budget")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: AWS reachability facts over a synthetic estate of 10,000+ records (10 VPCs of 10
subnets, web/app/db tiers, public web instances), the estate tests/analyze/test_aws_reach.py checks
the answers of.

Budget: reach_facts in <= 5 s wall (the answers a scan of a large account needs must not dominate
its evaluation). Measured after the rest of the analysis, from normalized records to facts.

    python bench/aws_reach.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the estate builder lives with the tests

from pcicheck.analyze.aws_reach import reach_facts
from pcicheck.analyze.estate import analyze
from pcicheck.config import ScopeConfig
from tests.analyze.test_aws_reach import synthetic

BUDGET = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    records = synthetic()
    scopes = {
        uid: {"scope": f["scope"], "tenant": f["tenant"]} for uid, f in analyze(records, ScopeConfig()).facts.items()
    }
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        reach_facts(records, scopes)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    verdict = "within budget" if median <= BUDGET else "OVER BUDGET"
    print(
        f"aws reach: records={len(records)} reach_facts median={median:.2f}s "
        f"(min {min(times):.2f}, max {max(times):.2f}, {args.repeat} runs; budget {BUDGET:.0f}s) {verdict}"
    )
    return 0 if median <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

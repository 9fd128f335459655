"""Benchmark: an organisation of emulated accounts collected by N shard processes, merged, evaluated once.

Budget (issue 16): 100 emulated accounts over 4 shards, merged results identical to one process; wall time
per shard and merged, and per-shard peak RSS, reported (no time budget).

Every step is the real CLI in its own process (`pcicheck collect --shard K/N`, `pcicheck merge`,
`pcicheck evaluate`), its peak RSS its own VmHWM (/proc/self/status) at exit. The emulator is one moto server in
this process: shards run at the same time share it, so their wall times measure the emulator's throughput
as much as pcicheck's; `--sequential` runs them one after another instead (each shard's time alone; the
slowest is what N machines against AWS would take). Seeding is not timed.

    python bench/shards.py [--accounts 100] [--shards 4] [--regions us-east-1] [--repeat 3] [--sequential]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the estate builder lives with the tests

from pcicheck.demo.emulator import patched_environ, running_emulator
from tests.support.comparable import comparable
from tests.support.org_estate import accounts_yaml, org_accounts, seed_organisation


@dataclass(frozen=True)
class Run:
    name: str
    wall: float
    rss_mib: float
    code: int


# The CLI, reporting its own peak RSS (VmHWM) at exit. Not ru_maxrss from wait4: Linux carries the parent's
# high-water mark across fork and exec, and the parent here holds the whole emulated organisation.
_CLI = (
    "import atexit, os, runpy, sys\n"
    "def hwm():\n"
    "    peak = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "    open(os.environ['BENCH_HWM_FILE'], 'w').write(peak)\n"
    "atexit.register(hwm)\n"
    "sys.argv[0] = 'pcicheck'\n"
    "runpy.run_module('pcicheck', run_name='__main__', alter_sys=True)\n"
)


@dataclass
class Started:
    proc: subprocess.Popen[bytes]
    started: float
    hwm: Path


def _start(args: list[str], env: dict[str, str]) -> Started:
    hwm = Path(tempfile.mkstemp(prefix="hwm-")[1])
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, *args],
        env={**env, "BENCH_HWM_FILE": str(hwm)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return Started(proc, time.perf_counter(), hwm)


def _finish(name: str, run: Started) -> Run:
    _, err = run.proc.communicate()
    wall = time.perf_counter() - run.started
    if run.proc.returncode not in (0, 1, 3):
        raise SystemExit(f"{name} failed ({run.proc.returncode}): {err.decode()}")
    rss_kib = int(run.hwm.read_text() or 0)
    run.hwm.unlink()
    return Run(name, wall, rss_kib / 1024, run.proc.returncode)


def _run(name: str, args: list[str], env: dict[str, str]) -> Run:
    return _finish(name, _start(args, env))


def one_round(tmp: Path, env: dict[str, str], accounts: Path, regions: str, shards: int, sequential: bool) -> list[Run]:
    collect = ["collect", "--aws", "--regions", regions, "--accounts", str(accounts), "--allow-incomplete", "-q"]
    runs = [_run("single collect", [*collect, "-o", str(tmp / "single.json.gz")], env)]
    folder = tmp / "shards"
    if sequential:
        for k in range(shards):
            runs.append(_run(f"shard {k}/{shards}", [*collect, "--shard", f"{k}/{shards}", "-o", f"{folder}/"], env))
    else:
        started = time.perf_counter()
        procs = [_start([*collect, "--shard", f"{k}/{shards}", "-o", f"{folder}/"], env) for k in range(shards)]
        runs.extend(_finish(f"shard {k}/{shards}", p) for k, p in enumerate(procs))
        runs.append(
            Run("all shards (wall, max RSS)", time.perf_counter() - started, max(r.rss_mib for r in runs[1:]), 0)
        )
    runs.append(_run("merge", ["merge", str(folder), "-o", str(tmp / "merged.json.gz"), "-q"], env))
    for name in ("single", "merged"):
        args = ["evaluate", str(tmp / f"{name}.json.gz"), "-q", "--format", "json", "-o", str(tmp / f"{name}.json")]
        runs.append(_run(f"evaluate {name}", args, env))
    return runs


def identical(tmp: Path) -> bool:
    docs: list[dict[str, Any]] = []
    for name in ("single", "merged"):
        doc = comparable(json.loads((tmp / f"{name}.json").read_text()))
        doc.pop("snapshot")  # its time and the shards' provenance differ; the rest must not
        docs.append(doc)
    return docs[0] == docs[1] and len(docs[0]["results"]) > 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--regions", default="us-east-1")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--sequential", action="store_true")
    a = ap.parse_args()
    regions = a.regions.split(",")
    with running_emulator() as emu, tempfile.TemporaryDirectory() as scratch, patched_environ(emu.env()):
        t = time.perf_counter()
        accounts = org_accounts(a.accounts)
        seed_organisation(emu.endpoint, accounts, regions)
        print(f"seeded {a.accounts} accounts × {len(regions)} region(s) in {time.perf_counter() - t:.1f} s (untimed)")
        listed = Path(scratch) / "accounts.yaml"
        listed.write_text(accounts_yaml(accounts))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **emu.env()}
        # moto builds each account's regional backends on first use (default VPCs…): a first, untimed
        # collection pays that, so neither the single process nor the shards are charged for it.
        warm = _run(
            "warm-up",
            [
                "collect",
                "--aws",
                "--regions",
                a.regions,
                "--accounts",
                str(listed),
                "-q",
                "--allow-incomplete",
                "-o",
                f"{scratch}/warm.json.gz",
            ],
            env,
        )
        print(f"warm-up collection (untimed): {warm.wall:.1f} s")
        rounds: list[list[Run]] = []
        for i in range(a.repeat):
            tmp = Path(scratch) / f"round-{i}"
            tmp.mkdir()
            runs = one_round(tmp, env, listed, a.regions, a.shards, a.sequential)
            same = identical(tmp)
            merged = json.loads((tmp / "merged.json").read_text())
            print(f"round {i + 1}: merged results identical to one process: {same} ({len(merged['results'])} results)")
            for r in runs:
                print(f"  {r.name:<27} wall {r.wall:7.2f} s   peak RSS {r.rss_mib:7.1f} MiB   exit {r.code}")
            if not same:
                raise SystemExit("merged results differ from the single process's")
            rounds.append(runs)
    print(f"median of {len(rounds)} round(s), {a.accounts} accounts over {a.shards} shards:")
    for i, first in enumerate(rounds[0]):
        walls = [r[i].wall for r in rounds]
        rss = [r[i].rss_mib for r in rounds]
        print(f"  {first.name:<27} wall {statistics.median(walls):7.2f} s   peak RSS {statistics.median(rss):7.1f} MiB")


if __name__ == "__main__":
    main()

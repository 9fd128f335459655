"""Benchmark: `pcicheck iac FOLDER` against plain Checkov on the same folder.

Budget (issue 16): pcicheck iac <= 1.2x plain Checkov. Each figure is the median of --repeat runs after
one warm-up run of each (page cache, pcicheck's catalog cache), wall time and CPU time (the process and
its children, from wait4):
- plain:    `checkov -d FOLDER -o json --skip-download`, as a user would run it (all its frameworks);
- flags:    Checkov with exactly the command line pcicheck gives it (its frameworks, its policies, the
            shim that keeps unknown verdicts), to tell Checkov's own work from pcicheck's;
- pcicheck: `python -m pcicheck iac FOLDER --quiet --format json --output …` with the catalog cache warm,
            and once with an empty cache (a first run).
Both get the environment pcicheck gives Checkov (runner.checkov_env: private HOME, no update check, no
Prisma download).

    python bench/iac_overhead.py FOLDER [--repeat 3] [--checkov PATH]

FOLDER: e.g. fixtures/iac/terraform/bad, or TerraGoat's terraform/aws fetched to /tmp (not into the repo).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from pcicheck.iac.checkov_env import find_checkov
from pcicheck.iac.mapping import policies_dir
from pcicheck.iac.runner import checkov_env, command

BUDGET_RATIO = 1.2


def timed(cmd: list[str], env: Mapping[str, str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and every child it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=dict(env), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1, 3):
        raise SystemExit(f"{cmd[:3]} exited {proc.returncode}: {err.decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def median(cmd: list[str], env: Mapping[str, str], repeat: int, cwd: Path | None = None) -> tuple[float, float]:
    timed(cmd, env, cwd)  # warm-up
    runs = [timed(cmd, env, cwd) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checkov", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder.resolve()
    tool = find_checkov(args.checkov, os.environ, lambda line: print(line, file=sys.stderr))
    with tempfile.TemporaryDirectory(prefix="pcicheck-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = checkov_env(os.environ, str(home))
        plain = median([tool.path, "-d", str(folder), "-o", "json", "--skip-download"], env, args.repeat)
        flags = median(command(tool, policies_dir()), env, args.repeat, cwd=folder)
        out = Path(tmp) / "results.json"
        pcicheck = [sys.executable, "-m", "pcicheck", "iac", str(folder), "--quiet", "--format", "json"]
        pcicheck += ["--output", str(out), "--checkov", tool.path]
        ours_env = {**os.environ, "PCICHECK_CACHE": str(Path(tmp) / "cache")}
        ours = median(pcicheck, ours_env, args.repeat)
        firsts = []
        for i in range(args.repeat):
            firsts.append(timed(pcicheck, {**os.environ, "PCICHECK_CACHE": str(Path(tmp) / f"cold{i}")}))
        first = statistics.median(f[0] for f in firsts), statistics.median(f[1] for f in firsts)
    print(f"folder {folder}; Checkov {tool.path}; median of {args.repeat}, wall / CPU seconds")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set, so pcicheck compiles its modules on every run (an installed")
        print("      wheel has them compiled); unset it and set PYTHONPYCACHEPREFIX=/tmp/pycache to measure that")
    for name, (wall, cpu) in (("plain", plain), ("flags", flags), ("pcicheck", ours), ("first run", first)):
        print(f"{name:>10}: wall {wall:6.2f}  cpu {cpu:6.2f}")
    ratio = ours[0] / plain[0]
    print(f"pcicheck / plain: wall {ratio:.2f} (budget {BUDGET_RATIO}), cpu {ours[1] / plain[1]:.2f}")
    print(f"pcicheck - flags (pcicheck's own cost): wall {ours[0] - flags[0]:.2f}  cpu {ours[1] - flags[1]:.2f}")
    print("within budget" if ratio <= BUDGET_RATIO else "OVER BUDGET")
    return 0 if ratio <= BUDGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())

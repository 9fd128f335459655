"""Write a pip requirements lock (name==version --hash=sha256:...) from `pip install --dry-run --report`.

Usage: python3 lock.py REPORT.json [--skip NAME] > LOCK.txt
Only what pip would download from the index is locked; --skip leaves out a local wheel (pcicheck itself,
which build.sh builds from the checkout)."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--skip", action="append", default=[])
    args = parser.parse_args(argv)
    skip = {s.lower() for s in args.skip}
    with open(args.report, encoding="utf-8") as f:
        install = json.load(f)["install"]
    lines = []
    for item in install:
        meta = item["metadata"]
        name = meta["name"].lower().replace("_", "-")
        if name in skip:
            continue
        digest = item["download_info"].get("archive_info", {}).get("hashes", {}).get("sha256")
        if not digest:
            print(f"lock.py: {name} has no sha256 in the report (not from an index?)", file=sys.stderr)
            return 2
        lines.append(f"{name}=={meta['version']} --hash=sha256:{digest}")
    print("\n".join(sorted(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

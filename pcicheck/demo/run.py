"""`pcicheck demo`: the real scan, against the built-in estate served by a local AWS emulator."""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text

from pcicheck import paths
from pcicheck.catalog import load_catalog
from pcicheck.collect.aws.runner import AwsOptions, collect_aws
from pcicheck.config import Config
from pcicheck.demo.emulator import patched_environ, running_emulator
from pcicheck.demo.seed import load_estate, seed_estate
from pcicheck.gate import exit_code
from pcicheck.model import Severity
from pcicheck.pipeline import evaluate_snapshot
from pcicheck.report import console as console_report
from pcicheck.report import results_json
from pcicheck.snapshot import write_snapshot

ESTATE_FILE = "aws-estate.yaml"


def run_demo(out: Path, framework: str, quiet: bool) -> None:
    console = console_report.make_console(quiet=quiet)
    estate_path = paths.demo_dir() / ESTATE_FILE
    regions = tuple(r.name for r in load_estate(estate_path).regions)
    catalog = load_catalog()  # before the emulator starts: a broken catalog fails fast
    with running_emulator() as emulator, patched_environ(emulator.env()):
        console.print(Text(f"AWS emulator (moto) listening on {emulator.endpoint}"))
        report = seed_estate(estate_path, emulator.endpoint)
        console.print(
            Text(
                f"seeded the demo estate: {len(report.resources)} records in {report.seconds:.1f} s "
                f"({', '.join(regions)})"
            )
        )
        started = time.perf_counter()
        snapshot = collect_aws(AwsOptions(regions=regions))
        ev = evaluate_snapshot(snapshot, catalog, Config(), framework)
        elapsed = time.perf_counter() - started
    console_report.render(ev, console)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.json").open("w", encoding="utf-8") as fp:
        results_json.write(ev, fp)
    write_snapshot(snapshot, out / "snapshot.json.gz")
    code = exit_code(ev.results, Severity.LOW, len(snapshot.errors))
    console.print(
        Text(
            f"scan: {len(snapshot.resources)} resources collected and evaluated in {elapsed:.1f} s; "
            f"wrote {out / 'results.json'} and {out / 'snapshot.json.gz'}. "
            f"The deliberate violations make a real scan exit {int(code)}; the demo itself exits 0."
        )
    )

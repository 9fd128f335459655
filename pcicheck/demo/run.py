"""`pcicheck demo`: the real scan of the built-in estate, served by a local AWS emulator and a local
Kubernetes API server, both over HTTP on loopback."""

from __future__ import annotations

import secrets
import tempfile
import time
from pathlib import Path

from rich.text import Text

from pcicheck import paths
from pcicheck.catalog import load_catalog
from pcicheck.collect.aws.runner import AwsOptions, collect_aws
from pcicheck.collect.k8s.live import K8sOptions, collect_k8s
from pcicheck.config import load_config
from pcicheck.demo.emulator import patched_environ, running_emulator
from pcicheck.demo.kubeapi import load_manifests, serve
from pcicheck.demo.seed import load_estate, seed_estate
from pcicheck.report import console as console_report
from pcicheck.snapshot import merge
from pcicheck.workflow.deliver import Delivery, deliver, evaluate
from pcicheck.workflow.rules import Rules

ESTATE_FILE = "aws-estate.yaml"
CLUSTER_FILE = "k8s-cluster.yaml"
CONFIG_FILE = "pcicheck.yaml"
# The demo estate gets the same ids on every run: its outputs differ only in times and the loopback port.
EMULATOR_SEED = 4242


def run_demo(out: Path, frameworks: tuple[str, ...], quiet: bool, run: dict[str, str] | None = None) -> None:
    console = console_report.make_console(quiet=quiet)
    estate_path = paths.demo_dir() / ESTATE_FILE
    regions = tuple(r.name for r in load_estate(estate_path).regions)
    # Before the emulator starts: a broken catalog fails fast.
    rules = Rules(load_catalog(), load_config(paths.demo_dir() / CONFIG_FILE))
    cluster = load_manifests([paths.demo_dir() / CLUSTER_FILE])
    with (
        running_emulator() as emulator,
        patched_environ(emulator.env()),
        serve(cluster, token=secrets.token_urlsafe(16)) as kube,
        tempfile.TemporaryDirectory() as tmp,
    ):
        console.print(Text(f"AWS emulator (moto) on {emulator.endpoint}; Kubernetes API server on {kube.url}"))
        emulator.seed(EMULATOR_SEED)
        report = seed_estate(estate_path, emulator.endpoint)
        console.print(
            Text(
                f"seeded the demo estate: {len(report.resources)} AWS records in {report.seconds:.1f} s "
                f"({', '.join(regions)}), {len(cluster)} Kubernetes objects"
            )
        )
        kubeconfig = kube.kubeconfig(Path(tmp) / "kubeconfig")
        started = time.perf_counter()
        snapshot = merge(
            [collect_aws(AwsOptions(regions=regions)), collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))]
        )
        ev = evaluate(snapshot, rules, frameworks, run=run)
        elapsed = time.perf_counter() - started
    # The pack is announced below with its files, so the flow's own notices are not printed.
    done = deliver(ev, Delivery(pack=out), console, notify=lambda _line: None)
    pack, code = done.pack, done.code
    assert pack is not None  # asked for
    console.print(
        Text(
            f"scan: {len(snapshot.resources)} resources collected and evaluated in {elapsed:.1f} s; "
            f"evidence pack in {pack.where}/: {', '.join(pack.files)} (open index.html). "
            f"The deliberate violations make a real scan exit {int(code)}; the demo itself exits 0."
        )
    )

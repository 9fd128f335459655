"""A pack re-performs: its snapshot, with the pack's own pcicheck.yaml (scope, params, waivers) and the
custom controls it keeps, evaluates to the same results document, times and the record of who ran it
aside. That is what lets an assessor redo the work from the pack alone (with the same pcicheck)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from pathlib import Path

import pytest

from pcicheck import paths, results_doc
from pcicheck.cli import main
from tests.support.comparable import comparable

CUSTOM = """\
id: my-workload-no-host-network
title: Workloads do not share the node's network namespace
domain: segmentation
severity: high
resource: k8s.workload
scope: all
where: "true"
assert: "!resource.attributes.host_network"
requirements: {pci-dss-3.2.1: ["2.2.4.c"], pci-dss-4.0.1: ["2.2.1.c"]}
basis: {pci-dss-4.0.1: {source: peer, ref: "Kubescape C-0041"}}
rationale: A pod on the host network bypasses every NetworkPolicy.
remediation: Remove hostNetwork.
tests:
  - {name: isolated, resource: {attributes: {host_network: false}}, expect: pass}
  - {name: host network, resource: {attributes: {host_network: true}}, expect: fail}
"""

CONFIG = """\
scope:
  cde: {tag: pci-scope, value: cde}
params:
  k8s-cde-workload-egress-allowlisted: {allowed_egress_cidrs: [198.51.100.0/24]}
waivers:
  - id: W-1
    control: my-workload-no-host-network
    resource: {match: "*log-shipper*"}
    justification: the log shipper reads node logs
    approved_by: Head of Platform Risk, Jane Roe
    ticket: RISK-1
    created: {created}
    expires: {expires}
"""


def test_a_pack_re_performs_to_the_same_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    custom = tmp_path / "my-controls"
    custom.mkdir()
    (custom / "my-workload-no-host-network.yaml").write_text(CUSTOM)
    config = tmp_path / "pcicheck.yaml"
    today = dt.date.today()
    dates = {"{created}": str(today - dt.timedelta(days=30)), "{expires}": str(today + dt.timedelta(days=300))}
    config.write_text(functools.reduce(lambda text, kv: text.replace(*kv), dates.items(), CONFIG))
    pack = tmp_path / "pack"
    cluster = str(paths.demo_dir() / "k8s-cluster.yaml")
    args = ["--controls", str(custom), "--config", str(config), "-q"]
    assert main(["scan", "--manifests", cluster, "--out", str(pack), *args]) == 1
    first = json.loads((pack / "results.json").read_text())
    assert first["run"]["command"].startswith("pcicheck scan --manifests ")
    assert first["config"]["loaded_from"] == str(config)
    # The pack keeps what the run was judged with: the effective configuration, and the custom control.
    kept = (pack / "pcicheck.yaml").read_bytes()
    assert hashlib.sha256(kept).hexdigest() == first["config"]["sha256"]
    assert (pack / "controls" / "my-workload-no-host-network.yaml").read_text() == CUSTOM
    assert main(["verify", str(pack)]) == 0  # they are in the manifest like every other file

    again = tmp_path / "again.json"
    rerun = ["evaluate", str(pack / "snapshot.json.gz"), "--config", str(pack / "pcicheck.yaml")]
    rerun += ["--controls", str(pack / "controls"), "--output", str(again), "-q"]
    assert main(rerun) == 1
    capsys.readouterr()
    second = json.loads(again.read_text())
    assert comparable(second) == comparable(first)
    assert any(r["status"] == "waived" for r in results_doc.results(second))  # the waiver came along
    assert second["segmentation"]["plans"][0]["flows"] > 0  # the segmentation evidence is re-performed too
    custom_results = [r for r in results_doc.results(second) if r["control"] == "my-workload-no-host-network"]
    assert custom_results and first["tool"]["catalog_digest"] == second["tool"]["catalog_digest"]

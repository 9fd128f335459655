"""Issue 15, a placeholder parameter fails everything. The approved-registry control shipped
`registries: ["registry.example.com/"]`, so every workload of every real cluster failed it until someone
configured it: findings nobody could act on, on the word of a placeholder. A param only the site can answer
is now declared `site_params`; until pcicheck.yaml sets it the control's results are `needs_configuration`
— not a failure, counted as incomplete like `error` (roll-up `incomplete`, exit 3 when nothing fails),
naming the param to set, in every output."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.cli import main
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import Resource, Status

CONTROL = "k8s-workload-image-allowed-registry"
# A workload from a real cluster: its images come from a registry no shipped default can know.
WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: "123456789012.dkr.ecr.eu-west-2.amazonaws.com/shop/web@sha256:\
abababababababababababababababababababababababababababababababab"
"""
ECR = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/"
CONFIGURED = f"params:\n  k8s-workload-image-allowed-registry: {{registries: [{ECR}]}}\n"


def _container(name: str) -> dict[str, Any]:
    return {"name": name, "init": False, "image": f"{ECR}{name}:1", "image_ref": {"reference": f"{ECR}{name}:1"}}


def _scan(tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str | None) -> tuple[int, str, Path]:
    folder = tmp_path / "k8s"
    folder.mkdir(exist_ok=True)
    (folder / "app.yaml").write_text(WORKLOAD)
    cfg = tmp_path / "pcicheck.yaml"
    cfg.write_text(config if config is not None else "scope: {}\n")
    pack = tmp_path / ("pack-configured" if config else "pack")
    code = main(["scan", "--manifests", str(folder), "--config", str(cfg), "--out", str(pack)])
    return code, capsys.readouterr().err, pack


def _mine(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in results_doc.results(doc) if r["control"] == CONTROL]


def test_an_unset_site_param_is_needs_configuration_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The site's value decides: configured, the same workload passes; with a registry left out, it fails.
    _, _, pack = _scan(tmp_path, capsys, CONFIGURED)
    assert [r["status"] for r in _mine(json.loads((pack / "results.json").read_text()))] == ["pass"]
    other = "params:\n  k8s-workload-image-allowed-registry: {registries: [registry.example.com/]}\n"
    _, _, pack = _scan(tmp_path, capsys, other)
    assert [r["status"] for r in _mine(json.loads((pack / "results.json").read_text()))] == ["fail"]

    code, err, pack = _scan(tmp_path, capsys, None)
    doc = json.loads((pack / "results.json").read_text())
    (result,) = _mine(doc)
    assert result["status"] == "needs_configuration"
    assert "set params registries for this site in pcicheck.yaml" in result["message"]
    assert f"params: {{{CONTROL}: {{registries: [...]}}}}" in result["message"]
    # What to choose from: each image as the runtime resolves it, the value `registries` is matched against.
    (shown,) = result["evidence"]["containers[].{name,init,image_ref.reference}"]
    assert shown["image_ref"]["reference"].startswith("123456789012.dkr.ecr")
    assert doc["summary"]["needs_configuration"] == 1
    (control,) = [c for c in doc["controls"] if c["id"] == CONTROL]
    assert control["needs_configuration"] == ["registries"] and "registries" not in control["params"]
    # The requirement it evidences is incomplete, not in place and not supported.
    (procedure,) = [p for q in doc["requirements"] for p in q.get("procedures", []) if CONTROL in p.get("controls", [])]
    assert procedure["outcome"] == "incomplete"
    # The console names the control and what to set, once, not a row per resource.
    assert "1 needs_configuration" in err
    assert f"  {CONTROL} (1 resources): set params registries" in err
    assert code in (1, 3)


def test_every_output_says_the_scan_is_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, pack = _scan(tmp_path, capsys, None)
    for fmt, name in (("junit", "junit.xml"), ("sarif", "results.sarif")):  # feeds, rendered from the pack
        assert main(["report", str(pack), "--format", fmt, "--output", str(tmp_path / name), "-q"]) == 0
    junit = ET.fromstring((tmp_path / "junit.xml").read_text())
    (case,) = [c for c in junit.iter("testcase") if c.get("classname") == CONTROL]
    (error,) = case.findall("error")
    assert error.get("type") == "needs-configuration" and "registries" in (error.get("message") or "")

    sarif = json.loads((tmp_path / "results.sarif").read_text())["runs"][0]
    assert sarif["invocations"][0]["executionSuccessful"] is False
    (note,) = sarif["invocations"][0]["toolConfigurationNotifications"]
    assert note["associatedRule"]["id"] == CONTROL and "registries" in note["message"]["text"]
    assert not [r for r in sarif["results"] if r["ruleId"] == CONTROL]  # no alert on a resource for it

    rows = list(csv.DictReader(io.StringIO((pack / "evidence.csv").read_text())))
    (row,) = [r for r in rows if r["control"] == CONTROL]
    assert row["status"] == "needs_configuration" and "123456789012.dkr.ecr" in row["evidence"]  # what to choose from
    summary = (pack / "summary.md").read_text()
    assert f"`{CONTROL}`" in summary and "need configuration" in summary
    html = (pack / "index.html").read_text()
    assert "Controls that need configuration (1)" in html and "need configuration: set params registries" in html


def test_only_unset_params_leave_the_scan_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With no finding at or above --fail-on, a control waiting for its configuration is exit 3, like an
    error: a CI gate must not read "nothing judged" as "clean"."""
    _scan(tmp_path, capsys, None)
    folder = tmp_path / "k8s"
    cfg = tmp_path / "pcicheck.yaml"
    code = main(["scan", "--manifests", str(folder), "--config", str(cfg), "--fail-on", "critical", "-q"])
    capsys.readouterr()
    assert code == 3
    cfg.write_text(CONFIGURED)
    assert main(["scan", "--manifests", str(folder), "--config", str(cfg), "--fail-on", "critical", "-q"]) == 0
    capsys.readouterr()


def test_site_params_must_name_declared_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = Path(__file__).resolve().parents[2] / "controls" / "k8s" / "workload" / f"{CONTROL}.yaml"
    custom = tmp_path / "controls"
    custom.mkdir()
    text = shipped.read_text().replace(f"id: {CONTROL}", "id: acme-registry")
    assert "site_params: [registries]" in text
    (custom / "acme-registry.yaml").write_text(text.replace("site_params: [registries]", "site_params: [registry]"))
    code = main(["controls", "validate", str(custom)])
    err = capsys.readouterr().err
    assert code == 2 and "acme-registry.yaml:" in err and "registries" in err
    assert "'site_params' names 'registry', which 'params' does not declare" in err


def test_a_resource_the_where_leaves_out_stays_not_applicable() -> None:
    """Only what the control would judge waits for configuration; a `where` that reads the unset param
    cannot say what it would judge, so everything it could select waits."""
    (shipped,) = [c for c in load_catalog().controls if c.id == CONTROL]
    workloads = [
        Resource(f"k8s://c/shop/Deployment/{kind}", "k8s.workload", "k8s", "c", "shop", kind, attributes=attributes)
        for kind, attributes in (
            ("Deployment", {"kind": "Deployment", "containers": [_container("a")]}),
            ("Job", {"kind": "Job", "containers": [_container("b")]}),
        )
    ]
    estate = analyze(workloads, ScopeConfig())
    now = datetime(2026, 12, 1, tzinfo=UTC)

    def statuses(where: str) -> list[Status]:
        control = replace(shipped, where=where)
        return [r.status for r in Evaluator([control]).evaluate(estate, [], now)]

    assert statuses('resource.attributes.kind == "Deployment"') == [Status.NEEDS_CONFIGURATION, Status.NOT_APPLICABLE]
    assert statuses("size(params.registries) >= 0") == [Status.NEEDS_CONFIGURATION] * 2
    # Configured, the same control judges.
    control = replace(shipped, where='resource.attributes.kind == "Deployment"')
    judged = Evaluator([control], {CONTROL: {"registries": [ECR]}}).evaluate(estate, [], now)
    assert [r.status for r in judged] == [Status.PASS, Status.NOT_APPLICABLE]

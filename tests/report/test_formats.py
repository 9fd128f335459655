"""SARIF, JUnit, CSV and the markdown summary, each from one real results document.

The document comes from evaluating the demo cluster's manifests (real normalizer, analyze and
engine), with two results rewritten as a waiver and a hostile resource name, so every branch of the
writers runs on data shaped like production.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pcicheck import paths, results_doc
from pcicheck.catalog import load_catalog
from pcicheck.collect.k8s.manifests import manifest_snapshot
from pcicheck.config import Config
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.report import results_json
from pcicheck.report.evidence_cell import EVIDENCE_CHARS
from pcicheck.report.findings_csv import write_csv
from pcicheck.report.junit import write_junit
from pcicheck.report.sarif import MAX_RESULTS, sarif_document
from pcicheck.report.summary_md import render_summary

SCHEMA = json.loads((Path(__file__).parents[1] / "support" / "schemas" / "sarif-schema-2.1.0.json").read_text())
HOSTILE = '=HYPERLINK("http://evil")<script>alert(1)</script> role/[admin] \x07'


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    snap, _ = manifest_snapshot([paths.demo_dir() / "k8s-cluster.yaml"])
    ev = evaluate_snapshot(snap, load_catalog(), Config(), "pci-dss-3.2.1")
    document = json.loads(results_json.render(ev))
    fails = [r for r in document["results"] if r["status"] == "fail"]  # a result's own fields, as written
    fails[0]["status"] = "waived"
    fails[0]["waiver"] = {  # as pcicheck.waivers.Waiver.record() writes it
        "id": "W-1",
        "justification": "accepted until the migration",
        "approved_by": "QSA",
        "ticket": "SEC-1",
        "created": "2026-01-31",
        "expires": "2027-01-31",
        "kind": "exception",
    }
    document["resources"][fails[1]["resource"]]["name"] = HOSTILE
    return document


def test_sarif_is_valid_and_every_result_has_a_location(doc: dict[str, Any]) -> None:
    log = sarif_document(doc)
    jsonschema.validate(log, SCHEMA)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    flagged = [r for r in results_doc.results(doc) if r["status"] in ("fail", "error", "waived")]
    assert len(run["results"]) == len(flagged) > 10
    for result in run["results"]:
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] and physical["region"]["startLine"] >= 1
        rule = rules[result["ruleId"]]
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]] is rule
        assert rule["help"]["text"] and "security" in rule["properties"]["tags"]
        assert float(rule["properties"]["security-severity"]) > 0
    # Manifest findings point at the manifest line; the waiver is a suppression, not a silent drop.
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert str(paths.demo_dir() / "k8s-cluster.yaml") in uris or "fixtures/demo/k8s-cluster.yaml" in uris
    (waived,) = [r for r in run["results"] if r.get("suppressions")]
    assert waived["suppressions"][0]["justification"] == "accepted until the migration"
    assert rules["k8s-workload-no-privileged"]["properties"]["security-severity"] == "9.5"  # critical


def test_sarif_live_finding_points_at_the_control_file(doc: dict[str, Any]) -> None:
    live = copy.deepcopy(doc)
    for resource in live["resources"].values():
        resource.pop("location", None)
    run = sarif_document(live)["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("controls/k8s/") and uri.endswith(".yaml")


def test_sarif_keeps_the_worst_25000_results(doc: dict[str, Any]) -> None:
    big = {**copy.deepcopy(doc), "schema": results_doc.V1}  # v1, each result with its resource: one uid each
    template = next(r for r in results_doc.results(doc) if r["status"] == "fail" and r["severity"] == "medium")
    critical = next(r for r in results_doc.results(doc) if r["status"] == "fail" and r["severity"] == "critical")
    big["results"] = [
        {**template, "resource": {**template["resource"], "uid": f"u{i}"}} for i in range(MAX_RESULTS + 10)
    ] + [critical]
    run = sarif_document(big)["runs"][0]
    assert len(run["results"]) == MAX_RESULTS and run["properties"]["omittedResults"] == 11
    assert run["results"][0]["ruleId"] == critical["control"]  # the cut drops the least severe


def test_junit_parses_back_with_distinct_outcomes(doc: dict[str, Any]) -> None:
    buffer = io.StringIO()
    write_junit(doc, buffer)
    root = ET.fromstring(buffer.getvalue().encode())
    judged = [r for r in results_doc.results(doc) if r["status"] != "not_applicable"]
    cases = root.findall("./testsuite/testcase")
    # Every result needing attention is its own testcase; a control's passes are one, counted.
    flagged = [r for r in judged if r["status"] != "pass"]
    passing = Counter(r["control"] for r in judged if r["status"] == "pass")
    assert len(cases) == len(flagged) + len(passing) == int(root.get("tests", "0"))
    assert passing and all(n for n in passing.values())
    for suite in root.findall("./testsuite"):
        (prop,) = suite.findall("./properties/property[@name='pcicheck.passed']")
        control = suite.get("name", "")
        assert int(prop.get("value", "-1")) == passing.get(control, 0)
        named = [c.get("name") for c in suite.findall("testcase") if not len(c)]
        assert named == ([f"{passing[control]} resources passed"] if control in passing else [])
    failures = sum(r["status"] == "fail" for r in judged)
    assert int(root.get("failures", "0")) == failures == len(root.findall(".//failure"))
    # A control waiting for a site param (the approved registries: Config() sets none) is incomplete too.
    unjudged = sum(r["status"] in ("error", "needs_configuration") for r in judged)
    assert int(root.get("errors", "0")) == unjudged == len(root.findall(".//error"))
    assert any(r["status"] == "needs_configuration" for r in judged)
    (skipped,) = root.findall(".//skipped")
    assert "accepted until the migration" in (skipped.get("message") or "")
    names = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(names) == len(set(names))  # GitLab drops duplicate classname+name
    assert any(HOSTILE.replace("\x07", "") in (c.get("name") or "") for c in cases)


def test_csv_defuses_formulas(doc: dict[str, Any]) -> None:
    buffer = io.StringIO()
    write_csv(doc, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert len(rows) == sum(
        r["status"] in ("fail", "error", "needs_configuration", "waived") for r in results_doc.results(doc)
    )
    hostile = next(r for r in rows if "HYPERLINK" in r["resource_name"])
    assert hostile["resource_name"].startswith("'=")
    assert all(r["evidence_id"].startswith("EV-") for r in rows)


def test_summary_is_short_and_inert(doc: dict[str, Any]) -> None:
    text = render_summary(doc)
    assert text.startswith("## pcicheck — PCI DSS v3.2.1: ❌ findings")
    assert len(text.splitlines()) <= 40 and len(text) < 4000
    assert "<script>" not in text


def _evidence_index_reads_back(text: str, doc: dict[str, Any]) -> None:
    from pcicheck.report.formats import render

    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["evidence_id"] for row in rows] == [r["id"] for r in results_doc.results(doc)]  # passes too
    # A resource's fields are in resources.csv, once; the snapshot's time in the other files.
    assert not {"read_at", "resource_name", "source", "severity"} & set(rows[0])
    resources = {row["resource_uid"]: row for row in csv.DictReader(io.StringIO(render("resources", doc).decode()))}
    assert set(resources) == {row["resource_uid"] for row in rows}  # every resource a row names, once
    assert all(res["source"] and res["resource_type"] for res in resources.values())
    # A finding carries its evidence as findings.csv's row does; a pass's is in results.json.
    findings = {row["evidence_id"]: row for row in csv.DictReader(io.StringIO(render("csv", doc).decode()))}
    for row in rows:
        if row["status"] in ("fail", "error", "needs_configuration", "waived"):
            assert row["evidence"] == findings[row["evidence_id"]]["evidence"]
        else:
            assert row["evidence"] == "" and row["evidence_id"] not in findings


def _parses(name: str, data: bytes, doc: dict[str, Any]) -> None:
    """Each format read back by a reader of that format, saying what the document says."""

    text = data.decode("utf-8")
    flagged = [r for r in results_doc.results(doc) if r["status"] in ("fail", "error", "waived")]
    unconfigured = [r for r in results_doc.results(doc) if r["status"] == "needs_configuration"]
    if name == "sarif":
        # A control waiting for a site param is a configuration notification, not a result per resource.
        run = json.loads(text)["runs"][0]
        assert len(run["results"]) == len(flagged)
        notes = run["invocations"][0].get("toolConfigurationNotifications", [])
        assert len(notes) == len({r["control"] for r in unconfigured})
    elif name == "junit":
        failed = [r for r in results_doc.results(doc) if r["status"] == "fail"]
        assert int(ET.fromstring(text).get("failures", "0")) == len(failed)
    elif name == "csv":
        assert len(list(csv.DictReader(io.StringIO(text)))) == len(flagged) + len(unconfigured)
    elif name == "evidence":
        _evidence_index_reads_back(text, doc)
    elif name == "resources":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row["resource_uid"] for row in rows] == sorted({r["resource"]["uid"] for r in results_doc.results(doc)})
    elif name == "markdown":
        assert text.startswith("## pcicheck — ")
    elif name == "html":
        assert text.startswith("<!DOCTYPE html>") and "</html>" in text
    elif name == "ocsf":
        ids = [e["finding_info"]["uid"] for e in json.loads(text)]
        assert ids == [r["id"] for r in doc["results"] if r["status"] != "not_applicable"]
    elif name == "asff":
        ids = [f["ProductFields"]["pcicheck/evidenceId"] for f in json.loads(text)]
        assert ids == [r["id"] for r in doc["results"] if r["status"] != "not_applicable"]
    else:
        raise AssertionError(f"format {name} has no reader in this test: add one")


def test_every_format_of_the_renderer_map_renders_one_document(doc: dict[str, Any]) -> None:
    from pcicheck.report.formats import FORMATS, render
    from pcicheck.report.pack import render_files

    assert list(FORMATS) == ["html", "sarif", "junit", "csv", "evidence", "resources", "markdown", "ocsf", "asff"]
    # ASFF places findings in the scanning AWS account: a manifests scan has none, so lend it one.
    identity = {**doc["snapshot"]["identity"], "aws": {"account": "123456789012", "arn": "arn:aws:sts::123456789012:x"}}
    doc = {**doc, "snapshot": {**doc["snapshot"], "identity": identity}}
    packed = render_files(b"{}", doc, None)
    for name, fmt in FORMATS.items():
        data = render(name, doc)
        _parses(name, data, doc)
        # The pack holds the same bytes under the format's file name; the feeds for other systems stay out.
        if fmt.in_pack:
            assert packed[fmt.file_name] == render(name, {**doc, "pack": {"signed_by": None}})
        else:
            assert fmt.file_name not in packed


def test_long_evidence_is_clipped_in_cells_with_where_the_whole_is(doc: dict[str, Any]) -> None:
    # An evidence value listing the whole estate: findings.csv and JUnit show its start and the evidence id.
    flat = {**doc, "schema": results_doc.V1, "results": [dict(r) for r in results_doc.results(doc)]}
    target = next(r for r in flat["results"] if r["status"] == "fail")
    target["evidence"] = {"facts.sources": [f"ns{n:04d}" for n in range(2000)]}
    buffer = io.StringIO()
    write_csv(flat, buffer)
    (row,) = [r for r in csv.DictReader(io.StringIO(buffer.getvalue())) if r["evidence_id"] == target["id"]]
    assert row["evidence"].startswith('{"facts.sources": ["ns0000", ')
    assert len(row["evidence"]) < EVIDENCE_CHARS + 100 and "the whole is in results.json" in row["evidence"]
    buffer = io.StringIO()
    write_junit(flat, buffer)
    (failure,) = [
        f for f in ET.fromstring(buffer.getvalue().encode()).iter("failure") if (f.text or "").startswith(target["id"])
    ]
    assert "ns1999" not in (failure.text or "") and "the whole is in results.json" in (failure.text or "")

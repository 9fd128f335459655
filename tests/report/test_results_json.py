"""The results document: exact shape, and the piecewise encoder agrees with plain json."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from pcicheck import results_doc
from pcicheck.catalog import load_catalog
from pcicheck.config import Config
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.model import CollectionError, Resource, Snapshot, evidence_id
from pcicheck.report.results_json import render
from pcicheck.report.results_shape import problem

HOSTILE = 'role/[admin] "quoted" \\ </script> ünïcode \u2028'


def kms_snapshot(name: str = HOSTILE, tenant: str = "acme") -> Snapshot:
    """One customer-managed key without rotation, named `name`, and an S3 listing that was denied."""
    key = Resource(
        uid="arn:aws:kms:eu-west-2:111:key/k1",
        type="aws.kms.key",
        provider="aws",
        account="111",
        region="eu-west-2",
        name=name,
        tags={"Name": name, "tenant": tenant},
        attributes={
            "key_id": "k1",
            "arn": "arn:aws:kms:eu-west-2:111:key/k1",
            "manager": "CUSTOMER",
            "state": "Enabled",
            "key_spec": "SYMMETRIC_DEFAULT",
            "rotation_enabled": False,
            "rotation_period_days": None,
            "next_rotation_date": None,
            "aliases": [],
        },
    )
    err = CollectionError(
        provider="aws",
        account="111",
        region="eu-west-2",
        service="s3",
        operation="ListBuckets",
        code="AccessDenied",
        message="no",
        resource_types=("aws.s3.bucket",),
    )
    return Snapshot(
        tool_version="0.1.0",
        created_at="2026-11-25T00:00:00Z",
        request={"providers": ["aws"]},
        identity={"aws": {"account": "111"}},
        resources=(key,),
        errors=(err,),
    )


def evaluation():
    return evaluate_snapshot(kms_snapshot(), load_catalog(), Config(), "pci-dss-4.0.1")


def test_document_matches_the_contract() -> None:
    ev = evaluation()
    doc = json.loads(render(ev))
    assert list(doc) == [
        "schema",
        "tool",
        "framework",
        "started_at",
        "finished_at",
        "snapshot",
        "scope",
        "config",
        "run",
        "summary",
        "values",
        "resources",
        "results",
        "requirements",
        "also",
        "controls",
        "waivers",
        "connected_to",
        "population",
        "segmentation",
        "errors",
    ]
    controls = {c["id"]: c for c in doc["controls"]}
    rotation = controls["aws-kms-key-rotation"]
    assert rotation["source"] == "controls/aws/kms/aws-kms-key-rotation.yaml:1"
    assert rotation["remediation"] and rotation["severity"] == "high"
    assert {r["control"] for r in results_doc.results(doc)} <= set(controls)
    parents = {q["id"]: q["parent"] for q in doc["requirements"]}
    assert parents["3.6.1"] == "3.6" and parents["3"] is None
    assert doc["connected_to"] == []  # a KMS key alone connects nothing
    assert doc["population"]["sampling"].startswith("none:") and doc["population"]["resources"] == 1
    assert doc["segmentation"] is None  # no network was scanned: no plan to show
    expected = [
        {
            "id": evidence_id(r.control.id, r.resource["uid"]),
            "control": r.control.id,
            "status": r.status.value,
            "resource": r.resource["uid"],  # v2: the resource once, in `resources`; the control's fields in `controls`
            "message": r.message,  # short, or said once: written in place
            # Its control's paths (the values are the resource's): left to `controls`; none when it has some.
            **({} if list(r.evidence) == controls[r.control.id]["evidence"] else {"evidence": r.evidence or {}}),
        }
        for r in ev.results
    ]
    assert any("evidence" not in r for r in expected) and any(r.get("evidence") == {} for r in expected)
    # A message other results repeat is written once, in `values`, and named by position.
    written = [
        {k: v for k, v in r.items() if k != "message_shared"} | {"message": doc["values"][r["message_shared"]]}
        if "message_shared" in r
        else r
        for r in doc["results"]
    ]
    assert written == json.loads(json.dumps(expected))
    tables = {r.resource["uid"]: {k: v for k, v in r.resource.items() if k != "uid"} for r in ev.results}
    for r in ev.results:
        if r.evidence:
            tables[r.resource["uid"]].setdefault("evidence", {}).update(r.evidence)
    assert doc["resources"] == json.loads(json.dumps(dict(sorted(tables.items()))))
    resolved = list(results_doc.results(doc))
    assert [r["evidence"] for r in resolved] == json.loads(json.dumps([r.evidence for r in ev.results]))
    assert list(doc["resources"]) == sorted(doc["resources"])  # each once, by uid
    first = doc["results"][0]
    digest = hashlib.sha256(f"{first['control']}\n{first['resource']}".encode()).hexdigest()
    assert first["id"] == "EV-" + digest[:12].upper()  # stable: a pure function of control and resource
    rotation = next(r for r in results_doc.results(doc) if r["control"] == "aws-kms-key-rotation")
    assert rotation["status"] == "fail" and rotation["resource"]["name"] == HOSTILE
    assert rotation["requirements"]["pci-dss-4.0.1"] == ["3.7.4.b"]
    assert sum(doc["summary"].values()) == len(doc["results"])
    assert doc["errors"][0]["code"] == "AccessDenied"
    listing = [r for r in results_doc.results(doc) if r["resource"]["uid"] == "aws://111/eu-west-2/s3"]
    assert listing and {r["status"] for r in listing} == {"error"}
    assert doc["framework"]["id"] == "pci-dss-4.0.1"


def test_requirements_carry_outcomes_down_to_testing_procedures() -> None:
    """Never a bare pass: an outcome, each procedure's with its methods, and the reason for N/A."""
    doc = json.loads(render(evaluation()))
    requirements = {q["id"]: q for q in doc["requirements"]}
    rotation = requirements["3.7.4"]
    assert rotation["outcome"] == "not_in_place" and "status" not in rotation
    assert [(p["id"], p["outcome"]) for p in rotation["procedures"]] == [
        ("3.7.4.a", "not_evidenced"),
        ("3.7.4.b", "not_in_place"),
    ]
    assert rotation["procedures"][0]["methods"] == ["documentation"]
    outcomes = {q["outcome"] for q in doc["requirements"]}
    assert outcomes <= {
        "not_in_place",
        "incomplete",
        "automated_checks_pass",
        "in_place_automated",
        "not_applicable",
        "manual",
    }
    for q in doc["requirements"]:
        if q["outcome"] == "not_applicable":
            assert "the assessor confirms" in q["reason"], q["id"]


def test_the_other_frameworks_asked_for_follow_from_the_same_results() -> None:
    ev = evaluate_snapshot(kms_snapshot(), load_catalog(), Config(), ("pci-dss-4.0.1", "pci-dss-3.2.1"))
    doc = json.loads(render(ev))
    assert doc["framework"] == {"id": "pci-dss-4.0.1", "title": "PCI DSS v4.0.1"}
    (other,) = doc["also"]
    assert other["framework"]["id"] == "pci-dss-3.2.1" and other["framework"]["retired"] == "2024-03-31"
    assert {q["id"] for q in other["requirements"]} >= {"3.6.4", "A1.1"}


def test_evidence_is_written_once_per_resource_unless_two_results_disagree() -> None:
    """Two controls showing the same attribute of one resource name its path; a result whose value at a path
    differs from the resource's (the engine never makes one, a custom pipeline might) keeps its own mapping,
    so resolving gives every result exactly its own evidence back."""
    ev = evaluation()
    first = next(r for r in ev.results if r.evidence)
    path = next(iter(first.evidence))
    same = dataclasses.replace(first, control=dataclasses.replace(first.control, id="zz-same"))
    other = dataclasses.replace(
        first, control=dataclasses.replace(first.control, id="zz-other"), evidence={path: "something else"}
    )
    catalog = ev.catalog.with_controls((same.control, other.control))
    ev = dataclasses.replace(ev, results=(*ev.results, same, other), catalog=catalog)
    doc = json.loads(render(ev))
    assert problem(doc) is None
    rows = {r["control"]: r for r in doc["results"] if r["resource"] == first.resource["uid"]}
    assert "evidence" not in rows["zz-same"]  # its control's paths, their values its resource's
    assert rows["zz-other"]["evidence"] == {path: "something else"}
    resolved = {r["control"]: r["evidence"] for r in results_doc.results(doc)}
    assert resolved["zz-same"] == json.loads(json.dumps(first.evidence))
    assert resolved["zz-other"] == {path: "something else"}


def test_a_long_value_several_resources_show_is_written_once() -> None:
    """The namespaces that may reach a workload, alike for every workload of a namespace: once in `values`,
    named by position from each resource; resolving gives each result its evidence back, and an edited
    position that names nothing is refused."""
    ev = evaluation()
    by_uid = {}
    for r in ev.results:
        by_uid.setdefault(str(r.resource["uid"]), r)
    one, two = list(by_uid.values())[:2]
    sources = [{"namespace": f"ns{n:04d}", "verdict": "allowed"} for n in range(50)]
    changed = {
        id(r): dataclasses.replace(r, evidence={"facts.ingress_sources": sources, "short": 1}) for r in (one, two)
    }
    ev = dataclasses.replace(ev, results=tuple(changed.get(id(r), r) for r in ev.results))
    text = render(ev)
    doc = json.loads(text)
    assert problem(doc) is None
    assert doc["values"][0] == sources and text.count('"ns0049"') == 1  # then other repeated values
    for r in (one, two):
        entry = doc["resources"][str(r.resource["uid"])]
        assert entry["evidence_shared"] == {"facts.ingress_sources": 0}
        assert entry["evidence"]["short"] == 1 and "facts.ingress_sources" not in entry["evidence"]
    resolved = [r for r in results_doc.results(doc) if r["id"] in (one.evidence_id, two.evidence_id)]
    assert [r["evidence"] for r in resolved] == [{"facts.ingress_sources": sources, "short": 1}] * 2
    assert all("evidence_shared" not in res for res in results_doc.resources(doc).values())
    doc["resources"][str(one.resource["uid"])]["evidence_shared"]["facts.ingress_sources"] = len(doc["values"])
    assert "evidence_shared names no entry of values" in (problem(doc) or "")

"""Long values several places of a results document show alike (messages, scope reasons, connected-to
links) are written once, in `values`, and named by position; a result leaves its control's evidence paths
to `controls`. Nothing is lost: every reader gets back what was written in place before, every renderer
writes the same bytes, documents written before (every value in place) still read, and an edited
reference that resolves to nothing is refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.catalog import load_catalog
from pcicheck.cli.main import main
from pcicheck.collect.k8s.manifests import manifest_snapshot
from pcicheck.config import Config
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.report import results_json
from pcicheck.report.formats import FORMATS, render
from pcicheck.report.results_shape import problem
from tests.support.results_v2_in_place import in_place

# Written by pcicheck before these names existed (its requirement trees emptied to keep the file small):
# four namespaces of Deployments, one of them CDE, so several workloads are connected to it alike.
BEFORE = Path(__file__).parents[2] / "fixtures" / "results" / "v2-before-shared-fields.json"


def _named(doc: dict[str, Any]) -> dict[str, int]:
    """How many entries of each table name a field by position, or leave their evidence paths unsaid."""
    return {
        "message_shared": sum("message_shared" in r for r in doc["results"]),
        "evidence unsaid": sum("evidence" not in r for r in doc["results"]),
        "scope_reason_shared": sum("scope_reason_shared" in r for r in doc["resources"].values()),
        "links_shared": sum("links_shared" in c for c in doc["connected_to"]),
    }


def test_every_reader_gets_back_what_was_written_in_place(estate_v2: dict[str, Any]) -> None:
    """The demo estate (AWS and Kubernetes) uses every name; the same document with each value in place
    resolves to the same results, resources and connected-to systems, and renders to the same bytes."""
    assert all(_named(estate_v2).values()), _named(estate_v2)
    before = in_place(estate_v2)
    assert not any(_named(before).values())
    assert problem(estate_v2) is None and problem(before) is None
    assert list(results_doc.results(estate_v2)) == list(results_doc.results(before))
    assert results_doc.resources(estate_v2) == results_doc.resources(before)
    assert results_doc.connected_to(estate_v2) == before["connected_to"] != []
    for name in FORMATS:
        assert render(name, estate_v2) == render(name, before), name


def k8s_estate(tmp_path: Path) -> Any:
    """Ten namespaces of workloads open to every namespace, one CDE namespace: every workload outside the
    CDE is connected to it by the same links, and fails the CDE controls with the same long message."""
    docs: list[dict[str, Any]] = []
    for n in range(10):
        ns = f"ns{n}"
        labels = {"pci-scope": "cde"} if n == 2 else {}
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
        for i in range(3):
            container = {"name": "main", "image": f"registry.example.com/app{i}:1"}
            docs.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": f"app{i}", "namespace": ns, "labels": {"app": f"app{i}"}},
                    "spec": {
                        "selector": {"matchLabels": {"app": f"app{i}"}},
                        "template": {"metadata": {"labels": {"app": f"app{i}"}}, "spec": {"containers": [container]}},
                    },
                }
            )
    path = tmp_path / "estate.yaml"
    path.write_text("".join("---\n" + json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    snap, _ = manifest_snapshot([path])
    return evaluate_snapshot(snap, load_catalog(), Config(), "pci-dss-4.0.1")


def test_connected_to_links_and_long_messages_are_written_once(tmp_path: Path) -> None:
    ev = k8s_estate(tmp_path)
    text = results_json.render(ev)
    doc = json.loads(text)
    assert problem(doc) is None
    connected = json.loads(json.dumps(ev.estate.connected_to(ev.config.scope.cde_tag)))
    assert len(connected) == 27 and len({json.dumps(c["links"]) for c in connected}) == 1
    assert results_doc.connected_to(doc) == connected
    (links,) = {c["links_shared"] for c in doc["connected_to"]}
    assert doc["values"][links] == connected[0]["links"]
    compact = json.dumps(connected[0]["links"], ensure_ascii=False, separators=(",", ":"))
    assert text.count(compact) == 1  # written once, in values, and named by position
    written = [r.message for r in ev.results]
    assert [r["message"] for r in results_doc.results(doc)] == written
    long = max(written, key=len)
    assert len(long) > 100 and written.count(long) > 1 and text.count(json.dumps(long)[1:-1]) == 1
    assert [r["evidence"] for r in results_doc.results(doc)] == json.loads(json.dumps([r.evidence for r in ev.results]))


def test_a_document_written_before_still_reads() -> None:
    """Every value in place, as pcicheck wrote v2 before: read as it was written."""
    doc = json.loads(BEFORE.read_text(encoding="utf-8"))
    assert problem(doc) is None
    assert not any(_named(doc).values()) and doc["values"]  # evidence values were already shared
    assert results_doc.connected_to(doc) == doc["connected_to"] != []
    rows = list(results_doc.results(doc))
    assert [r["message"] for r in rows] == [r["message"] for r in doc["results"]]
    assert all(isinstance(r["evidence"], dict) for r in rows)
    shared = next(r for r in rows if "facts.ingress_sources" in r["evidence"])
    assert shared["evidence"]["facts.ingress_sources"] in doc["values"]
    assert shared["resource"]["scope_reason"] == doc["resources"][shared["resource"]["uid"]]["scope_reason"]
    for name in FORMATS.keys() - {"asff"}:  # Security Hub findings need an AWS account; this scan had none
        assert render(name, doc)


def _first(doc: dict[str, Any], table: str, key: str) -> dict[str, Any]:
    entries = doc[table].values() if table == "resources" else doc[table]
    return next(e for e in entries if key in e)


def _dangling(doc: dict[str, Any], table: str, key: str) -> None:
    _first(doc, table, key)[key] = len(doc["values"])


def _not_text(doc: dict[str, Any], table: str, key: str) -> None:
    _first(doc, table, key)[key] = next(i for i, v in enumerate(doc["values"]) if not isinstance(v, str))


def _text(doc: dict[str, Any], table: str, key: str) -> None:
    _first(doc, table, key)[key] = next(i for i, v in enumerate(doc["values"]) if isinstance(v, str))


def _both(doc: dict[str, Any], table: str, key: str) -> None:
    _first(doc, table, key)[key.removesuffix("_shared")] = "in place too"


def _not_a_position(doc: dict[str, Any], table: str, key: str) -> None:
    _first(doc, table, key)[key] = "0"


def _no_message(doc: dict[str, Any], table: str, key: str) -> None:
    entry = _first(doc, table, key)
    del entry[key]


def _unheld_paths(doc: dict[str, Any], table: str, key: str) -> None:
    r = next(r for r in doc["results"] if "evidence" not in r and r["status"] == "pass")
    res = doc["resources"][r["resource"]]
    res.pop("evidence", None)
    res.pop("evidence_shared", None)


REFUSALS = {
    "a dangling message": (_dangling, "results", "message_shared", "message_shared names no entry of values"),
    "a message that is not text": (_not_text, "results", "message_shared", "cannot be its message: values["),
    "a message twice": (_both, "results", "message_shared", "holds both message and message_shared"),
    "no message": (_no_message, "results", "message_shared", "].message is missing"),
    "a position that is not one": (_not_a_position, "results", "message_shared", "message_shared must be int"),
    "dangling links": (_dangling, "connected_to", "links_shared", "links_shared names no entry of values"),
    "links that are not a list": (_text, "connected_to", "links_shared", "cannot be its links: values["),
    "a dangling scope reason": (
        _dangling,
        "resources",
        "scope_reason_shared",
        "scope_reason_shared names no entry of values",
    ),
    "control paths its resource does not hold": (
        _unheld_paths,
        "results",
        "",
        "evidence (its control's paths) names a path its resource's evidence does not hold",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_an_edited_reference_is_refused(estate_v2: dict[str, Any], case: str) -> None:
    edit, table, key, expected = REFUSALS[case]
    doc = copy.deepcopy(estate_v2)
    edit(doc, table, key)
    assert expected in (problem(doc) or ""), problem(doc)


def test_the_cli_refuses_a_dangling_reference_in_one_line(
    estate_v2: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(estate_v2)
    _dangling(doc, "connected_to", "links_shared")
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code = main(["report", str(path), "--out", str(tmp_path / "pack")])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "pack").exists()
    (line,) = [ln for ln in err.splitlines() if ln.strip()]
    assert str(path) in line and "connected_to[" in line and "links_shared names no entry of values" in line


def test_diff_across_the_two_spellings_finds_nothing_changed(
    estate_v2: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A baseline written with every value in place against the same scan written now: the same findings."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(in_place(estate_v2)), encoding="utf-8")
    new.write_text(json.dumps(estate_v2), encoding="utf-8")
    capsys.readouterr()
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    findings = sum(r["status"] in ("fail", "error") for r in results_doc.results(estate_v2))
    assert d["new"] == [] and d["fixed"] == [] and len(d["unchanged"]) == findings > 0
    assert main(["diff", str(BEFORE), str(BEFORE), "--format", "json"]) == 0  # one written before, read
    d = json.loads(capsys.readouterr().out)
    assert d["new"] == [] and d["fixed"] == [] and d["unchanged"]

"""Class 11 (the parts outside Kubernetes objects, waivers and packs): "internal error" where the user
needed file:line and a fix — an unwritable --output/--out/--snapshot, a negative or non-numeric
PCICHECK_AWS_READ_TIMEOUT, wrongly shaped snapshots and results documents, and snapshot records no analyzer
can read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcicheck.snapshot import to_document, write_snapshot
from tests.hostile.bounded import one_error_line, run_capped
from tests.support.results_v1 import as_v1
from tests.test_snapshot import SNAP


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A path whose folder is a file: unwritable even for root."""
    (tmp_path / "file").write_text("x")
    return tmp_path / "file"


@pytest.mark.parametrize(
    ("flags", "what"),
    [
        (["-o", "{b}/r.json"], "the results"),
        (["--format", "sarif", "-o", "{b}/r.sarif"], "the sarif output"),
        (["--snapshot", "{b}/s.json.gz"], "the snapshot"),
        (["--out", "{b}/pack"], ""),
    ],
)
def test_an_unwritable_output_names_the_path(manifests: Path, blocked: Path, flags: list[str], what: str) -> None:
    argv = [f.format(b=blocked) for f in flags]
    line = one_error_line(run_capped("scan", "--manifests", str(manifests), "-q", *argv))
    assert (str(blocked) in line and "is a file, not a folder" in line) or "Not a directory" in line, line
    if what:
        assert f"cannot write {what}" in line


@pytest.mark.parametrize("value", ["-5", "abc", "nan", "inf", "0"])
def test_a_bad_aws_timeout_is_one_line(value: str) -> None:
    line = one_error_line(run_capped("scan", "--aws", "-q", env={"PCICHECK_AWS_READ_TIMEOUT": value}))
    assert f"PCICHECK_AWS_READ_TIMEOUT='{value}' is not a number of at least 0.1" in line


def _snapshot_file(tmp_path: Path, **changes: object) -> Path:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({**to_document(SNAP), **changes}))
    return path


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"resources": [{"uid": "u", "type": "aws.kms.key", "provider": "aws", "attributes": {"aliases": "x"}}]},
         "attributes"),
        ({"resources": [{"uid": 5, "type": "aws.kms.key", "provider": "aws"}]}, "uid is int, not text"),
        ({"resources": [{"uid": "u", "type": "aws.nope", "provider": "aws"}]}, "type aws.nope is not declared"),
        ({"errors": [{"provider": "aws", "service": ["kms"]}]}, "collection error"),
        ({"identity": {"aws": 1}}, "'identity.aws' must be a mapping"),
        ({"request": {"providers": ["aws"], "aws": {"regions": "us-east-1"}}}, "'request.aws.regions' must be a list"),
    ],
)  # fmt: skip
def test_a_wrongly_shaped_snapshot_is_one_line(tmp_path: Path, changes: dict[str, object], expected: str) -> None:
    line = one_error_line(run_capped("evaluate", str(_snapshot_file(tmp_path, **changes)), "-q"))
    assert expected in line


def _v2_resource_not_text(doc: dict[str, Any]) -> None:
    doc["results"][0]["resource"] = ["not", "a", "uid"]


def _v2_dangling_resource(doc: dict[str, Any]) -> None:
    doc["results"][0]["resource"] = "arn:aws:kms:eu-west-1:1:key/not-in-resources"


def _v2_dangling_control(doc: dict[str, Any]) -> None:
    doc["results"][0]["control"] = "no-such-control"


def _v2_tags_not_a_mapping(doc: dict[str, Any]) -> None:
    doc["resources"][doc["results"][0]["resource"]]["tags"] = ["a", "b"]


def _v1_resource_not_a_mapping(doc: dict[str, Any]) -> None:
    v1 = as_v1(doc)
    doc.clear()
    doc.update(v1)
    doc["results"][0]["resource"] = ["not", "a", "mapping"]


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_v2_resource_not_text, "results[0].resource must be text"),
        (_v2_dangling_resource, "results[0].resource names no entry of resources"),
        (_v2_dangling_control, "results[0].control names no entry of controls"),
        (_v2_tags_not_a_mapping, ".tags must be a mapping"),
        (_v1_resource_not_a_mapping, "results[0].resource must be a mapping"),
    ],
)
def test_a_wrongly_shaped_results_document_is_one_line(
    tmp_path: Path, spoil: Callable[[dict[str, Any]], None], expected: str
) -> None:
    write_snapshot(SNAP, tmp_path / "s.json")
    ran = run_capped("evaluate", str(tmp_path / "s.json"), "-q", "-o", str(tmp_path / "r.json"))
    assert ran.code in (0, 1, 3), ran.err
    doc = json.loads((tmp_path / "r.json").read_text())
    spoil(doc)
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    for argv in (["diff", str(tmp_path / "r.json"), str(tmp_path / "bad.json")],
                 ["report", str(tmp_path / "bad.json"), "--out", str(tmp_path / "pack"), "-q"],
                 ["evaluate", str(tmp_path / "s.json"), "-q", "--baseline", str(tmp_path / "bad.json")]):  # fmt: skip
        line = one_error_line(run_capped(*argv))
        assert "results document is malformed: " in line and expected in line


@pytest.mark.parametrize(
    "argv",
    [["evaluate", "S", "-q"], ["segmentation", "plan", "--snapshot", "S", "-q"],
     ["segmentation", "matrix", "--snapshot", "S", "-q"], ["segmentation", "exposure", "--snapshot", "S", "-q"]],
)  # fmt: skip
def test_a_snapshot_record_no_analyzer_can_read_is_one_line(tmp_path: Path, argv: list[str]) -> None:
    """Each attribute keeps its declared kind (a list), but its items have no shape an analyzer can read."""
    from tests.hostile.test_fuzz_manifests import K8S_SNAPSHOT

    doc = json.loads(json.dumps(K8S_SNAPSHOT))
    pod = next(r for r in doc["resources"] if r["type"] == "k8s.pod")
    pod["attributes"]["ports"] = [{}]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    line = one_error_line(run_capped(*(str(path) if a == "S" else a for a in argv)))
    assert f"{path}: snapshot holds a record pcicheck cannot judge" in line

"""Class 15 (manifest part): a folder with a kustomization.yaml, a Helm Chart.yaml or values.yaml (YAML that is
not a Kubernetes object, or of a kind pcicheck does not read, often without metadata.name) aborted the
scan with exit 2. Such documents are now listed as not evaluated, like unknown kinds; an object of a kind
pcicheck reads that lacks its name is still an error (fail closed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.collect.k8s.kinds import BY_KIND

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example.com/web:1, securityContext: {privileged: true}}]
"""
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources: [deployment.yaml]
"""
COMPONENT = """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches: [{path: patch.yaml}]
"""
CHART = "apiVersion: v2\nname: web\nversion: 1.0.0\n"
VALUES = "replicaCount: 2\nimage: {repository: nginx, tag: '1.25'}\n"


def scan(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, dict[str, object]]:
    out = folder.parent / "results.json"
    code = main(["scan", "--manifests", str(folder), "--format", "json", "-o", str(out)])
    err = capsys.readouterr().err
    return code, err, json.loads(out.read_text()) if out.exists() else {}


def folder_with(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_kustomization_beside_its_resources_is_listed_and_the_resources_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The hostile input: a Kustomization has no metadata.name, which used to abort the whole scan.
    kustomization = yaml.safe_load(KUSTOMIZATION)
    assert "metadata" not in kustomization and kustomization["kind"] not in BY_KIND
    folder = folder_with(tmp_path, {"kustomization.yaml": KUSTOMIZATION, "deployment.yaml": DEPLOYMENT})
    code, err, doc = scan(folder, capsys)
    assert code == 1, err  # the privileged Deployment beside it is judged, and fails
    assert "not evaluated, kinds pcicheck does not know: Kustomization (1)" in err
    snapshot = doc["snapshot"]
    assert isinstance(snapshot, dict)
    assert snapshot["request"]["manifests"]["skipped_kinds"] == {"Kustomization": 1}
    failed = {(r["control"], r["status"]) for r in results_doc.results(doc)}  # type: ignore[attr-defined]
    assert ("k8s-workload-no-privileged", "fail") in failed


def test_helm_chart_files_are_not_kubernetes_objects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "kind" not in yaml.safe_load(CHART) and "kind" not in yaml.safe_load(VALUES)
    folder = folder_with(
        tmp_path,
        {"Chart.yaml": CHART, "values.yaml": VALUES, "rendered.yaml": DEPLOYMENT, "component.yaml": COMPONENT},
    )
    code, err, doc = scan(folder, capsys)
    assert code == 1, err
    assert "Component (1), not a Kubernetes object (2)" in err
    snapshot = doc["snapshot"]
    assert isinstance(snapshot, dict)
    assert snapshot["request"]["manifests"]["skipped_kinds"] == {"Component": 1, "not a Kubernetes object": 2}


@pytest.mark.parametrize(
    ("case", "text", "line", "message"),
    [
        (
            "known kind without a name",
            "apiVersion: v1\nkind: Pod\nmetadata: {namespace: a}\n",
            1,
            "Pod has no metadata",
        ),
        ("known kind, empty name", "apiVersion: v1\nkind: Pod\nmetadata: {name: ''}\n", 1, "Pod has no metadata.name"),
        ("an object that lost its kind", "apiVersion: v1\nmetadata: {name: x}\nspec: {}\n", 1, "object has no 'kind'"),
        ("kind as a list", "apiVersion: v1\nkind: [Pod]\nmetadata: {name: x}\n", 2, "kind: expected a kind name"),
        ("a List whose items are not a list", "apiVersion: v1\nkind: List\nitems: pods\n", 3, "items: expected a list"),
    ],
)
def test_broken_kubernetes_objects_still_fail_closed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, text: str, line: int, message: str
) -> None:
    folder = folder_with(tmp_path, {"kustomization.yaml": KUSTOMIZATION, "deployment.yaml": DEPLOYMENT, "x.yaml": text})
    code, err, _ = scan(folder, capsys)
    assert code == 2, err
    assert f"{folder / 'x.yaml'}:{line}: {message}" in err, err

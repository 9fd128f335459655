"""Class 15 (the YAML part) and class 11 (dates, nesting): real files users have are read as kubectl reads
them, and what cannot be read is one line with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pcicheck.errors import InputError
from pcicheck.yamlfile import MAX_DEPTH, MAX_OBJECT_BYTES, load_documents
from tests.hostile.bounded import one_error_line, run_capped

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n"


def test_a_tab_before_a_comment_is_valid_yaml(tmp_path: Path) -> None:
    """kubectl (go-yaml) and libyaml accept it; PyYAML's pure-Python scanner refused it."""
    path = tmp_path / "pod.yaml"
    path.write_text(POD + "spec:\n  containers:\n  - name: c\t# the app\n    image: nginx\t# pinned below\n")
    [doc] = load_documents(path)
    assert doc["spec"]["containers"] == [{"name": "c", "image": "nginx"}]


def test_an_impossible_date_in_an_annotation_is_text(tmp_path: Path) -> None:
    """`release-date: 2027-02-30` is a string to kubectl (Kubernetes has no timestamp type in YAML);
    PyYAML's YAML 1.1 resolver raised ValueError and the file could not be scanned at all."""
    (tmp_path / "pod.yaml").write_text(
        POD + "  annotations:\n    release-date: 2027-02-30\n    built: 2027-02-28\n"
        "spec:\n  containers: [{name: c, image: nginx}]\n"
    )
    [doc] = load_documents(tmp_path / "pod.yaml")
    assert doc["metadata"]["annotations"] == {"release-date": "2027-02-30", "built": "2027-02-28"}
    ran = run_capped("scan", "--manifests", str(tmp_path), "-q")
    assert ran.code in (0, 1) and "error" not in ran.err, ran.err


def test_deep_nesting_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(POD + "  labels: {a: " + "[" * 5000 + "]" * 5000 + "}\n")
    with pytest.raises(InputError, match=f"nested more than {MAX_DEPTH} levels deep") as info:
        load_documents(path)
    assert info.value.line == 6


def test_deep_nesting_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("a:\n" + "".join("  " * i + "- \n" for i in range(1, 3000)))
    line = one_error_line(run_capped("scan", "--manifests", str(tmp_path), "-q"))
    assert "deep.yaml:" in line and "levels deep" in line


def _dump(count: int, env: int = 20) -> str:
    """`kubectl get -A -o yaml` of `count` Deployments: one List document."""
    items = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"app-{i}", "namespace": f"ns-{i % 40}", "labels": {"app": f"app-{i}"}},
            "spec": {
                "selector": {"matchLabels": {"app": f"app-{i}"}},
                "template": {
                    "metadata": {"labels": {"app": f"app-{i}"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": f"registry.example.com/app-{i}:1.{i}",
                                "env": [{"name": f"VAR_{j}", "value": f"value-{j}"} for j in range(env)],
                            }
                        ]
                    },
                },
            },
        }
        for i in range(count)
    ]
    return yaml.dump({"apiVersion": "v1", "kind": "List", "items": items}, Dumper=yaml.CSafeDumper)


def test_a_cluster_dump_over_5_mib_is_read(tmp_path: Path) -> None:
    """The old 5 MiB file cap refused a mid-size cluster's dump; the cap is now per object."""
    path = tmp_path / "cluster.yaml"
    path.write_text(_dump(1000, env=120))  # few, large objects: the size is the point, not the count
    assert path.stat().st_size > 5 * 1024 * 1024
    ran = run_capped("scan", "--manifests", str(path), "-q")
    assert ran.code in (0, 1), ran.err


def test_one_object_over_the_cap_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    huge = "x" * (MAX_OBJECT_BYTES + 10)
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
        f"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: b}}\n  data: {{blob: {huge}}}\n"
    )
    with pytest.raises(InputError, match="one object is larger than 3 MiB") as info:
        load_documents(path)
    assert info.value.line == 5

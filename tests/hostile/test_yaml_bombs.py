"""Class 1: YAML alias expansion ("billion laughs") in every YAML input an attacker or a pull request can
reach — a manifest's labels or image, control params, pcicheck.yaml params, a waiver's resource tags.
Before: 8.3 GB and an abort after 47 s, or a MemoryError after 71 s. Now: exit 2 naming file:line,
inside a 1.5 GiB address-space cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcicheck.errors import InputError
from pcicheck.yamlfile import ALIAS_BUDGET, load_documents
from tests.hostile.bounded import one_error_line, run_capped


def laughs(indent: str, levels: int = 9) -> str:
    """A flow mapping of `levels` anchors, each nine aliases of the one before: 9**levels leaves."""
    parts = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        parts.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    return indent + "{" + ", ".join(parts) + "}"


def test_the_bomb_is_small_and_would_be_huge() -> None:
    text = laughs("")
    assert len(text) < 700
    assert 1000 * ALIAS_BUDGET < 9**9


def _manifest_with_bomb_in_labels() -> str:
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n"
        f"  labels: {laughs('')}\nspec:\n  containers: [{{name: c, image: nginx}}]\n"
    )


def test_manifest_alias_bomb_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(_manifest_with_bomb_in_labels())
    line = one_error_line(run_capped("scan", "--manifests", str(tmp_path), "-q"))
    assert f"{tmp_path / 'pod.yaml'}:6: YAML aliases repeat more than" in line


def test_bomb_in_an_image_name(tmp_path: Path) -> None:
    anchors = "\n".join(f"x-{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9))
    text = (
        f'x-0: &a0 ["{"A" * 20}"]\n{anchors}\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: n}}\n'
        "spec:\n  containers: [{name: c, image: *a8}]\n"
    )
    (tmp_path / "pod.yaml").write_text(text)
    line = one_error_line(run_capped("scan", "--manifests", str(tmp_path / "pod.yaml"), "-q"))
    assert "YAML aliases repeat more than" in line and "pod.yaml:" in line


def test_bomb_in_pcicheck_yaml_params(tmp_path: Path) -> None:
    config = tmp_path / "pcicheck.yaml"
    config.write_text(f"params:\n  aws-kms-key-rotation-enabled: {laughs('')}\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    line = one_error_line(run_capped("scan", "--manifests", str(tmp_path / "m"), "--config", str(config), "-q"))
    assert f"{config}:2: YAML aliases repeat more than" in line


def test_bomb_in_control_params(tmp_path: Path) -> None:
    controls = tmp_path / "controls"
    controls.mkdir()
    (controls / "mine.yaml").write_text(
        "id: my-ns-labelled\ntitle: t\ndomain: segmentation\nseverity: low\nresource: k8s.namespace\nscope: all\n"
        f"assert: 'true'\nparams: {laughs('')}\nrequirements: {{pci-dss-4.0.1: ['1.2.1']}}\n"
    )
    line = one_error_line(run_capped("controls", "validate", str(controls)))
    assert f"{controls / 'mine.yaml'}:8: YAML aliases repeat more than" in line


def test_bomb_in_waiver_tags(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - id: W-1\n    control: aws-*\n"
        f"    resource: {{tags: {laughs('')}}}\n"
        "    justification: j\n    approved_by: risk owner\n    expires: 2099-01-01\n"
    )
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    line = one_error_line(run_capped("scan", "--manifests", str(tmp_path / "m"), "--waivers", str(waivers), "-q"))
    assert f"{waivers}:" in line and "YAML aliases repeat more than" in line


def test_bomb_spread_over_many_keys_counts_for_the_document(tmp_path: Path) -> None:
    """Each key under the budget, the document over it: the budget is the document's."""
    big = "[" + ",".join(["[" + ",".join(["[" + ",".join(["x"] * 9) + "]"] * 9) + "]"] * 9) + "]"
    path = tmp_path / "spread.yaml"
    path.write_text(f"e: &e {big}\n" + "".join(f"k{i}: *e\n" for i in range(200)))
    with pytest.raises(InputError, match="YAML aliases repeat more than"):
        load_documents(path)


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(InputError, match="recursive structure") as info:
        load_documents(path)
    assert info.value.line == 1


def test_ordinary_anchors_still_work(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("base: &b {x: 1, y: [1, 2]}\nuse:\n  <<: *b\n  z: 3\nagain: *b\n")
    [doc] = load_documents(path)
    assert doc["use"] == {"x": 1, "y": [1, 2], "z": 3} and doc["again"] == {"x": 1, "y": [1, 2]}

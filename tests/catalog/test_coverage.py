"""`pcicheck controls coverage`: controls counted by domain and by principal requirement, and the
testable requirements no control maps to, worked out by hand on a small catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcicheck.catalog import load_catalog
from pcicheck.catalog_coverage import catalog_coverage
from pcicheck.cli import main
from tests.catalog.test_loader import GOOD


def _write(tmp_path: Path, control_id: str, domain: str, v401: list[str]) -> None:
    text = (
        GOOD.replace("my-key-rotation", control_id)
        .replace("key-management", domain)
        .replace('pci-dss-4.0.1: ["3.7.4.b"]', f"pci-dss-4.0.1: {json.dumps(v401)}")
    )
    (tmp_path / f"{control_id}.yaml").write_text(text)


def test_counts_worked_by_hand(tmp_path: Path) -> None:
    _write(tmp_path, "a-rotation", "key-management", ["3.7.4.b"])
    _write(tmp_path, "b-rotation", "key-management", ["3.7.4.b", "3.6.1.3"])
    _write(tmp_path, "c-logs", "logging", ["10.2.1", "10.2.1.1"])
    catalog = load_catalog([tmp_path], builtin=False)
    coverage = catalog_coverage(catalog.controls, catalog.framework("pci-dss-4.0.1"))

    assert coverage.by_domain["key-management"] == {"aws": 2, "k8s": 0}
    assert coverage.by_domain["logging"] == {"aws": 1, "k8s": 0}
    assert sum(sum(v.values()) for v in coverage.by_domain.values()) == 3
    rows = {row.id: row for row in coverage.principals}
    # Two controls touch requirement 3 (one of them twice, counted once), one touches 10.
    assert (rows["3"].controls, rows["10"].controls, rows["1"].controls) == (2, 1, 0)
    assert rows["3"].covered == 2  # 3.6.1.3 and 3.7.4
    # 3.6.1.3 examines configuration; 3.7.4.b does not (interview, documentation, observe).
    assert rows["3"].procedures_covered == 1 and rows["3"].procedures > 1
    assert rows["10"].procedures_covered == 2
    assert rows["10"].covered == 2  # 10.2.1 (a requirement with sub-requirements) and 10.2.1.1
    framework = catalog.framework("pci-dss-4.0.1")
    # Headings ("3.7") and manual requirements are not counted as testable; everything else is.
    assert "3.7" not in coverage.uncovered and "3.7.4" not in coverage.uncovered
    assert all(not framework.requirements[r].manual for r in coverage.uncovered)
    assert "3.7.2" in coverage.uncovered or framework.requirements["3.7.2"].manual
    total = sum(row.testable for row in coverage.principals)
    assert total == len(coverage.uncovered) + sum(row.covered for row in coverage.principals)


def test_builtin_catalog_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "coverage", "--format", "json", "--framework", "pci-dss-3.2.1"]) == 0
    data = json.loads(capsys.readouterr().out)
    catalog = load_catalog()
    assert data["framework"] == "pci-dss-3.2.1"
    assert sum(sum(v.values()) for v in data["by_domain"].values()) == len(catalog.controls)
    mapped = {r for c in catalog.controls for r in c.requirements["pci-dss-3.2.1"]}
    assert not mapped & set(data["uncovered_testable_requirements"])
    assert {row["id"] for row in data["by_requirement"]} >= {"1", "3", "10", "A1"}


def test_a_mapped_parent_counts_though_its_children_are_manual(tmp_path: Path) -> None:
    # PCI DSS 3.2.1 4.1 is a requirement of its own; its only child (4.1.1, wireless) is manual, so the
    # framework loader derives manual for 4.1 too. A control mapped to it still makes it testable.
    (tmp_path / "tls.yaml").write_text(GOOD.replace("my-key-rotation", "tls").replace('["3.6.4.b"]', '["4.1.d"]'))
    catalog = load_catalog([tmp_path], builtin=False)
    framework = catalog.framework("pci-dss-3.2.1")
    assert framework.requirements["4.1"].manual
    rows = {row.id: row for row in catalog_coverage(catalog.controls, framework).principals}
    assert (rows["4"].controls, rows["4"].covered, rows["4"].testable) == (1, 1, 1)

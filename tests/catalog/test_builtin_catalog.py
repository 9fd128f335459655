"""Meta-tests over the whole shipped catalog: every control is complete, mapped and proven by its cases."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from pcicheck import paths
from pcicheck.catalog import load_catalog
from pcicheck.evaluate.controltests import run_control_tests
from pcicheck.model import BASIS_SOURCES, DOMAINS, FRAMEWORKS, Status

CATALOG = load_catalog()


def test_catalog_size_and_spread() -> None:
    aws = [c for c in CATALOG.controls if c.resource.startswith("aws.")]
    assert len(aws) >= 35
    domains = Counter(c.domain for c in aws)
    for domain in (
        "encryption-at-rest",
        "key-management",
        "segmentation",
        "perimeter-auth",
        "identity-access",
        "logging",
        "tenant-isolation",
    ):
        assert domains[domain] >= 1, domain
    assert set(domains) <= set(DOMAINS)


@pytest.mark.parametrize("control", CATALOG.controls, ids=lambda c: c.id)
def test_control_cases(control) -> None:
    outcomes = run_control_tests([control])
    wrong = [
        f"{o.case.name}: expected {o.case.expect.value}, got {o.status.value} ({o.message})"
        for o in outcomes
        if not o.ok
    ]
    assert not wrong
    assert {Status.PASS, Status.FAIL} <= {o.status for o in outcomes}


def test_every_control_maps_both_frameworks_to_known_testing_procedures() -> None:
    for c in CATALOG.controls:
        for fw in FRAMEWORKS:
            framework = CATALOG.frameworks[fw]
            assert c.requirements[fw], (c.id, fw)
            for pid in c.requirements[fw]:
                known = framework.procedures if framework.procedures else framework.requirements
                assert pid in known, (c.id, fw, pid)


def test_every_requirement_without_children_has_its_testing_procedures() -> None:
    for fw in CATALOG.frameworks.values():
        if not fw.procedures:
            continue
        leaves = [r.id for r in fw.requirements.values() if not r.children and not r.procedures]
        assert leaves == [], fw.id
        assert len(fw.procedures) > 250, fw.id


def test_frameworks_list_manual_requirements() -> None:
    for fw in CATALOG.frameworks.values():
        manual = [r for r in fw.requirements.values() if r.manual]
        assert manual, fw.id
        assert {"1", "3", "8", "10", "12"} <= set(fw.requirements), fw.id


def _declared(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_every_control_and_mapping_entry_declares_its_basis_for_both_frameworks() -> None:
    """The basis is written down, not defaulted: an omitted framework would read `inferred` silently."""
    entries = [(str(c.path), _declared(Path(c.path))) for c in CATALOG.controls if c.path.endswith(".yaml")]
    mapping = _declared(paths.controls_dir() / "checkov" / "mapping.yaml")
    entries += [("guard", mapping["guard"])] + [(e["checkov"], e) for e in mapping["checks"]]
    for where, doc in entries:
        basis = doc.get("basis") or {}
        assert set(basis) == set(FRAMEWORKS), where
        for entry in basis.values():
            assert entry["source"] in BASIS_SOURCES, where
            assert entry["source"] == "inferred" or entry.get("ref"), where


def test_a_control_with_a_filter_says_what_it_applies_to() -> None:
    """Not applicable reads 'it judges only …', never 'where is false'."""
    for c in CATALOG.controls:
        assert bool(c.applies_to) == (c.where.strip() != "true"), c.id

"""The AWS tier-1 coverage table (tier1_coverage.yaml) stays complete and true: every tier-1 check of
the research table is listed once, each answer names built-in controls that exist (for an AWS
resource type) or says why the check is not covered."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from pcicheck.catalog import load_catalog

HERE = Path(__file__).parent


def _tier1() -> list[str]:
    with (HERE / "tier1_checks.csv").open(newline="") as f:
        return [row["check_id"] for row in csv.DictReader(f) if row["tier"] == "1"]


def _coverage() -> dict[str, dict[str, object]]:
    return yaml.safe_load((HERE / "tier1_coverage.yaml").read_text())


def test_every_tier1_check_is_listed_once() -> None:
    checks = _tier1()
    assert len(checks) == len(set(checks)) == 89
    assert set(_coverage()) == set(checks)


def test_each_entry_names_real_controls_or_a_reason() -> None:
    controls = {c.id: c for c in load_catalog().controls}
    for check, entry in _coverage().items():
        assert set(entry) <= {"controls", "note", "not_covered"}, check
        if "not_covered" in entry:
            assert "controls" not in entry, check
            reason = entry["not_covered"]
            assert isinstance(reason, str) and len(reason) > 10 and reason != "pending", check
        else:
            ids = entry["controls"]
            assert isinstance(ids, list) and ids, check
            for control_id in ids:
                assert control_id in controls, (check, control_id)
                assert controls[control_id].resource.startswith("aws."), (check, control_id)


def test_coverage_numbers() -> None:
    # Counted so the README's figure has one source; raise it as checks gain controls.
    covered = [c for c, entry in _coverage().items() if "controls" in entry]
    assert len(covered) >= 86

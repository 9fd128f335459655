"""The Checkov-to-PCI DSS mapping: loads, is large enough, names real checks, and fails with file:line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pcicheck.catalog import load_catalog
from pcicheck.errors import InputError
from pcicheck.iac.checkov_env import CHECKOV_VERSION, venv_dir
from pcicheck.iac.mapping import control_id, load_mapping, mapping_path, pinned_checks, pinned_checks_path
from pcicheck.iac.runner import checkov_env


def test_builtin_mapping_loads_with_both_frameworks_for_every_check() -> None:
    mapping = load_mapping()
    assert len(mapping.checks) >= 60
    assert mapping.checkov_version == CHECKOV_VERSION
    for check_id, control in mapping.checks.items():
        assert control.id == control_id(check_id)
        assert set(control.requirements) == {"pci-dss-3.2.1", "pci-dss-4.0.1"}
        assert control.rationale and "\n" not in control.rationale
    assert {"CKV_AWS_3", "CKV_AWS_16", "CKV_AWS_19", "CKV_AWS_7", "CKV_AWS_24", "CKV_K8S_16", "CKV2_K8S_6"} <= set(
        mapping.checks
    )
    # the mapping's controls never collide with the catalog's
    assert not {c.id for c in mapping.controls()} & {c.id for c in load_catalog().controls}


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = mapping_path().read_text()
    assert old in text
    path = tmp_path / "mapping.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    severity: high\n", "    severity: urgent\n", "unknown severity 'urgent'"),
        (
            'pci-dss-4.0.1: ["3.7.4.b"]',
            'pci-dss-4.0.1: ["3.7.99"]',
            "unknown testing procedure '3.7.99' in pci-dss-4.0.1",
        ),
        ("  - checkov: CKV_AWS_8\n", "  - checkov: CKV_AWS_3\n", "CKV_AWS_3 is mapped twice"),
        ("  - checkov: CKV_AWS_8\n", "  - checkov: aws-8\n", "'checkov' must be a Checkov check id"),
        ("    domain: encryption-at-rest\n", "    domain: crypto\n", "unknown domain 'crypto'"),
        ("    frameworks: [terraform, cloudformation]\n", "    frameworks: [pulumi]\n", "'frameworks' must list"),
        ("  CKV_AWS_14: pwdsymbol", "  CKV_AWS_14: nope", "CKV_AWS_14: unknown exclusion reason 'nope'"),
        ("  CKV_AWS_14: pwdsymbol", "  CKV_AWS_3: pwdsymbol", "CKV_AWS_3 is both mapped (line"),
    ],
)
def test_mapping_errors_name_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    text = str(caught.value)
    assert message in text
    assert re.match(rf"^{re.escape(str(path))}:\d+: ", text)


def test_every_check_of_the_pinned_checkov_is_mapped_or_excluded() -> None:
    """The completeness rule: every AWS, Kubernetes and secrets check of the pinned release (its own listing,
    checked in as controls/checkov/checkov-checks.yaml) is mapped to PCI DSS or excluded with a reason, and
    the mapping names no check that release does not have, in no framework it does not have it in."""
    version, pinned = pinned_checks()
    assert version == CHECKOV_VERSION
    mapping = load_mapping()
    assert [c for c in pinned if not mapping.mentions(c)] == []
    own = {c for c in mapping.checks if c.startswith("CKV2_PCICHECK_")}
    assert sorted(set(mapping.checks) - own - set(pinned)) == []
    assert sorted(set(mapping.excluded) - set(pinned)) == []
    wrong = [f"{c} {fws}" for c, fws in mapping.frameworks.items() if c not in own and not set(fws) <= set(pinned[c])]
    assert wrong == []
    assert all(reason and "\n" not in reason for reason in mapping.excluded.values())


def test_a_check_neither_mapped_nor_excluded_fails_the_rule(tmp_path: Path) -> None:
    """The rule above can fail: a listing with one check the mapping does not mention is caught."""
    listing = tmp_path / "checks.yaml"
    listing.write_text(pinned_checks_path().read_text() + "  CKV_AWS_999999: [terraform]\n")
    _version, pinned = pinned_checks(listing)
    mapping = load_mapping()
    assert [c for c in pinned if not mapping.mentions(c)] == ["CKV_AWS_999999"]


def _listed(checkov: Path, env: dict[str, str], framework: str) -> dict[str, str]:
    out = subprocess.run(
        [str(checkov), "--list", "--framework", framework],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=300,
    ).stdout
    return {m: framework for m in re.findall(r"\|\s*(CKV2?_[A-Z0-9]+_\d+)\s*\|", out)}


def test_checked_in_list_is_the_pinned_checkovs_own(checkov_cache: Path) -> None:
    """controls/checkov/checkov-checks.yaml is exactly what `checkov --list` of the pinned release says (for
    AWS, Kubernetes, Terraform modules and secrets), so the completeness rule judges the real release."""
    checkov = venv_dir({"PCICHECK_CACHE": str(checkov_cache)}) / "bin" / "checkov"
    env = checkov_env({"PATH": "/usr/bin:/bin"}, str(checkov_cache))
    listed: dict[str, set[str]] = {}
    for framework in ("terraform", "cloudformation", "kubernetes", "secrets"):
        for check_id in _listed(checkov, env, framework):
            if framework != "terraform" or re.match(r"CKV2?_(AWS|K8S|TF)_", check_id):
                listed.setdefault(check_id, set()).add(framework)
    _version, pinned = pinned_checks()
    assert {c: set(f) for c, f in pinned.items()} == listed


# The PCI-relevant checks a differential run on public vulnerable corpora (TerraGoat, CfnGoat, KustomizeGoat)
# found failing but unmapped (issue 15), by the PCI DSS 4.0.1 requirement each evidences.
DIFFERENTIAL_GAPS = {
    "1.3.1": ["CKV_AWS_260"],
    "1.3.2": ["CKV_AWS_260", "CKV_AWS_382"],
    "1.4.4": ["CKV_AWS_87", "CKV_AWS_137", "CKV_AWS_167"],
    "2.2.6": ["CKV_K8S_25", "CKV_K8S_31"],
    "3.5.1": ["CKV_AWS_96", "CKV_AWS_106", "CKV_AWS_279", "CKV2_AWS_2"],
    "3.6.1": ["CKV2_AWS_64"],
    "4.2.1": ["CKV_AWS_376", "CKV_AWS_228", "CKV2_AWS_69"],
    "6.3.3": ["CKV_AWS_363"],
    "6.4.2": ["CKV2_AWS_28"],
    "7.2.1": ["CKV_AWS_283", "CKV_AWS_63", "CKV_AWS_32", "CKV_AWS_168", "CKV_AWS_387"],
    "7.2.2": [
        *("CKV2_AWS_40", "CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289"),
        *("CKV_AWS_290", "CKV_AWS_355", "CKV_AWS_356"),
    ],
    "7.2.5": ["CKV_AWS_60"],
    "8.3.6": ["CKV_AWS_11", "CKV_AWS_12", "CKV_AWS_15"],
    "10.2.1": [
        *("CKV_AWS_251", "CKV_AWS_324", "CKV_AWS_325", "CKV_AWS_71", "CKV_AWS_84", "CKV_AWS_317"),
        "CKV_AWS_101",
    ],
    "10.5.1": ["CKV_AWS_66"],
    "7.3.1": ["CKV_AWS_59", "CKV2_AWS_70"],  # API Gateway methods without authorization
}


@pytest.mark.parametrize(("requirement", "checks"), sorted(DIFFERENTIAL_GAPS.items()))
def test_checks_the_differential_run_found_unmapped_are_mapped(requirement: str, checks: list[str]) -> None:
    mapping = load_mapping()
    for check_id in checks:
        procedures = mapping.checks[check_id].requirements["pci-dss-4.0.1"]
        assert any(p == requirement or p.startswith(requirement + ".") for p in procedures), (check_id, procedures)
        assert mapping.checks[check_id].requirements["pci-dss-3.2.1"]

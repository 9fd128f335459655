"""The Checkov-to-PCI DSS mapping: loads, is large enough, names real checks, and fails with file:line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pcicheck.catalog import load_catalog
from pcicheck.errors import InputError
from pcicheck.iac.checkov_env import CHECKOV_VERSION, venv_dir
from pcicheck.iac.mapping import control_id, load_mapping, mapping_path
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
    ],
)
def test_mapping_errors_name_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    text = str(caught.value)
    assert message in text
    assert re.match(rf"^{re.escape(str(path))}:\d+: ", text)


def test_every_mapped_id_exists_in_the_pinned_checkov(checkov_cache: Path) -> None:
    """`checkov --list` of the pinned release knows every mapped id in every framework the mapping names
    (pcicheck's own CKV2_PCICHECK policies are not listed by Checkov; test_policies runs them)."""
    checkov = venv_dir({"PCICHECK_CACHE": str(checkov_cache)}) / "bin" / "checkov"
    listed: dict[str, set[str]] = {}
    env = checkov_env({"PATH": "/usr/bin:/bin"}, str(checkov_cache))
    for framework in ("terraform", "cloudformation", "kubernetes"):
        out = subprocess.run(
            [str(checkov), "--list", "--framework", framework],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=300,
        ).stdout
        listed[framework] = set(re.findall(r"\|\s*(CKV2?_[A-Z0-9]+_\d+)\s*\|", out))
    mapping = load_mapping()
    missing = [
        f"{check_id} ({fw})"
        for check_id, fws in mapping.frameworks.items()
        for fw in fws
        if check_id not in listed[fw] and not check_id.startswith("CKV2_PCICHECK_")
    ]
    assert missing == []

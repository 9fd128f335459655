"""pcicheck.yaml: defaults, custom scope tags and params, and file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcicheck.analyze.estate import analyze
from pcicheck.config import load_config
from pcicheck.errors import InputError
from pcicheck.model import Resource


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert (config.scope.cde_tag, config.scope.cde_value, config.scope.tenant_tag) == ("pci-scope", "cde", "tenant")


def test_custom_scope_tags_drive_analysis(tmp_path: Path) -> None:
    path = tmp_path / "pcicheck.yaml"
    path.write_text(
        "scope:\n  cde: {tag: zone, value: cardholder}\n  tenant: {tag: customer}\n"
        "params:\n  aws-kms-key-rotation: {max_days: 180}\n"
    )
    config = load_config(path)
    assert config.params == {"aws-kms-key-rotation": {"max_days": 180}}
    r = Resource(
        uid="u",
        type="aws.s3.bucket",
        provider="aws",
        account="1",
        region="r",
        name="b",
        tags={"zone": "cardholder", "customer": "acme", "pci-scope": "cde"},
    )
    facts = analyze([r], config.scope).facts["u"]
    assert facts == {
        "scope": "cde",
        "scope_reason": "tag zone=cardholder",
        "tenant": "acme",
        "kms_key_uid": None,
        "kms_key_tenant": None,
        "kms_key_manager": None,
        "pooled": False,  # no tenancy=pooled tag
        "pci_scope": "cde",
        "pci_scope_reason": "tag zone=cardholder",
        "pci_scope_links": [],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scope:\n  cde: {tag: zone}\n", ":2: 'scope.cde.value' must be text"),
        ("scope:\n  cde: zone\n", ":2: 'scope.cde' must be {tag: NAME, value: VALUE}"),
        ("scope:\n  pan: {tag: x}\n", ":2: unknown scope rule 'pan'"),
        ("exemptions: []\nscope: {}\n", ":1: unknown section 'exemptions'"),
        ("params:\n  aws-kms-key-rotation: 180\n", ":2: params for 'aws-kms-key-rotation' must be a mapping"),
        ("scope: [\n", ":2: invalid YAML"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "pcicheck.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert str(info.value).startswith(str(path)) and expected in str(info.value)


def test_params_for_an_unknown_control_are_refused(tmp_path: Path) -> None:
    from pcicheck.catalog import load_catalog
    from pcicheck.evaluate.evaluation import evaluate_snapshot
    from pcicheck.model import Snapshot

    path = tmp_path / "pcicheck.yaml"
    path.write_text("params:\n  aws-kms-key-rotatoin: {max_days: 180}\n")
    snap = Snapshot(
        tool_version="x", created_at="2026-01-01T00:00:00Z", request={}, identity={}, resources=(), errors=()
    )
    with pytest.raises(InputError, match="params given for unknown control 'aws-kms-key-rotatoin'"):
        evaluate_snapshot(snap, load_catalog(), load_config(path), "pci-dss-3.2.1")

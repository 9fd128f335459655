"""The catalog loader reports each kind of bad control as file:line with a fix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pcicheck.catalog import CatalogInvalid, load_catalog

GOOD = """\
id: my-key-rotation
title: Keys rotate
domain: key-management
severity: high
resource: aws.kms.key
scope: all
where: resource.attributes.manager == "CUSTOMER"
assert: resource.attributes.rotation_enabled == true
requirements: {pci-dss-3.2.1: ["3.6.4.b"], pci-dss-4.0.1: ["3.7.4.b"]}
rationale: Rotation limits the data under one key.
remediation: Enable rotation.
tests:
  - {name: "on", resource: {attributes: {manager: CUSTOMER, rotation_enabled: true}}, expect: pass}
  - {name: "off", resource: {attributes: {manager: CUSTOMER, rotation_enabled: false}}, expect: fail}
"""


def problems_for(tmp_path: Path, text: str, name: str = "my-key-rotation.yaml") -> list[str]:
    (tmp_path / name).write_text(text)
    with pytest.raises(CatalogInvalid) as info:
        load_catalog([tmp_path], builtin=False)
    return [str(p) for p in info.value.problems]


def test_good_control_loads(tmp_path: Path) -> None:
    (tmp_path / "my-key-rotation.yaml").write_text(GOOD)
    catalog = load_catalog([tmp_path], builtin=False)
    assert [c.id for c in catalog.controls] == ["my-key-rotation"]
    assert catalog.controls[0].requirements["pci-dss-4.0.1"] == ("3.7.4.b",)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("severity: high\n", ""), ":1: control is missing required field 'severity'"),
        (lambda t: t.replace("domain: key-management", "domain: crypto"), ":3: unknown domain 'crypto'"),
        (lambda t: t.replace("severity: high", "severity: urgent"), ":4: unknown severity 'urgent'"),
        (lambda t: t.replace("aws.kms.key", "aws.kms.keyz"), ":5: unknown resource type 'aws.kms.keyz'"),
        (lambda t: t.replace('== "CUSTOMER"', '== "CUSTOMER" &&'), ":7: 'where' is not valid CEL"),
        (lambda t: t.replace('["3.7.4.b"]', '["99.9"]'), ":9: unknown testing procedure '99.9' in pci-dss-4.0.1"),
        (
            lambda t: t.replace('["3.7.4.b"]', '["3.7.4"]'),
            ":9: 3.7.4 in pci-dss-4.0.1 has several testing procedures: name the ones this control evidences "
            "(one or more of 3.7.4.a (documentation); 3.7.4.b (interview, documentation, observe))",
        ),
        (
            lambda t: t.replace('["3.7.4.b"]', '["3.7"]'),
            ":9: 3.7 in pci-dss-4.0.1 is a heading, with no testing procedure of its own",
        ),
        (
            lambda t: t.replace("pci-dss-4.0.1", "pci-dss-9"),
            ":9: 'requirements' has no list for pci-dss-4.0.1",
        ),
        (lambda t: t.replace("id: my-key-rotation", "id: My_Key"), ":1: id 'My_Key' is not kebab-case"),
        (lambda t: t + "colour: red\n", ":15: unknown field 'colour'"),
        (
            lambda t: t + "basis: {pci-dss-4.0.1: {source: rumour}}\n",
            ":15: 'basis' for pci-dss-4.0.1 needs a source, one of pci-ssc, aws, peer, inferred",
        ),
        (
            lambda t: t + "basis: {pci-dss-4.0.1: {source: aws}}\n",
            ":15: 'basis' for pci-dss-4.0.1 (aws) needs a ref: the published mapping it follows",
        ),
        (lambda t: t.replace("expect: fail", "expect: pass"), "needs at least one pass and one fail case"),
        (
            lambda t: t.replace("title: Keys rotate", "title: [unclosed"),
            ":3: invalid YAML: did not find expected ',' or ']'",
        ),
    ],
)
def test_each_problem_names_file_and_line(tmp_path: Path, edit, expected: str) -> None:
    problems = problems_for(tmp_path, edit(GOOD))
    assert len(problems) == 1
    assert problems[0].startswith(str(tmp_path / "my-key-rotation.yaml"))
    assert expected in problems[0]


def test_id_must_match_file_name(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, GOOD, name="other.yaml")
    assert "does not match the file name 'other.yaml'" in problem and "rename to my-key-rotation.yaml" in problem


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "my-key-rotation.yaml").write_text(GOOD)
    (tmp_path / "b" / "my-key-rotation.yaml").write_text(GOOD)
    with pytest.raises(CatalogInvalid) as info:
        load_catalog([tmp_path], builtin=False)
    assert "duplicate control id 'my-key-rotation'" in str(info.value)


def test_a_user_control_may_not_reuse_a_builtin_id(tmp_path: Path) -> None:
    builtin = load_catalog().controls[0]
    text = GOOD.replace("my-key-rotation", builtin.id).replace("aws.kms.key", builtin.resource)
    (tmp_path / f"{builtin.id}.yaml").write_text(text)
    with pytest.raises(CatalogInvalid, match="duplicate control id"):
        load_catalog([tmp_path])


def test_mapping_basis_and_applicability_are_read(tmp_path: Path) -> None:
    """Where each mapping comes from (a framework left out is our own reasoning), and what `where` selects,
    which a not-applicable result then says instead of the bare expression."""
    from pcicheck.evaluate.engine import outside_message

    extra = 'basis: {pci-dss-3.2.1: {source: aws, ref: "Security Hub KMS.4"}}\napplies_to: enabled customer keys\n'
    (tmp_path / "my-key-rotation.yaml").write_text(GOOD + extra)
    (control,) = load_catalog([tmp_path], builtin=False).controls
    assert control.basis == {
        "pci-dss-3.2.1": {"source": "aws", "ref": "Security Hub KMS.4"},
        "pci-dss-4.0.1": {"source": "inferred"},
    }
    assert outside_message(control) == "not applicable: it judges only enabled customer keys"
    (bare,) = load_catalog([tmp_path / ".." / tmp_path.name], builtin=False).controls
    assert "where is false" not in outside_message(dataclasses.replace(bare, applies_to=""))

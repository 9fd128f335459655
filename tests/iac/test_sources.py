"""Staging: suppressions neutralised with lines kept, Kubernetes files told from other YAML."""

from __future__ import annotations

from pathlib import Path

from pcicheck.iac.sources import classify, neutralise, stage_sources


def test_terraform_comment_is_neutralised_and_remembered() -> None:
    text = 'resource "x" "y" {\n  # checkov:skip=CKV_AWS_7,CKV_AWS_33: later\n  #bridgecrew:skip=CKV_AWS_1\n}\n'
    clean, markers = neutralise(text, "main.tf")
    assert "skip=" not in clean and clean.count("\n") == text.count("\n") and len(clean) == len(text)
    assert [(m.line, m.ids, m.comment) for m in markers] == [
        (2, ("CKV_AWS_7", "CKV_AWS_33"), "later"),
        (3, ("CKV_AWS_1",), "no comment"),
    ]


def test_kubernetes_annotation_is_neutralised() -> None:
    text = "metadata:\n  annotations:\n    checkov.io/skip3: CKV_K8S_20=legacy image\n"
    clean, markers = neutralise(text, "pod.yaml")
    assert "checkov.io/SKIP3" in clean
    assert [(m.line, m.ids, m.comment) for m in markers] == [(3, ("CKV_K8S_20",), "legacy image")]


def test_cloudformation_metadata_yaml_and_json() -> None:
    text = (
        "Resources:\n  Db:\n    Metadata:\n      checkov:\n        skip:\n          - id: CKV_AWS_16\n"
        "            comment: test data only\n    Properties: {}\n"
    )
    clean, markers = neutralise(text, "t.yaml")
    assert "      CHECKOV:\n" in clean
    assert [(m.line, m.ids, m.comment) for m in markers] == [(4, ("CKV_AWS_16",), "test data only")]
    as_json = '{"Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_16", "comment": "ok"}]}}}'
    clean, markers = neutralise(as_json, "t.json")
    assert '"CHECKOV": {' in clean
    assert [(m.ids, m.comment) for m in markers] == [(("CKV_AWS_16",), "ok")]


def test_classify() -> None:
    assert classify("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", False) == ("kubernetes", None)
    assert (
        classify("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}}\n", False)[0]
        == "kubernetes"
    )
    cfn = 'Resources:\n  V:\n    Type: AWS::EC2::Volume\n    Properties: {AvailabilityZone: !Select [0, !GetAZs ""]}\n'
    assert classify(cfn, False) == ("other", None)
    kind, reason = classify("a: [1\n", False)
    assert kind == "invalid" and reason is not None and reason.startswith("not valid YAML at line 2")


def test_staging_leaves_out_dependencies_configs_and_unrelated_json(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name, text in {
        "main.tf": 'resource "aws_kms_key" "k" {}\n',
        ".terraform/modules/x/main.tf": "provider junk\n",
        "node_modules/x/deploy.yaml": "apiVersion: v1\n",
        ".checkov.yaml": "skip-check: [CKV_AWS_7]\n",
        "package.json": '{"name": "x"}\n',
        "stack.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}\n',
        "k8s/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
    }.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    staged = stage_sources(src, tmp_path / "stage", {"PATH": ""})
    copied = sorted(
        p.relative_to(tmp_path / "stage").as_posix() for p in (tmp_path / "stage").rglob("*") if p.is_file()
    )
    assert copied == ["k8s/ns.yaml", "main.tf", "stack.json"]
    assert list(staged.manifests) == ["iac:k8s"]
    assert not staged.problems


def test_large_and_non_utf8_files_are_problems(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.tf").write_text("#" * (5 * 1024 * 1024 + 1))
    (src / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    staged = stage_sources(src, tmp_path / "stage", {"PATH": ""})
    assert [(p.file, p.message) for p in staged.problems] == [
        ("big.tf", "larger than 5 MiB: not scanned"),
        ("latin.yaml", "not UTF-8 text: not scanned"),
    ]


def test_what_cannot_be_staged_is_said(tmp_path: Path) -> None:
    """A module outside PATH and symbolic links would otherwise drop out of the scan without a word."""
    (tmp_path / "modules" / "db").mkdir(parents=True)
    (tmp_path / "modules" / "db" / "main.tf").write_text('resource "aws_db_instance" "d" {}\n')
    src = tmp_path / "live"
    (src / "local").mkdir(parents=True)
    (src / "local" / "main.tf").write_text('resource "aws_kms_key" "k" {}\n')
    (src / "main.tf").write_text(
        'module "db" {\n  source = "../modules/db"\n}\nmodule "local" {\n  source = "./local"\n}\n'
    )
    (src / "shared").symlink_to(tmp_path / "modules")
    (src / "linked.tf").symlink_to(tmp_path / "modules" / "db" / "main.tf")
    staged = stage_sources(src, tmp_path / "stage", {"PATH": ""})
    assert sorted((p.file, p.line, p.message) for p in staged.problems) == [
        ("linked.tf", 1, "symbolic link: not scanned"),
        (
            "main.tf",
            2,
            "module source ../modules/db is outside the scanned path: its resources were not evaluated "
            "(scan a directory that contains it)",
        ),
        ("shared", 1, "symbolic link to a directory: not scanned"),
    ]

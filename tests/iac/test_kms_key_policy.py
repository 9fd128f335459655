"""CKV_AWS_109/111/356 read `Resource: "*"` in an aws_iam_policy_document as every resource; in a KMS key
policy it means the key itself (issue 15). Checkov's record names the document only, so checkov_shim.py
reads the module's files for every use of it: a document used only as a key policy, spelling out its
statements with no wildcard principal, is not applicable to those checks; any other use, or any doubt,
keeps the failure. Real Checkov, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcicheck import results_doc
from pcicheck.cli import main

ROOT_STATEMENT = """
  statement {
    sid       = "EnableRoot"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root"]
    }
  }
"""
KEY = """
resource "aws_kms_key" "payments" {
  description         = "payments"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key.json
}
"""
MODULES = {
    # Used only as the key policy of aws_kms_key.payments: a false positive, not applicable.
    "key-only": f'data "aws_iam_policy_document" "key" {{{ROOT_STATEMENT}}}\n{KEY}',
    # The same document also given to an IAM policy: there "*" is every key in the account.
    "also-iam": f'data "aws_iam_policy_document" "key" {{{ROOT_STATEMENT}}}\n{KEY}\n'
    'resource "aws_iam_policy" "ops" {\n  name   = "ops"\n  policy = data.aws_iam_policy_document.key.json\n}\n',
    # Also an output: a caller may use it anywhere.
    "output": f'data "aws_iam_policy_document" "key" {{{ROOT_STATEMENT}}}\n{KEY}\n'
    'output "doc" {\n  value = data.aws_iam_policy_document.key.json\n}\n',
    # A key policy that grants everyone: a real problem those checks happen to flag; kept.
    "wildcard": 'data "aws_iam_policy_document" "key" {'
    + ROOT_STATEMENT.replace('"arn:aws:iam::111122223333:root"', '"*"')
    + "}\n"
    + KEY,
}


CHECKS = ("ckv-aws-109", "ckv-aws-111", "ckv-aws-356")


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory, checkov_cache: Path) -> dict[tuple[str, str], dict]:
    src = tmp_path_factory.mktemp("kms")
    for name, text in MODULES.items():
        (src / name).mkdir()
        (src / name / "main.tf").write_text(text)
    # A module holding a .tf.json file: not read by the shim, so nothing is filtered there.
    (src / "json").mkdir()
    (src / "json" / "main.tf").write_text(MODULES["key-only"])
    (src / "json" / "extra.tf.json").write_text(json.dumps({"locals": {"x": "y"}}))
    # A module with a file pcicheck cannot stage (not UTF-8) holding another use: Checkov never sees that
    # file, and pcicheck keeps the failure because the module was not staged whole.
    (src / "unstaged").mkdir()
    (src / "unstaged" / "main.tf").write_text(MODULES["key-only"])
    (src / "unstaged" / "other.tf").write_bytes(
        b'output "doc" {\n  value = data.aws_iam_policy_document.key.json\n}\n# \xff\n'
    )
    out = tmp_path_factory.mktemp("out") / "results.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PCICHECK_CACHE", str(checkov_cache))
        mp.delenv("PCICHECK_CHECKOV", raising=False)
        main(["iac", str(src), "--format", "json", "--output", str(out), "-q"])
    doc = json.loads(out.read_text())
    return {
        (Path(r["resource"]["location"]["file"]).parent.name, r["control"]): r
        for r in results_doc.results(doc)
        if r["control"] in CHECKS and "aws_iam_policy_document" in r["resource"]["name"]
    }


@pytest.mark.parametrize("check", CHECKS)
def test_a_document_used_only_as_a_key_policy_is_not_applicable(verdicts: dict, check: str) -> None:
    result = verdicts[("key-only", check)]
    assert result["status"] == "not_applicable", result
    assert "used only as the key policy of aws_kms_key.payments" in result["message"]
    assert result["evidence"]["key_policy_of"] == ["aws_kms_key.payments"]


@pytest.mark.parametrize("module", ["also-iam", "output", "wildcard", "json", "unstaged"])
@pytest.mark.parametrize("check", CHECKS)
def test_any_other_use_or_doubt_keeps_the_failure(verdicts: dict, module: str, check: str) -> None:
    assert verdicts[(module, check)]["status"] == "fail", verdicts[(module, check)]

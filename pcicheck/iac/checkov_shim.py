"""Started by Checkov's own Python (never imported by pcicheck): runs the `checkov` program given as the
first argument, after two changes to what Checkov reports.

Checkov decides some checks UNKNOWN (a value behind an unresolved variable, a function it cannot
evaluate) and its reports keep only PASSED, FAILED and SKIPPED records: an unknown verdict vanishes, and
the resource reads as if the check never applied. Here such a record is kept as SKIPPED with the comment
UNKNOWN_MARK, so pcicheck can report it as `error` (not evaluated) naming the check and the resource.

And one fact is added to the records of CKV_AWS_109/111/356 (IAM policy documents whose `Resource` is
"*") on an `aws_iam_policy_document`: under KEY_POLICY_MARK, the KMS keys whose key policy it is, when that
is its only use in its module. In a key policy "*" means the key itself, so those checks misjudge it;
Checkov's report does not say where a document is used (its record names the document only), so the
module's files are read here with the HCL parser Checkov itself uses. A data source can be referenced
only inside its own module, so the module's files hold every use. Any doubt leaves the record as it is:
another use anywhere (another resource, a local, an output, another document, a dynamic block, an
index), a `.tf.json` file, a file that does not parse, statements this document does not spell out
(dynamic, merged from other documents) or a wildcard principal. pcicheck then also checks that every
file of the module was staged for Checkov (pcicheck/iac/results.py).

Standard library only (and Checkov's own packages, from its environment), and written for any Python
Checkov supports: this file runs in Checkov's environment, not pcicheck's.
"""

from __future__ import annotations

import importlib
import os
import re
import runpy
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

UNKNOWN_MARK = "pcicheck:checkov-unknown"
KEY_POLICY_MARK = "pcicheck_key_policy_of"
KEY_POLICY_CHECKS = frozenset({"CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356"})
_KEY_TYPES = frozenset(
    {"aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key", "aws_kms_key_policy"}
)
_DOCUMENT = "aws_iam_policy_document"
_NAME = re.compile(r"(?:^|\.)" + _DOCUMENT + r"\.([A-Za-z_][A-Za-z0-9_-]*)$")
# The document's own statements stop being what its text says when any of these is set.
_NOT_SPELLED_OUT = ("dynamic", "source_policy_documents", "override_policy_documents", "source_json", "override_json")


def _keep_unknown_verdicts() -> None:
    try:
        enums = importlib.import_module("checkov.common.models.enums")
        report = importlib.import_module("checkov.common.output.report")
    except ImportError:
        return  # not Checkov's environment (a stand-in program): nothing to change
    unknown, skipped = enums.CheckResult.UNKNOWN, enums.CheckResult.SKIPPED
    original = report.Report.add_record

    def add_record(self, record):  # type: ignore[no-untyped-def]
        result = record.check_result
        if isinstance(result, dict) and result.get("result") == unknown:
            record.check_result = {**result, "result": skipped, "suppress_comment": UNKNOWN_MARK}
        original(self, record)

    report.Report.add_record = add_record


def _strings(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in a parsed HCL value, with the keys on its way (list positions left out)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, (*path, key))
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, path)


def _spelled_out_without_wildcard_principal(body: Any) -> bool:
    if not isinstance(body, dict) or any(k in body for k in _NOT_SPELLED_OUT):
        return False
    for statement in body.get("statement") or []:
        if not isinstance(statement, dict) or "dynamic" in statement or "not_principals" in statement:
            return False
        for principals in statement.get("principals") or []:
            if not isinstance(principals, dict) or "dynamic" in principals:
                return False
            if any("*" in text for _, text in _strings(principals.get("identifiers"), ())):
                return False
    return True


def _key_uses(parsed: Any, name: str) -> list[str] | None:
    """The KMS keys one parsed file gives data.aws_iam_policy_document.<name> to as their key policy; None
    when the file mentions it anywhere else."""
    mention = re.compile(_DOCUMENT + r"\W+" + re.escape(name) + r"(?![A-Za-z0-9_-])")
    exact = "${data." + _DOCUMENT + "." + name + ".json}"
    users = []
    for path, text in _strings(parsed, ()):
        if path[:3] == ("data", _DOCUMENT, name) or not mention.search(text):
            continue
        as_key_policy = len(path) == 4 and path[0] == "resource" and path[1] in _KEY_TYPES and path[3] == "policy"
        if not (as_key_policy and text == exact):
            return None
        users.append(path[1] + "." + path[2])
    return users


def _bodies(parsed: Any, name: str) -> int | None:
    """How many definitions of the document one parsed file holds; None when one does not spell out its
    statements or has a wildcard principal."""
    bodies = [
        block[_DOCUMENT][name]
        for block in parsed.get("data") or []
        if isinstance(block, dict) and name in (block.get(_DOCUMENT) or {})
    ]
    return len(bodies) if all(_spelled_out_without_wildcard_principal(b) for b in bodies) else None


def key_policy_users(directory: str, name: str, load: Callable[[IO[str]], Any]) -> list[str] | None:
    """The KMS keys whose key policy is data.aws_iam_policy_document.<name>, when that is its only use in the
    module in `directory`; None on any doubt. `load` parses one HCL file."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return None
    if any(n.endswith(".tf.json") for n in names):
        return None
    users, bodies = [], 0
    for n in (n for n in names if n.endswith(".tf")):
        try:
            with open(os.path.join(directory, n), encoding="utf-8") as fh:
                parsed = load(fh)
        except Exception:  # any parser failure is a doubt
            return None
        uses, count = _key_uses(parsed, name), _bodies(parsed, name)
        if uses is None or count is None:
            return None
        users += uses
        bodies += count
    return sorted(users) if users and bodies == 1 else None


def _mark_key_policies() -> None:
    try:
        report = importlib.import_module("checkov.common.output.report")
        hcl2 = importlib.import_module("hcl2")
    except ImportError:
        return
    original = report.Report.add_record
    seen = {}

    def add_record(self, record):  # type: ignore[no-untyped-def]
        result = record.check_result
        found = _NAME.search(str(record.resource or "")) if record.check_id in KEY_POLICY_CHECKS else None
        if found and isinstance(result, dict) and str(result.get("result")).endswith("FAILED"):
            where = (os.path.dirname(str(record.file_abs_path or "")), found.group(1))
            if where not in seen:
                seen[where] = key_policy_users(where[0], where[1], hcl2.load) if where[0] else None
            if seen[where]:
                record.check_result = {**result, KEY_POLICY_MARK: seen[where]}
        original(self, record)

    report.Report.add_record = add_record


def main() -> None:
    program = sys.argv[1]
    sys.argv = [program, *sys.argv[2:]]
    _keep_unknown_verdicts()
    _mark_key_policies()
    runpy.run_path(program, run_name="__main__")


if __name__ == "__main__":
    main()

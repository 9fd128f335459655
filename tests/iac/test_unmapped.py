"""Failed Checkov checks with no PCI DSS mapping: kept with where they were found, bounded, listed in
results.json, index.html and summary.md, and inert in the page however hostile their text. (The pinned
Checkov's own unmapped findings on the fixtures are in test_fixtures.py.)"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from pcicheck.cli import main
from pcicheck.iac.unmapped import MAX_FINDINGS, Unmapped, UnmappedFinding, bounded, unmapped_line
from pcicheck.report import html_unmapped
from tests.iac.conftest import fake_program
from tests.report.test_html import ATTRIBUTE, SCRIPT, document, page, parse, words


def _finding(n: int, check: str = "CKV_AWS_21") -> UnmappedFinding:
    return UnmappedFinding(check, f"src/f{n:05}.tf", n + 1, f"aws_s3_bucket.b{n}", "versioning", "terraform")


def test_bounded_keeps_the_first_in_sort_order_and_counts_the_rest() -> None:
    findings = [_finding(n) for n in range(10)]
    shuffled = random.Random(7).sample(findings, len(findings))
    assert bounded(shuffled, 4) == (findings[:4], 6)
    assert bounded(shuffled, 10) == (findings, 0)
    assert bounded([], 4) == ([], 0)


def test_the_request_lists_at_most_the_limit_and_never_cuts_the_counts() -> None:
    unmapped = Unmapped(passed=3)
    for n in range(MAX_FINDINGS + 1):
        unmapped.fail(_finding(n, check="CKV_AWS_21" if n % 2 else "CKV2_AWS_5"))
    request = unmapped.request()
    assert len(request["findings"]) == MAX_FINDINGS == request["findings_limit"]
    assert request["findings_left_out"] == 1
    assert request["failed"] == {"CKV2_AWS_5": 2501, "CKV_AWS_21": 2500}
    assert request["passed"] == 3
    assert request["findings"][0] == {
        "check": "CKV2_AWS_5",
        "title": "versioning",
        "resource": "aws_s3_bucket.b0",
        "file": "src/f00000.tf",
        "line": 1,
        "check_type": "terraform",
        "outcome": "failed",
        "excluded_because": "not in the mapping",
    }
    assert unmapped.request() == request  # the same document on every call


def test_the_console_line_says_where_they_are_listed() -> None:
    unmapped = Unmapped()
    for n in range(3):
        unmapped.fail(_finding(n))
    line = unmapped_line(unmapped)
    assert line.startswith("3 failures of 1 Checkov checks with no PCI DSS mapping")
    assert "results.json (snapshot.request.iac.unmapped.findings)" in line
    assert '"Not mapped to PCI DSS"' in line
    assert "the first 2 listed, the other 1 counted" in unmapped_line(unmapped, limit=2)


HOSTILE_TITLE = f"Ensure {SCRIPT} is fine"
HOSTILE_FILE = f"{ATTRIBUTE}.tf"


def _checkov_report(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "check_type": "terraform",
        "results": {"passed_checks": [], "failed_checks": records, "skipped_checks": [], "parsing_errors": []},
        "summary": {"checkov_version": "9.9.9"},
    }


def _record(check: str, title: str, file: str, lines: list[int], resource: str) -> dict[str, Any]:
    return {
        "check_id": check,
        "check_name": title,
        "check_result": {"result": "FAILED"},
        "file_path": f"/{file}",
        "file_line_range": lines,
        "resource": resource,
    }


def test_hostile_unmapped_findings_reach_results_html_and_summary_as_text(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n' * 3)
    (src / HOSTILE_FILE).write_text('resource "aws_s3_bucket" "x" {}\n')
    records = [
        _record("CKV_AWS_21", "Ensure versioning", "main.tf", [3, 3], "aws_s3_bucket.b"),
        _record("CKV_EVIL_1", HOSTILE_TITLE, HOSTILE_FILE, [1, 1], SCRIPT),
    ]
    report = _checkov_report(records)
    fake = fake_program(tmp_path / "bin", "checkov", f"print({json.dumps(json.dumps(report))})\n")
    out = tmp_path / "pack"
    code = main(["iac", str(src), "--quiet", "--checkov", str(fake), "--out", str(out)])
    assert code == 0  # listed, not judged: nothing failed against a requirement

    unmapped = json.loads((out / "results.json").read_text())["snapshot"]["request"]["iac"]["unmapped"]
    where = src.resolve().as_posix()
    assert unmapped["failed"] == {"CKV_AWS_21": 1, "CKV_EVIL_1": 1}
    assert [(f["check"], f["title"], f["resource"], f["file"], f["line"]) for f in unmapped["findings"]] == [
        ("CKV_AWS_21", "Ensure versioning", "aws_s3_bucket.b", f"{where}/main.tf", 3),
        ("CKV_EVIL_1", HOSTILE_TITLE, SCRIPT, f"{where}/{HOSTILE_FILE}", 1),
    ]
    assert unmapped["findings_left_out"] == 0

    text = (out / "index.html").read_text()
    tree = parse(text)
    assert {"unmapped"} <= tree.ids()
    assert ("a", {"href": "#unmapped"}) in tree.tags
    names = [t for t, _ in tree.tags]
    scripts = [a for t, a in tree.tags if t == "script"]  # report.js and its data block (JSON, never run)
    assert "img" not in names and scripts == [{"type": "application/json", "id": "pcicheck-data"}, {}]
    shown = words(tree)
    assert "Not mapped to PCI DSS (2)" in shown
    assert "have no PCI DSS mapping in pcicheck" in shown and "An assessor decides whether they matter" in shown
    assert f"{where}/main.tf:3" in shown
    assert HOSTILE_TITLE in shown and f"{where}/{HOSTILE_FILE}:1" in shown
    assert "<script>alert" not in text and "<img" not in text

    summary = (out / "summary.md").read_text()
    assert "2 failures of Checkov checks with no PCI DSS mapping" in summary
    assert "`snapshot.request.iac.unmapped.findings`" in summary


def test_the_section_and_its_link_exist_only_when_something_unmapped_failed() -> None:
    plain = parse(page(document()))
    assert "unmapped" not in plain.ids()
    assert not [a for _, a in plain.tags if a.get("href") == "#unmapped"]
    doc = document()
    doc["snapshot"]["request"]["iac"] = {"unmapped": {"failed": {}, "passed": 12, "findings": []}}
    assert "unmapped" not in parse(page(doc)).ids()


def test_a_capped_list_says_how_many_were_left_out_and_long_text_is_clipped() -> None:
    doc = document()
    listed = [{**_finding(0).to_dict(), "title": "T" * 10_000}]
    doc["snapshot"]["request"]["iac"] = {
        "unmapped": {"failed": {"CKV_AWS_21": 7}, "passed": 0, "findings": listed, "findings_left_out": 6}
    }
    text = page(doc)
    shown = words(parse(text))
    assert "Only the first 1 are listed" in shown and "the other 6 are counted per check" in shown
    assert "T" * 501 not in text and "(9,500 more characters)" in shown


def test_the_page_lists_no_more_than_pcicheck_writes_even_from_an_edited_document() -> None:
    listed = [_finding(n).to_dict() for n in range(MAX_FINDINGS + 2)]
    section = html_unmapped.read({"iac": {"unmapped": {"failed": {"CKV_AWS_21": 3}, "findings": listed}}})
    assert section is not None
    assert len(section.rows) == MAX_FINDINGS and section.left_out == 2 and section.failures == MAX_FINDINGS + 2
    assert section.rows[0].where == "src/f00000.tf:1"

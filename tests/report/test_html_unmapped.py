"""The "Not mapped to PCI DSS" section shows, beside each listed check, why the mapping excludes it
(`excluded_because` in results.json's unmapped findings), as text, whatever a document says there."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from pcicheck.iac.unmapped import UnmappedFinding
from tests.report.test_html import SCRIPT, document, page, parse, words

VERSIONING = (
    "availability or resilience (backups, replication, versioning, multi-AZ, deletion protection, failover, "
    "caching, capacity): no PCI DSS requirement asks for it"
)


def _finding(check: str, line: int, because: str) -> dict[str, Any]:
    return UnmappedFinding(
        check=check,
        file="src/main.tf",
        line=line,
        resource=f"aws_s3_bucket.b{line}",
        title=f"title of {check}",
        check_type="terraform",
        excluded_because=because,
    ).to_dict()


def _doc(findings: list[dict[str, Any]]) -> dict[str, Any]:
    doc = document()
    failed: dict[str, int] = {}
    for f in findings:
        failed[f["check"]] = failed.get(f["check"], 0) + 1
    doc["snapshot"]["request"]["iac"] = {"unmapped": {"failed": failed, "passed": 0, "findings": findings}}
    return doc


class _Cells(HTMLParser):
    """The text of each <td> of the unmapped section's table body, row by row, as a reader sees it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._section = self._body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._section = ("id", "unmapped") in attrs
        elif self._section and tag == "tbody":
            self._body = True
        elif self._body and tag == "tr":
            self.rows.append([])
        elif self._body and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._body = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rows(text: str) -> list[list[str]]:
    cells = _Cells()
    cells.feed(text)
    cells.close()
    return cells.rows


def test_each_row_gives_the_reason_its_check_is_not_mapped() -> None:
    findings = [
        _finding("CKV_AWS_21", 3, VERSIONING),
        _finding("CKV_FUTURE_1", 9, ""),  # a check the pinned Checkov does not have: "not in the mapping"
    ]
    assert findings[1]["excluded_because"] == "not in the mapping"  # what results.json carries
    text = page(_doc(findings))
    rows = _rows(text)
    assert rows == [
        ["CKV_AWS_21", "title of CKV_AWS_21", VERSIONING, "aws_s3_bucket.b3", "src/main.tf:3", "terraform"],
        [
            "CKV_FUTURE_1",
            "title of CKV_FUTURE_1",
            "not in the mapping",
            "aws_s3_bucket.b9",
            "src/main.tf:9",
            "terraform",
        ],
    ]
    shown = words(parse(text))
    assert "check title not mapped because resource file:line type" in shown
    assert "Each row says why the mapping leaves its check out." in shown


def test_a_document_written_before_reasons_were_recorded_still_renders() -> None:
    old = {k: v for k, v in _finding("CKV_AWS_21", 3, VERSIONING).items() if k != "excluded_because"}
    rows = _rows(page(_doc([old])))
    assert rows == [["CKV_AWS_21", "title of CKV_AWS_21", "", "aws_s3_bucket.b3", "src/main.tf:3", "terraform"]]


def test_an_edited_reason_is_text_and_clipped() -> None:
    hostile = SCRIPT + "x" * 10_000
    text = page(_doc([_finding("CKV_AWS_21", 3, hostile)]))
    scripts = [a for t, a in parse(text).tags if t == "script"]
    assert "<script>alert" not in text and scripts == [{"type": "application/json", "id": "pcicheck-data"}, {}]
    ((_, _, reason, *_),) = _rows(text)
    assert reason.startswith(SCRIPT) and "more characters)" in reason and len(reason) < 600

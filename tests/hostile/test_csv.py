"""CSV formula defusing (issue 14, class 3): findings.csv was written with a `\\n` line terminator, so a
field holding a bare CR was not quoted and a spreadsheet started a new row at the CR, with a live
`=cmd|…` formula. Now both CSV files share one writer (pcicheck.inert.write_csv): RFC 4180 CRLF
records, every data cell quoted, formula characters defused with a quote (OWASP), control characters
shown as escapes. Each test reads the written file back as a spreadsheet-like reader would."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcicheck import inert, results_doc
from pcicheck.cli import main
from tests.support.hostile_text import FORMULA, HOSTILE, write_estate

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scan of the hostile estate, written as an evidence pack."""
    root = tmp_path_factory.mktemp("csv")
    out = root / "out"
    assert main(["scan", "--manifests", str(write_estate(root / "m")), "--out", str(out), "-q"]) == 1
    # findings.csv is a feed (not in the pack): rendered from it, beside it.
    assert main(["report", str(out), "--format", "csv", "--output", str(root / "findings.csv"), "-q"]) == 0
    return out


def _csv(pack: Path, name: str) -> Path:
    return pack / name if (pack / name).exists() else pack.parent / name


def _rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter=delimiter))


@pytest.mark.parametrize(
    ("name", "statuses"),
    [
        ("findings.csv", ("fail", "error", "needs_configuration", "waived")),
        ("evidence.csv", None),
        ("resources.csv", None),
    ],
)
def test_csv_reads_back_with_one_row_per_result_and_no_live_formula(
    pack: Path, name: str, statuses: tuple[str, ...] | None
) -> None:
    doc = json.loads((pack / "results.json").read_text(encoding="utf-8"))
    results = [r for r in results_doc.results(doc) if statuses is None or r["status"] in statuses]
    if name == "resources.csv":  # one row per resource
        results = list({r["resource"]["uid"]: r for r in results}.values())
    # The attack reached the records: a name with a bare CR, then a formula.
    assert any(FORMULA in r["resource"]["name"] for r in results)
    raw = _csv(pack, name).read_bytes()
    assert raw.count(b"\x1b") == 0 and b"\xc2\x9b" not in raw  # no ESC, no 8-bit CSI
    assert raw.endswith(b"\r\n") and raw.count(b"\r\n") >= len(results) + 1
    rows = _rows(_csv(pack, name))
    assert len(rows) == len(results) + 1  # no row was split at the CR
    assert len({len(row) for row in rows}) == 1
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(_FORMULA_START), value
    if "resource_name" in rows[0]:  # evidence.csv names resources by uid; their names are in resources.csv
        names = [row[rows[0].index("resource_name")] for row in rows[1:]]
        assert any("api\\x1b]0;pwned-title" in n and "\\x0d=cmd|" in n for n in names)


def test_another_locales_separator_cannot_split_a_cell(pack: Path) -> None:
    """Excel in a locale whose list separator is `;` splits on it, but not inside a quoted cell."""
    for row in _rows(_csv(pack, "findings.csv"), delimiter=";")[1:]:
        for value in row:
            assert not value.lstrip('"').startswith(_FORMULA_START)


def test_a_cell_that_starts_with_a_formula_is_defused() -> None:
    assert inert.csv_cell("=1+1") == "'=1+1"
    assert inert.csv_cell(FORMULA) == "\\x0d=cmd|' /C calc'!A0"  # the CR itself shown, so the cell starts "\"
    assert inert.csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert inert.csv_cell("\t=1") == "'\t=1"


@given(
    st.lists(
        st.lists(st.one_of(st.text(), st.sampled_from([HOSTILE, FORMULA, "-1", '"', ";=1"])), min_size=1), min_size=1
    )
)
def test_any_rows_read_back_as_written(rows: list[list[str]]) -> None:
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    buffer = io.StringIO(newline="")
    inert.write_csv(buffer, [f"c{i}" for i in range(width)], rows)
    back = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert back[1:] == [[inert.csv_cell(v) for v in r] for r in rows]
    assert not any(v.startswith(_FORMULA_START) for r in back[1:] for v in r)
    assert "\x1b" not in buffer.getvalue()

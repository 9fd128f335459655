"""Terminal escape injection (issue 14, class 2): names, kinds, tag values, waiver fields and file names
reach the console through the tables, the one-line errors (even with -q), the notices, the waiver
lines, `verify`, `diff` and `segmentation matrix`. Each test first shows the hostile text reached the
program intact, then that no control character it carries reaches the terminal, with and without a
terminal, while the reader still sees (as an escape) that something was there."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcicheck import inert, results_doc
from pcicheck.cli import main
from pcicheck.collect.k8s.manifests import manifest_snapshot, read_manifests
from pcicheck.errors import InputError
from pcicheck.waivers import load_waivers
from tests.support.hostile_text import HOSTILE, TERMINAL_ATTACK, flat, quoted, unsafe, write_estate


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(params=["terminal", "pipe"])
def terminal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Rich told the stream is a terminal (colours on) or is not: both must be inert."""
    on = request.param == "terminal"
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TTY_COMPATIBLE", "1" if on else "0")
    monkeypatch.setenv("TERM", "xterm-256color")
    return on


def _shown(text: str) -> None:
    """The attack is visible as escapes, not obeyed and not silently dropped."""
    assert "\\x1b" in text and "\\u202e" in text


def _waivers(path: Path, *, approved_by: str, expired: bool = False) -> Path:
    today = dt.date.today()
    created, expires = (dt.date(2020, 1, 1), dt.date(2020, 6, 1)) if expired else (today, today + dt.timedelta(days=90))
    path.write_text(
        f"""waivers:
  - id: {quoted("W-1" + TERMINAL_ATTACK)}
    control: k8s-workload-no-privileged
    resource: {{match: "*api*"}}
    justification: {quoted("accepted" + TERMINAL_ATTACK)}
    approved_by: {quoted(approved_by)}
    ticket: {quoted("T-1" + TERMINAL_ATTACK)}
    created: {created}
    expires: {expires}
""",
        encoding="utf-8",
    )
    return path


def test_scan_summary_tables_and_waiver_lines_are_inert(
    terminal: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = write_estate(tmp_path / "m")
    waivers = _waivers(tmp_path / "w.yaml", approved_by="Risk" + TERMINAL_ATTACK)
    # The waiver (match "*api*") waives the privileged pod: its console line names the approver.
    code, out, err = run(
        capsys, "scan", "--manifests", str(estate), "--waivers", str(waivers), "--out", str(tmp_path / "o")
    )
    doc = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    assert any(HOSTILE in r["resource"]["name"] for r in results_doc.results(doc))  # the attack reached the records
    assert any(TERMINAL_ATTACK in (r.get("waiver") or {}).get("approved_by", "") for r in results_doc.results(doc))
    assert code == 1
    assert unsafe(err) == [] and unsafe(out) == []
    _shown(err)
    assert "approved by Risk\\x1b" in flat(err)  # the waiver line (wrapped at the width)
    if terminal:
        assert "\x1b[" in err  # rich's own colours still reach a terminal
    else:
        assert "\x1b" not in err


def test_one_line_errors_are_inert_even_with_quiet(
    terminal: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = write_estate(tmp_path / "m")
    (estate / "twice.yaml").write_text(
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {quoted('api' + HOSTILE)}\n  namespace: payments\n"
        "spec:\n  containers:\n    - name: api\n      image: x\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        read_manifests([estate])
    assert TERMINAL_ATTACK in str(raised.value)  # the duplicate-object error carries the raw name
    code, out, err = run(capsys, "scan", "--manifests", str(estate), "-q")
    assert code == 2
    assert len(err.splitlines()) == 1 and "defined twice" in err
    assert unsafe(err) == [] and out == ""
    _shown(err)


def test_skipped_kinds_notice_is_inert(terminal: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = write_estate(tmp_path / "m")
    (estate / "kind.yaml").write_text(
        f"apiVersion: v1\nkind: {quoted('Evil' + TERMINAL_ATTACK)}\nmetadata:\n  name: x\n", encoding="utf-8"
    )
    _, read = manifest_snapshot([estate])
    assert any(TERMINAL_ATTACK in kind for kind in read.skipped_kinds)
    code, _, err = run(capsys, "scan", "--manifests", str(estate), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "kinds pcicheck does not know: Evil\\x1b" in flat(err)
    assert unsafe(err) == []


def test_waivers_validate_lines_are_inert(terminal: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _waivers(tmp_path / "w.yaml", approved_by="Risk", expired=True)
    assert TERMINAL_ATTACK in load_waivers(path)[0].id
    code, _, err = run(capsys, "waivers", "validate", str(path))
    assert code == 1 and "expired on 2020-06-01" in err
    assert unsafe(err) == []
    _shown(err)


def test_verify_names_a_hostile_file_inertly(
    terminal: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = write_estate(tmp_path / "m")
    pack = tmp_path / "pack"
    assert run(capsys, "scan", "--manifests", str(estate), "--out", str(pack), "-q")[0] == 1
    name = "added" + TERMINAL_ATTACK.replace("/", "")  # a file name holds anything but a slash
    (pack / name).write_text("x")
    assert any(p.name == name for p in pack.iterdir())
    code, out, err = run(capsys, "verify", str(pack))
    assert code == 1
    assert unsafe(err) == [] and unsafe(out) == []
    _shown(err)


def _with_no_results(doc_path: Path, to: Path) -> Path:
    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    doc["results"] = []
    to.write_text(json.dumps(doc), encoding="utf-8")
    return to


def test_diff_table_and_json_are_inert(terminal: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = write_estate(tmp_path / "m")
    run(capsys, "scan", "--manifests", str(estate), "--out", str(tmp_path / "o"), "-q")
    new = tmp_path / "o" / "results.json"
    old = _with_no_results(new, tmp_path / "old.json")
    code, out, err = run(capsys, "diff", str(old), str(new))
    assert code == 1
    assert unsafe(out) == [] and unsafe(err) == []
    _shown(out)
    code, out, _ = run(capsys, "diff", str(old), str(new), "--format", "json")
    assert code == 1 and unsafe(out) == []
    # The same document: \u escapes are what JSON means by these characters.
    assert any(HOSTILE in f["resource"] for f in json.loads(out)["new"])


def test_segmentation_matrix_is_inert(terminal: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = write_estate(tmp_path / "m")
    code, out, err = run(capsys, "segmentation", "matrix", "--manifests", str(estate), "-q")
    assert code == 0
    assert "ns" in out and unsafe(out) == [] and unsafe(err) == []
    assert "\\x1b" in out
    code, out, _ = run(capsys, "segmentation", "matrix", "--manifests", str(estate), "-q", "--format", "json")
    assert any(TERMINAL_ATTACK in n for n in json.loads(out)["namespaces"]) and unsafe(out) == []


def test_results_json_on_stdout_is_the_same_document_and_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = write_estate(tmp_path / "m")
    code, out, _ = run(capsys, "scan", "--manifests", str(estate), "--format", "json", "-q")
    assert code == 1 and unsafe(out) == []
    assert any(HOSTILE in r["resource"]["name"] for r in results_doc.results(json.loads(out)))
    code, out, _ = run(capsys, "scan", "--manifests", str(estate), "--format", "sarif", "-q")
    assert code == 1 and unsafe(out) == [] and json.loads(out)["version"] == "2.1.0"


@given(st.text())
def test_terminal_text_obeys_nothing_and_is_idempotent(text: str) -> None:
    shown = inert.terminal(text)
    assert unsafe(shown) == []
    assert inert.terminal(shown) == shown
    # Only the neutralised characters change: the rest of the text reads as it was.
    safe = "".join(c for c in text if not unsafe(c))
    assert inert.terminal(safe) == safe

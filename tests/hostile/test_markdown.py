"""Markdown injection (issue 14, class 13): `diff --format markdown` and summary.md (a pull-request comment,
$GITHUB_STEP_SUMMARY) show resource names from the estate or from a results file. A name must not become
a link, an autolink, an image, a heading (through a bare CR), HTML, a table break or an @mention. The
Markdown is rendered with markdown-it (CommonMark with GFM tables, installed with rich) and read back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pcicheck import inert, results_doc
from pcicheck.cli import main
from tests.support.hostile_text import quoted

ATTACKS = (
    "[click me](https://evil.example/login)",
    "![pixel](https://evil.example/track.png)",
    "x\r# Approved by the QSA",
    "y\n## Approved",
    "<img src=x onerror=alert(1)>",
    "cc @acme/security-team and @octocat",
    "a|b|c",
    "see https://evil.example/ and www.evil.example",
    "**bold** _it_ ~~struck~~ `code` $x^2$ &lt; #123",
)


def _estate(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    pods = "".join(
        f"""---
apiVersion: v1
kind: Pod
metadata:
  name: {quoted(name)}
  namespace: payments
spec:
  containers:
    - name: c
      image: x
      securityContext:
        privileged: true
"""
        for name in ATTACKS
    )
    (directory / "md.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pci-scope: cde\n" + pods,
        encoding="utf-8",
    )
    return directory


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(an empty baseline, the pack of a scan judged against it): every finding is new."""
    root = tmp_path_factory.mktemp("md")
    estate = _estate(root / "m")
    first = root / "first"
    assert main(["scan", "--manifests", str(estate), "--out", str(first), "-q"]) == 1
    doc = json.loads((first / "results.json").read_text(encoding="utf-8"))
    names = {r["resource"]["name"] for r in results_doc.results(doc)}
    assert all(any(a in n for n in names) for a in ATTACKS)  # the attacks reached the records intact
    doc["results"] = []
    baseline = root / "baseline.json"
    baseline.write_text(json.dumps(doc), encoding="utf-8")
    pack = root / "pack"
    assert main(["scan", "--manifests", str(estate), "--baseline", str(baseline), "--out", str(pack), "-q"]) == 1
    return baseline, pack


def _inert(markdown: str, headings: int) -> None:
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<a " not in html and "<img" not in html and "<script" not in html
    assert len(re.findall("<h[1-6]>", html)) == headings  # only the document's own
    for table in re.findall("<table>(.*?)</table>", html, re.S):  # no cell split by a pipe
        assert len({len(re.findall("<t[dh]", row)) for row in re.findall("<tr>(.*?)</tr>", table, re.S)}) == 1
    assert "\r" not in markdown
    # GitHub links @user, @org/team and #123 after rendering, and GFM autolinks URLs and www. names.
    assert not re.search(r"(?<!\w)@[A-Za-z0-9]", markdown)
    assert not re.search(r"(?<!&)#\d", markdown)  # (&#8203; is the zero-width space)
    assert "https://evil" not in markdown and "www.evil" not in markdown


def test_diff_markdown_is_inert(scanned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    baseline, pack = scanned
    code = main(["diff", str(baseline), str(pack / "results.json"), "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("### pcicheck:")
    _inert(out, headings=1)
    html = MarkdownIt("commonmark").enable("table").render(out)
    # Each name is still there to read, as text.
    assert "[click me](https://evil.example/login)" in html
    assert "cc @\u200bacme/security-team" in html.replace("&#8203;", "\u200b")


def test_summary_md_is_inert(scanned: tuple[Path, Path]) -> None:
    _, pack = scanned
    text = (pack / "summary.md").read_text(encoding="utf-8")
    assert "**Since the baseline:**" in text
    _inert(text, headings=1)


@given(st.text())
def test_any_text_renders_as_itself_in_a_table_cell(text: str) -> None:
    """Whatever the text, it stays in its cell as plain text: no element but the table's own."""
    md = f"| a | b |\n|---|---|\n| {inert.markdown(text)} | {inert.markdown_code(text)} |\n"
    html = MarkdownIt("commonmark").enable("table").render(md)
    tags = set(re.findall(r"<(/?[a-z0-9]+)", html))
    assert tags <= {
        "table",
        "/table",
        "thead",
        "/thead",
        "tbody",
        "/tbody",
        "tr",
        "/tr",
        "th",
        "/th",
        "td",
        "/td",
        "code",
        "/code",
    }
    assert len(re.findall("<td", html)) == 2

"""Untrusted text made inert, one function per place it is shown: the terminal, a CSV cell, Markdown.
(HTML is Jinja2's autoescaping, report/html.py; JSON escapes for itself.)

Names, tags, labels, kinds, waiver fields and file names are attacker-controlled. Each sink gives some
characters a meaning the attacker must not reach: a terminal obeys escape sequences (window titles,
hyperlinks, clearing the screen) and bidirectional overrides reorder what it shows; a spreadsheet runs
a cell that starts like a formula; Markdown makes links, images, headings and @mentions. Nothing is
dropped: what is neutralised is shown as an escape (`\\x1b`, `\\u202e`), so the reader sees that
something was there. `terminal` and `csv_cell` are idempotent: a text neutralised twice (by a
caller, then by the console) reads the same as once.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO


def _visible_controls() -> dict[int, str]:
    """Every code point a terminal may act on, mapped to its escape.

    C0 controls except tab and newline (our own layout uses them; a carriage return would let text
    overwrite the line, so it goes), DEL, the C1 controls 0x80-0x9F (0x9B is an 8-bit CSI, 0x9D an
    8-bit OSC) and the Unicode bidirectional controls that reorder what a reader sees (the "Trojan
    Source" set, CVE-2021-42574: embeddings, overrides, isolates and the implicit marks)."""
    table = {cp: f"\\x{cp:02x}" for cp in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if cp not in (0x09, 0x0A)}
    for cp in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[cp] = f"\\u{cp:04x}"
    return table


_TERMINAL = _visible_controls()


def terminal(text: str) -> str:
    """Text a terminal shows and does not obey: its control characters written as escapes."""
    return text.translate(_TERMINAL)


# JSON escapes C0 controls itself; DEL, C1 and the bidi controls it leaves raw (ensure_ascii=False).
# In JSON text they can only stand inside a string, where \uXXXX means the same character.
_JSON = {cp: f"\\u{cp:04x}" for cp in _TERMINAL if cp >= 0x7F}


def json_text(text: str) -> str:
    """JSON text that parses to the same values and that a terminal cannot obey."""
    return text.translate(_JSON)


def stdout_text(text: str, *, is_json: bool, is_terminal: bool) -> str:
    """A machine format written to standard output: JSON through json_text (the same document);
    another format left byte for byte when it goes to a file or a pipe, made terminal-safe when a
    person is reading it on a terminal."""
    if is_json:
        return json_text(text)
    return terminal(text) if is_terminal else text


# --- CSV -----------------------------------------------------------------------------------------

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by Excel, LibreOffice
# or Google Sheets. A newline and NUL are added: some importers strip a leading one and then see the rest.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def csv_cell(value: Any) -> str:
    """A spreadsheet cell that cannot run and that the terminal cannot obey: control characters (but
    tab and newline, which a quoted cell holds, RFC 4180 2.6) as escapes, then a leading formula
    character defused with a single quote (OWASP), which spreadsheets take as "this is text".
    Rows are written by write_csv, which quotes every cell."""
    text = terminal("" if value is None else str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(out: TextIO, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """A CSV file of inert cells. RFC 4180: CRLF ends a record, so a bare CR or LF inside a cell is
    never taken for one. OWASP: every data cell is wrapped in double quotes (inner quotes doubled), so
    a cell holding another locale's separator (`;`) cannot split into a new, live cell. The header is
    ours and plain, and stays unquoted (`evidence_id,status,…`) for the scripts that look for it."""
    csv.writer(out, lineterminator="\r\n").writerow(csv_cell(h) for h in header)
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow(csv_cell(v) for v in row)


# --- Markdown --------------------------------------------------------------------------------------

# Line breaks of any kind end a table row, or start a heading, a list or a quote: they become spaces.
_LINE_BREAKS = re.compile("\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
# ASCII punctuation with an inline meaning in CommonMark or GitHub's flavour, escaped wherever it is:
# escapes, code, emphasis and strikethrough, links and images, HTML and autolinks, tables, entities,
# math. (CommonMark lets any ASCII punctuation be escaped.)
_MD_ALWAYS = frozenset("\\`*_~[]()!<>|&${}")
# What starts a block at the beginning of a line (a list, a setext heading, a thematic break).
_MD_LINE_START = frozenset("-+=")
# The `.` of an ordered list (`1.`), of a www. autolink, the `:` of a scheme:// autolink.
_MD_CONTEXT = re.compile(r"^\d+(\.)|(?i:www)(\.)|(:)//")
# GitHub links @user, @org/team and #123 in the rendered text, after Markdown, so a backslash does
# not stop it (and `#` starts a heading). A zero-width space after the sign stops both, written as an
# entity so the file shows it: what Dependabot and Renovate do to the release notes they quote.
_ZWSP = "&#8203;"


def markdown(text: Any, limit: int | None = None) -> str:
    """Markdown text that renders as exactly these characters, on one line, in a table cell, a
    paragraph or at the start of a line: no link, autolink, image, heading, list, HTML, emphasis,
    table break or @mention. `limit` shortens the text (before escaping: no escape is cut in half)."""
    plain = _LINE_BREAKS.sub(" ", str(text)).replace("\t", " ")
    if limit is not None and len(plain) > limit:
        plain = plain[: limit - 1] + "…"
    plain = terminal(plain)
    in_context = {m.start(g) for m in _MD_CONTEXT.finditer(plain) for g in (1, 2, 3) if m.start(g) >= 0}
    out = []
    for i, ch in enumerate(plain):
        if ch in _MD_ALWAYS or i in in_context or (i == 0 and ch in _MD_LINE_START):
            out.append("\\" + ch)
        elif ch in "@#":
            out.append(ch + _ZWSP)
        else:
            out.append(ch)
    return "".join(out)


def markdown_code(text: Any) -> str:
    """A code span holding the text: shown in a monospace font, never rendered or linked. The fence is
    longer than any run of backticks inside; `|` is still escaped, as GFM tables require even in code."""
    plain = terminal(_LINE_BREAKS.sub(" ", str(text)).replace("\t", " ")).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", plain)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if plain.startswith("`") or plain.endswith("`") or not plain.strip() else ""
    return f"{fence}{pad}{plain}{pad}{fence}"

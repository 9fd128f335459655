"""Golden files: an output as it was, with what legitimately differs run to run normalised away.

A demo run differs from the last only in clock times (and names AWS derives from them, such as an
automated RDS snapshot's, with the evidence ids of those resources), the loopback ports and temporary
paths of its local servers, where the checkout is, how long things took, the manifest's digests of
those files, and who ran it on which machine. Anything else that changes is a change of output, and
the test shows it as a diff.

`PCICHECK_UPDATE_GOLDEN=1 pytest tests/demo/test_golden.py` rewrites the files after an intended change.
"""

from __future__ import annotations

import difflib
import gzip
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pcicheck import results_doc
from pcicheck.report.formats import FORMATS, render

UPDATE = os.environ.get("PCICHECK_UPDATE_GOLDEN") == "1"

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z|\d{4}-\d{2}-\d{2}-\d{2}-\d{2}")
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_TMP = re.compile(re.escape(tempfile.gettempdir()) + r"/[\w.-]+")
_REPO = str(Path(__file__).resolve().parents[2])  # where this checkout is: the demo's config is read from it
_SECONDS = re.compile(r"\b\d+\.\d s\b")
_DIGEST = re.compile(r'"(sha256|bytes|digest)": ("[0-9a-f]{64}"|\d+)')
# Who ran it, on which machine and in which time zone: the record of the run, not its outcome.
_RUN_JSON = re.compile(r'"(operator|host|time_zone)": "[^"]*"')
_RUN_HTML = re.compile(r"(<dt>Run by</dt><dd>)[^<]*(</dd>)")


def timed_evidence_ids(doc: dict[str, Any]) -> set[str]:
    """Evidence ids are digests of control and resource uid: a uid holding the time changes its id."""
    return {r["id"] for r in results_doc.results(doc) if _TIME.search(r["resource"]["uid"])}


def normalise(text: str, timed_ids: set[str]) -> str:
    for evidence_id in sorted(timed_ids):
        text = text.replace(evidence_id, "EV-<time>")
    text = _TIME.sub("<time>", text)
    text = _PORT.sub("127.0.0.1:<port>", text)
    text = text.replace(_REPO, "<repo>")
    text = _TMP.sub("<tmp>", text)
    text = _RUN_JSON.sub(r'"\1": "<run>"', text)
    text = _RUN_HTML.sub(r"\1<run>\2", text)
    return _SECONDS.sub("<n> s", text)


def _readable(name: str, data: bytes) -> str:
    """The text compared: JSON documents re-indented in document order, so a golden diff reads line by line."""
    raw = gzip.decompress(data) if name.endswith(".gz") else data
    text = raw.decode("utf-8")
    if name.endswith((".json", ".json.gz")):
        text = json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"
    if name == "manifest.json":
        text = _DIGEST.sub(r'"\1": "<digest>"', text)
    return text


def pack_texts(pack: Path, console: str) -> dict[str, str]:
    """Every file of an evidence pack, the feeds rendered from it that a pack does not hold (SARIF,
    JUnit, findings.csv: `pcicheck report PACK --format`) and the console summary, normalised; keyed by golden file
    name."""
    doc = json.loads((pack / "results.json").read_bytes())
    timed = timed_evidence_ids(doc)
    texts = {"console.txt": normalise(console, timed)}
    for path in sorted(pack.iterdir()):
        name = path.name.removesuffix(".gz")
        texts[name] = normalise(_readable(path.name, path.read_bytes()), timed)
    for fmt in ("sarif", "junit", "csv"):
        name = FORMATS[fmt].file_name
        assert name not in texts, name
        texts[name] = normalise(_readable(name, render(fmt, doc)), timed)
    return texts


def _key(name: str, text: str) -> str:
    """What must be equal. The console summary wraps to the terminal, and a duration one digit longer
    moves a line break: there, runs of white space compare as one space."""
    return " ".join(text.split()) if name == "console.txt" else text


def compare(texts: dict[str, str], golden_dir: Path) -> list[str]:
    """Problems (a unified diff per differing file); with PCICHECK_UPDATE_GOLDEN=1, rewrite instead."""
    if UPDATE:
        golden_dir.mkdir(parents=True, exist_ok=True)
        for stale in golden_dir.iterdir():
            if stale.name not in texts:
                stale.unlink()
        for name, text in texts.items():
            (golden_dir / name).write_bytes(text.encode("utf-8"))  # exact: the CSV files end records with CRLF
        return []
    problems = []
    expected = {p.name: p.read_bytes().decode("utf-8") for p in sorted(golden_dir.iterdir())}  # CRLF kept
    for name in sorted(set(expected) | set(texts)):
        if name not in texts:
            problems.append(f"{name}: in the golden files, not written any more")
        elif name not in expected:
            problems.append(f"{name}: written, but has no golden file")
        elif _key(name, texts[name]) != _key(name, expected[name]):
            diff = difflib.unified_diff(
                expected[name].splitlines(keepends=True),
                texts[name].splitlines(keepends=True),
                f"golden/{name}",
                f"now/{name}",
                n=2,
            )
            problems.append("".join(list(diff)[:80]))
    return problems

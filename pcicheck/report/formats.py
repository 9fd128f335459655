"""The renderer map: every file format pcicheck writes from a results document, behind one protocol.

The results document itself (results.json, `--format json`) is what every renderer reads; it is
written by results_json from the evaluation, streamed when large. Everything here renders that
document, so a format can be written at scan time or later from a saved results.json, identically.
The console summary is not a file format: it reads the evaluation (report/console.py).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from pcicheck.report.asff import write_asff
from pcicheck.report.evidence_csv import write_evidence
from pcicheck.report.findings_csv import write_csv
from pcicheck.report.junit import write_junit
from pcicheck.report.ocsf import write_ocsf
from pcicheck.report.resources_csv import write_resources
from pcicheck.report.sarif import write_sarif
from pcicheck.report.summary_md import write_summary


class Renderer(Protocol):
    def __call__(self, doc: Mapping[str, Any], out: TextIO, /) -> None:
        """Write the rendering of one results document to `out`."""


@dataclass(frozen=True)
class Format:
    name: str  # its --format value
    file_name: str  # its file in the evidence pack
    render: Renderer
    description: str
    is_json: bool = False  # JSON text: on standard output through inert.json_text, not made terminal-safe
    # Feeds for other systems (code scanning, CI test reports, OCSF, ASFF) and findings.csv (evidence.csv's
    # rows that need attention, for a remediation tracker) are written when asked for (`--format`, at scan
    # time or later by `pcicheck report PACK --format`, from the same sealed results.json, byte for byte as
    # a scan writes them), not into every pack: each repeats the findings once more (at 20,000 Kubernetes
    # objects SARIF, JUnit and findings.csv were 177 MB of a 439 MB pack), the pack's own files already
    # hold every finding with its evidence, and ASFF needs an AWS account a Kubernetes-only scan lacks.
    in_pack: bool = True


def _html(doc: Mapping[str, Any], out: TextIO) -> None:
    from pcicheck.report.html import render_html  # Jinja2: imported only when a pack is written

    render_html(doc, out)


# In evidence-pack order (index.html first, then results.json, then these).
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("html", "index.html", _html, "the evidence pack's page, one offline file"),
        Format("sarif", "results.sarif", write_sarif, "SARIF 2.1.0 for code scanning", is_json=True, in_pack=False),
        Format("junit", "junit.xml", write_junit, "JUnit XML, one test suite per control", in_pack=False),
        Format("csv", "findings.csv", write_csv, "the findings, one row each, for spreadsheets", in_pack=False),
        Format(
            "evidence",
            "evidence.csv",
            write_evidence,
            "the evidence index: every result, passes included, with the evidence of each finding",
        ),
        Format("resources", "resources.csv", write_resources, "every resource judged, once, and where it was read"),
        Format("markdown", "summary.md", write_summary, "a summary for a pull-request comment"),
        Format(
            "ocsf",
            "findings.ocsf.json",
            write_ocsf,
            "OCSF 1.5.0 Compliance Findings (class 2003), a JSON array, passes included",
            is_json=True,
            in_pack=False,
        ),
        Format(
            "asff",
            "findings.asff.json",
            write_asff,
            "AWS Security Finding Format for Security Hub, a JSON array, passes included",
            is_json=True,
            in_pack=False,
        ),
    )
}
RESULTS_FILE = "results.json"


def render(name: str, doc: Mapping[str, Any]) -> bytes:
    """One format of one results document, as the bytes of its file."""
    buffer = io.StringIO()
    FORMATS[name].render(doc, buffer)
    return buffer.getvalue().encode()

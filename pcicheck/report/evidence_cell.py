"""A result's evidence as one text cell, for the formats read line by line (findings.csv, JUnit): JSON,
clipped at EVIDENCE_CHARS characters with a marker saying how much was left out and where the whole is.

An evidence value can list the whole estate (every namespace that may reach a workload): at 20,000
Kubernetes objects such a value is ~10 KB, written again for every finding that shows it, which made
findings.csv and junit.xml grow with findings × namespaces. A spreadsheet cell or a CI failure message
is read by a person, who needs the start of it and the evidence id; the whole value stays, once per
resource, in results.json, under the same evidence id. index.html clips each evidence value it shows at
the same length (pcicheck.report.html_text.pairs), for the same reason: the page is a viewer.
"""

from __future__ import annotations

import json
from typing import Any

EVIDENCE_CHARS = 1000  # characters: the ordinary evidence of a control (a container's security context) fits


def evidence_cell(evidence: Any) -> str:
    text = json.dumps(evidence, ensure_ascii=False, sort_keys=True)
    if len(text) <= EVIDENCE_CHARS:
        return text
    left = len(text) - EVIDENCE_CHARS
    return f"{text[:EVIDENCE_CHARS]}… ({left:,} more characters: the whole is in results.json, by evidence id)"

"""What the foreign finding formats (OCSF, ASFF) read from a results document, in one place: a result's
resource, the scan's times, the frameworks' titles and which results become findings.

A not_applicable result is not a finding about its resource (the control's `where` left it out), so
neither format carries one; every other status does, passes included: a compliance finding that passes
is the evidence GRC tools and Security Hub need, and it is what turns an imported failure into PASSED
when the resource is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from pcicheck import results_doc
from pcicheck.errors import InputError
from pcicheck.redact import redact_text

NOT_A_FINDING = "not_applicable"


def findings(doc: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Each result that is a finding, with its resource, in the document's (deterministic) order."""
    for result in results_doc.results(doc):
        if result["status"] != NOT_A_FINDING:
            yield result, result["resource"]


def scan_time(doc: Mapping[str, Any], key: str = "finished_at") -> datetime:
    """One of the document's times (ISO-8601 UTC, as pcicheck writes them), as an aware datetime."""
    text = doc[key]
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InputError(
            f"the results document's {key} {str(text)[:40]!r} is not an ISO-8601 UTC time",
            fix="pass the results.json pcicheck wrote, unedited",
        )
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """RFC 3339 with a Z, the form ASFF's examples and pcicheck's documents use."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def framework_titles(doc: Mapping[str, Any]) -> dict[str, str]:
    """Framework id → its title (`PCI DSS v4.0.1`) for every framework the document judged by."""
    entries = [doc["framework"]] + [v["framework"] for v in doc.get("also") or () if isinstance(v, Mapping)]
    return {str(f["id"]): str(f["title"]) for f in entries if isinstance(f, Mapping) and "id" in f and "title" in f}


def _mapped(result: Mapping[str, Any], titles: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """The result's (framework, requirement ids), the document's main framework first."""
    order = {fw: n for n, fw in enumerate(titles)}
    return sorted(result["requirements"].items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def standards(result: Mapping[str, Any], titles: Mapping[str, str]) -> list[str]:
    """The titles of the frameworks the result maps to (`PCI DSS v4.0.1`), main framework first."""
    return [titles.get(fw, fw) for fw, _ in _mapped(result, titles)]


def qualified_requirements(result: Mapping[str, Any], titles: Mapping[str, str]) -> list[str]:
    """`PCI DSS v4.0.1/3.7.4` for each requirement the result maps to, main framework first: ids alone
    are ambiguous across versions (3.6.4 in v3.2.1 is 3.7.4 in v4.0.1)."""
    return [f"{titles.get(fw, fw)}/{rid}" for fw, ids in _mapped(result, titles) for rid in ids]


class Outbound:
    """Findings about to leave for another system, every string in them (keys too) redacted once more:
    the snapshot was, but a results document may have been edited since. One per rendering: it
    remembers each string it has redacted, since most repeat from finding to finding (titles,
    messages, requirements, tags), which makes it three times faster than redact_value's walk."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def _text(self, text: str) -> str:
        done = self._seen.get(text)
        if done is None:
            done = self._seen[text] = redact_text(text)
        return done

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, Mapping):
            return {self._text(str(k)): self._value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(v) for v in value]
        return value

    def __call__(self, finding: dict[str, Any]) -> dict[str, Any]:
        return {self._text(k): self._value(v) for k, v in finding.items()}


def write_json_array(items: Iterable[Mapping[str, Any]], out: TextIO) -> None:
    """A JSON array, one element per line between the brackets (readable, diffable), written as each is
    made. ASCII only (other characters as \\u escapes, the same JSON): one non-ASCII character in a large
    rendering makes the in-memory buffer four bytes a character, 5 times the file instead of 2."""
    out.write("[\n")
    for n, item in enumerate(items):
        out.write(("," if n else "") + json.dumps(item, sort_keys=True) + "\n")
    out.write("]\n")

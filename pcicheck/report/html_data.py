"""The page's data block: what index.html draws on demand rather than as markup, so a page of 50,000
results stays a page a browser opens in a second or two.

Markup costs the browser for every element whether anyone looks at it or not. The evidence index
(every result) and the findings past the first few of each control are therefore written once, as
compact JSON in `<script type="application/json" id="pcicheck-data">`, and report.js draws the rows a
reader asks for (a page of the index, the next findings of a control, the rows a filter matches), each
cell as textContent. Each resource is in the block once, with its tags; a row names it by position.

The block is data, never code: the browser does not run a script element of that type, and the
Content-Security-Policy admits only report.js by hash. Its text is JSON with `<`, `>` and `&` written
as \\u escapes, so no `</script>` or `<!--` in a name or tag can end the element early, and every
string is clipped to a bounded length as the markup's are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from pcicheck.report.evidence_cell import EVIDENCE_CHARS
from pcicheck.report.evidence_csv import source_text
from pcicheck.report.html_text import clip, pairs, text

DATA_ID = "pcicheck-data"  # the element's id, as report.js finds it
_INERT = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def script_json(value: Any) -> Markup:
    """JSON that is inert inside a script element: no character of it can close the element or open
    a comment, so the element's text is exactly the JSON. The one text on the page not autoescaped by
    Jinja2 (autoescaping would turn quotes into entities, which a script element does not decode)."""
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _INERT:  # str.replace runs at memchr speed; translate() would visit every character
        encoded = encoded.replace(char, escape)
    return Markup(encoded)


@dataclass
class PageData:
    """The block's content, filled in the one pass over the results. Rows name statuses, controls and
    resources by position in their own lists, so each string is written once."""

    max_tags: int
    max_evidence: int
    listed: tuple[str, ...]  # statuses whose results are findings (anchored in the controls section)
    statuses: dict[str, int] = field(default_factory=dict)
    controls: dict[str, int] = field(default_factory=dict)
    control_rows: list[list[str]] = field(default_factory=list)  # id, testing procedures
    resources: dict[str, int] = field(default_factory=dict)
    resource_rows: list[list[Any]] = field(default_factory=list)  # see `resource`
    index: list[list[Any]] = field(default_factory=list)  # evidence id, status, control, resource
    pending: dict[str, list[list[Any]]] = field(default_factory=dict)  # control id → findings not in markup

    def status(self, status: str) -> int:
        return self.statuses.setdefault(clip(status, 40), len(self.statuses))

    def control(self, cid: str, procedures: list[Any]) -> int:
        at = self.controls.get(cid)
        if at is None:
            at = self.controls[cid] = len(self.control_rows)
            self.control_rows.append([clip(cid, 200), clip(", ".join(map(str, procedures)), 300)])
        return at

    def resource(self, res: Mapping[str, Any], *, detailed: bool = False) -> int:
        """A resource's row: what the index shows of it (name, uid, where it was read), the evidence values
        its drawn-from-data findings show, and — only once such a finding names it (`detailed`) — what a
        finding shows besides: type, account, region, scope and why, tenant, tags. Most resources only
        pass, so most rows stay three short strings."""
        uid = str(res.get("uid", ""))
        at = self.resources.get(uid)
        if at is None:
            at = self.resources[uid] = len(self.resource_rows)
            self.resource_rows.append([text(res.get("name")), text(uid), clip(source_text(res), 500), {}, 0])
        row = self.resource_rows[at]
        if detailed and not row[4]:
            tags, tags_more = pairs(res.get("tags"), self.max_tags)
            fields = ("type", "account", "region", "scope", "scope_reason", "tenant")
            row[4] = [*(text(res.get(k)) for k in fields), tags, tags_more]
        return at

    def result(self, r: Mapping[str, Any], cid: str, status: str, procedures: list[Any]) -> None:
        """One row of the evidence index."""
        self.index.append(
            [
                clip(str(r.get("id", "")), 40),
                self.status(status),
                self.control(cid, procedures),
                self.resource(r.get("resource") or {}),
            ]
        )

    def finding(self, cid: str, r: Mapping[str, Any], status: str) -> None:
        """A finding past the ones written as markup: drawn by report.js when asked for or matched. Its
        evidence values go in its resource's row (the same attribute, shown by several controls, once);
        the finding names their paths, or carries its own pairs when a value differs from the one there."""
        at = self.resource(r.get("resource") or {}, detailed=True)
        evidence, evidence_more = pairs(r.get("evidence"), self.max_evidence, EVIDENCE_CHARS)
        shown: dict[str, str] = self.resource_rows[at][3]
        if all(shown.setdefault(k, v) == v for k, v in evidence):
            evidence = [k for k, _ in evidence]  # type: ignore[misc]
        waiver, _ = pairs(r.get("waiver"), self.max_evidence)
        self.pending.setdefault(cid, []).append(
            [
                clip(str(r.get("id", "")), 100),
                self.status(status),
                at,
                text(r.get("message")),
                evidence,
                evidence_more,
                waiver,
            ]
        )

    def block(self) -> Markup:
        return script_json(
            {
                "statuses": list(self.statuses),
                "listed": list(self.listed),
                "controls": self.control_rows,
                "resources": self.resource_rows,
                "index": self.index,
                "pending": self.pending,
            }
        )

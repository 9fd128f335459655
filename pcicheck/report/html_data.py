"""The page's data block: what index.html draws on demand rather than as markup, so a page of 50,000
results stays a page a browser opens in a second or two.

Markup costs the browser for every element whether anyone looks at it or not. The evidence index
(every result), the findings past the first few of each control and the connected-to systems past the
first page are therefore written once, as compact JSON in
`<script type="application/json" id="pcicheck-data">`, and report.js draws the rows a reader asks for (a
page of the index, the next findings of a control, the rows a filter matches), each cell as textContent.

Each string that repeats is written once: the block's `strings` table holds evidence values, tag keys and
values, messages, types, scopes, reasons, sources and connected-to links, and rows name them by position
(as results.json's `values` table does for long evidence values). A resource is in the block once, with
its tags; a row names it by position. A connected-to system's links are one entry of `linksets`, shared by
every system with the same links (all workloads of a namespace, typically).

The block is data, never code: the browser does not run a script element of that type, and the
Content-Security-Policy admits only report.js by hash. Its text is JSON with `<`, `>` and `&` written
as \\u escapes, so no `</script>` or `<!--` in a name or tag can end the element early, and every
string is clipped to a bounded length as the markup's are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from pcicheck.report.evidence_cell import EVIDENCE_CHARS
from pcicheck.report.html_scope import Connected
from pcicheck.report.html_text import clip, pairs, text
from pcicheck.report.resources_csv import source_text

DATA_ID = "pcicheck-data"  # the element's id, as report.js finds it
_INERT = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
_DETAILS = ("type", "account", "region", "scope", "scope_reason", "tenant")  # what a finding shows of its resource


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
    """The block's content, filled in the one pass over the results. Rows name strings, statuses, controls
    and resources by position in their own lists, so each is written once."""

    max_tags: int
    max_evidence: int
    listed: tuple[str, ...]  # statuses whose results are findings (anchored in the controls section)
    strings: dict[str, int] = field(default_factory=dict)  # text → its position in the `strings` table
    statuses: dict[str, int] = field(default_factory=dict)
    controls: dict[str, int] = field(default_factory=dict)
    control_rows: list[list[str]] = field(default_factory=list)  # id, testing procedures
    resources: dict[str, int] = field(default_factory=dict)
    resource_rows: list[list[Any]] = field(default_factory=list)  # see `resource`
    index: list[Any] = field(default_factory=list)  # evidence id, status, control, resource: four per result
    pending: dict[str, list[list[Any]]] = field(default_factory=dict)  # control id → findings not in markup
    groups: list[list[list[Any]]] = field(default_factory=list)  # see `listed_rows`
    linksets: dict[tuple[int, ...], int] = field(default_factory=dict)  # a connected-to system's links, shared
    connected: list[list[Any]] = field(default_factory=list)  # see `connected_rows`

    @property
    def results(self) -> int:
        """Rows of the evidence index."""
        return len(self.index) // 4

    def string(self, value: str) -> int:
        """The position of `value` (already clipped) in the strings table, adding it the first time."""
        at = self.strings.get(value)
        if at is None:
            at = self.strings[value] = len(self.strings)
        return at

    def status(self, status: str) -> int:
        return self.statuses.setdefault(clip(status, 40), len(self.statuses))

    def control(self, cid: str, procedures: list[Any]) -> int:
        at = self.controls.get(cid)
        if at is None:
            at = self.controls[cid] = len(self.control_rows)
            self.control_rows.append([clip(cid, 200), clip(", ".join(map(str, procedures)), 300)])
        return at

    def resource(self, res: Mapping[str, Any], *, detailed: bool = False) -> int:
        """A resource's row: what the index shows of it (name, uid, and where it was read as a string's
        position), the evidence its drawn-from-data findings show (path, value string positions in turn), and —
        only once such a finding names it (`detailed`) — what a finding shows besides: type, account, region,
        scope and why, tenant (string positions), its tags as key, value positions in turn, and how many tags
        were left out. Most resources only pass, so most rows stay two short strings and a number."""
        uid = str(res.get("uid", ""))
        at = self.resources.get(uid)
        if at is None:
            at = self.resources[uid] = len(self.resource_rows)
            source = self.string(clip(source_text(res), 500))
            self.resource_rows.append([text(res.get("name")), text(uid), source, {}, 0])
        row = self.resource_rows[at]
        if detailed and not row[4]:
            tags, tags_more = pairs(res.get("tags"), self.max_tags)
            flat = [self.string(s) for pair in tags for s in pair]
            row[4] = [*(self.string(text(res.get(k))) for k in _DETAILS), flat, tags_more]
        return at

    def result(self, r: Mapping[str, Any], cid: str, status: str, procedures: list[Any]) -> None:
        """One row of the evidence index."""
        self.index += (
            clip(str(r.get("id", "")), 40),
            self.status(status),
            self.control(cid, procedures),
            self.resource(r.get("resource") or {}),
        )

    def finding(self, cid: str, r: Mapping[str, Any], status: str) -> None:
        """A finding past the ones written as markup: drawn by report.js when asked for or matched. Its
        evidence values go in its resource's row (the same attribute, shown by several controls, once);
        the finding names their paths (string positions), or carries its own pairs when a value differs
        from the one there."""
        at = self.resource(r.get("resource") or {}, detailed=True)
        evidence, evidence_more = pairs(r.get("evidence"), self.max_evidence, EVIDENCE_CHARS)
        shown: dict[int, int] = self.resource_rows[at][3]  # flattened by `block`
        named: list[Any] = []
        for k, v in evidence:
            path, value = self.string(k), self.string(v)
            if shown.setdefault(path, value) != value:
                named = [list(pair) for pair in evidence]
                break
            named.append(path)
        waiver, _ = pairs(r.get("waiver"), self.max_evidence)
        self.pending.setdefault(cid, []).append(
            [
                clip(str(r.get("id", "")), 100),
                self.status(status),
                at,
                self.string(text(r.get("message"))),
                named,
                evidence_more,
                [list(pair) for pair in waiver],
            ]
        )

    def listed_rows(self, briefs: list[tuple[str, str, str, str]]) -> int:
        """Collapsed results named past the first few of their group, drawn when the group opens: evidence
        id, resource position, and its evidence on one line (a string's position); and the name shown, only
        when it is not the resource row's name (or uid, for a resource without one). Returns the list's
        position in `groups`."""
        rows: list[list[Any]] = []
        for eid, uid, detail, name in briefs:
            at = self.resources[uid]
            row: list[Any] = [eid, at, self.string(detail)]
            if name != (self.resource_rows[at][0] or self.resource_rows[at][1]):
                row.append(name)
            rows.append(row)
        self.groups.append(rows)
        return len(self.groups) - 1

    def connected_rows(self, systems: Iterable[Connected]) -> None:
        """The connected-to systems, for the pages of their table past the first: name, uid, type (a string's
        position), 1 if its scope was declared, its links (a `linksets` position: direction, peer and verdict
        string positions in turn), and the verdicts of CDE controls on it as status, count pairs."""
        for c in systems:
            links = tuple(self.string(s) for link in c.links for s in link)
            linkset = self.linksets.setdefault(links, len(self.linksets))
            verdicts = [[s, n] for s, n in c.verdicts]
            self.connected.append([c.name, c.uid, self.string(c.type), int(c.tagged), linkset, verdicts])

    def block(self) -> Markup:
        # A resource's evidence, a path → value map while findings fill it, is written as flat pairs.
        resources = [[*row[:3], [n for pair in row[3].items() for n in pair], row[4]] for row in self.resource_rows]
        return script_json(
            {
                "strings": list(self.strings),
                "statuses": list(self.statuses),
                "listed": list(self.listed),
                "controls": self.control_rows,
                "resources": resources,
                "index": self.index,
                "pending": self.pending,
                "groups": self.groups,
                "linksets": [list(links) for links in self.linksets],
                "connected": self.connected,
            }
        )

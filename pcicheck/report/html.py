"""index.html: the auditor's evidence page, rendered from a results document (`pcicheck/results/v2`, or v1).

One self-contained file: CSS and script inline, charts as inline SVG, no URL anywhere, so it opens
from a USB stick with no network. A Content-Security-Policy in the page itself forbids every fetch
and allows only our own style and script, by hash.

Names, tags, labels and evidence values are attacker-controlled. They reach the page only through
Jinja2 with autoescaping on, only as text or inside attribute values (never as a URL other than a
`#fragment` we build, never inside the script or style), and every string is clipped to a bounded
length. The script reads the page through the DOM and never writes markup.

Large estates: passing and not-applicable results are collapsed per control into counts with the first
MAX_LISTED names, INLINE_LISTED of them as markup and the rest drawn when the list opens. Failures, errors
and waived results are listed one by one with their evidence: the first INLINE_FINDINGS of each control as
markup, the rest, and the evidence index of every result, in the page's data block (html_data), drawn by
the script when asked for or matched by a filter. Connected-to systems past the first CONNECTED_ROWS are
drawn a page at a time. Markup is what a browser pays for whether anyone looks or not (a Kubernetes
estate of 20,000 objects once wrote 900,000 elements and took 13 s to open); the data block writes each
repeated string once. The page grows with resources plus results, not their product, and 50,000 results
open in a second or two.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import jinja2
from markupsafe import Markup

from pcicheck import paths, results_doc
from pcicheck.evaluate.rollup import RequirementOutcome
from pcicheck.report import html_scope, html_segmentation, html_unmapped
from pcicheck.report.evidence_cell import EVIDENCE_CHARS
from pcicheck.report.html_data import DATA_ID, PageData
from pcicheck.report.html_text import clip, pairs, show_value, text

MAX_LISTED = 100  # passing or not-applicable resources named per control (and reason); the rest are counted
MAX_TAGS = 50  # tags or labels shown per resource
MAX_EVIDENCE = 50  # evidence attributes shown per result
MAX_ERROR_RESULTS = 200  # `error` results repeated in the collection-errors section
# Connected-to systems written as markup (shown with scripting off too); past them, the table is drawn a page
# at a time from the data block. A namespace's workloads each have a row, so a cluster has thousands.
CONNECTED_ROWS = 100
# Findings per control written as markup (shown with scripting off too); the rest are drawn on demand.
INLINE_FINDINGS = 10
# Collapsed results named as markup per group; the rest of the MAX_LISTED are drawn when the list opens.
# A group naming up to twice as many writes them all: a placeholder for a handful would save nothing.
INLINE_LISTED = 10

STATUSES = ("fail", "error", "needs_configuration", "waived", "pass", "not_applicable")
# A requirement's outcome, worst first (see evaluate/rollup.py).
OUTCOMES = tuple(o.value for o in RequirementOutcome)
LISTED_IN_FULL = ("fail", "error", "waived")
SEVERITIES = ("critical", "high", "medium", "low")
CHART_COLOURS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "error": "#e65100",
    "needs_configuration": "#ad1457",
    "waived": "#6a1b9a",
    "not_applicable": "#9e9e9e",
    "manual": "#546e7a",
}


@dataclass(frozen=True)
class Finding:
    """A result listed in full: failures, errors and waived results."""

    id: str
    status: str
    name: str
    type: str
    uid: str
    account: str
    region: str
    scope: str
    scope_reason: str
    tenant: str
    message: str
    tags: list[tuple[str, str]]
    tags_more: int
    evidence: list[tuple[str, str]]
    evidence_more: int
    waiver: list[tuple[str, str]]


@dataclass(frozen=True)
class Brief:
    """A collapsed result named in a short list: evidence id, resource name and its evidence on one line."""

    id: str
    name: str
    detail: str
    uid: str  # the resource's, as the data block keys it


@dataclass
class Group:
    """Results of one control collapsed into a count: all passes, or the not-applicable ones of one reason."""

    status: str
    label: str
    count: int = 0
    shown: list[Brief] = field(default_factory=list)
    drawn: int = -1  # the data block's list of those named past the first INLINE_LISTED, if any

    @property
    def more(self) -> int:
        return self.count - len(self.shown)

    @property
    def inline(self) -> list[Brief]:
        return self.shown if len(self.shown) <= 2 * INLINE_LISTED else self.shown[:INLINE_LISTED]

    @property
    def pending(self) -> int:
        return len(self.shown) - len(self.inline)


@dataclass
class ControlView:
    id: str
    title: str
    severity: str
    domain: str
    resource_type: str
    scope: str
    requirements: list[str]  # in the document's framework
    other_frameworks: list[tuple[str, str]]
    by_framework: dict[str, list[str]]  # every framework's testing procedure ids
    basis: list[tuple[str, str]]  # framework → where its mapping comes from
    definition: list[tuple[str, str]]  # where (and what it selects), assert, params: the CEL it ran
    rationale: str
    remediation: str
    evidence: list[str]
    source: str
    counts: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    pending: int = 0  # findings past INLINE_FINDINGS, in the data block
    passing: Group = field(default_factory=lambda: Group("pass", "passing"))
    not_applicable: dict[str, Group] = field(default_factory=dict)
    # Resources not judged because a site param is unset: counted under the control, with what to set.
    unconfigured: Group | None = None

    @property
    def statuses(self) -> str:
        return " ".join(s for s in STATUSES if self.counts.get(s))

    @property
    def counts_text(self) -> str:
        return _counts_text(self.counts) or "no resources of this type"


@dataclass(frozen=True)
class ProcedureView:
    """One testing procedure: how the assessor looks, what it checks, and what the controls mapped to it found."""

    id: str
    methods: str
    about: str
    outcome: str
    reason: str
    automatable: bool
    direct: list[ControlView]


@dataclass(frozen=True)
class RequirementView:
    id: str
    title: str
    parent: str
    depth: int
    outcome: str
    reason: str
    manual: bool
    counts: dict[str, int]
    controls_below: int
    direct: list[ControlView]  # controls naming the requirement itself (a framework without procedures)
    procedures: list[ProcedureView]

    @property
    def assessors(self) -> list[str]:
        """The procedures left to the assessor: not automatable, or no control evidences them. Without
        procedures listed, a process requirement is the assessor's as a whole."""
        if not self.procedures:
            return [self.id] if self.manual else []
        return [p.id for p in self.procedures if not p.automatable or p.outcome == "not_evidenced"]

    @property
    def counts_text(self) -> str:
        return _counts_text(self.counts)


@dataclass(frozen=True)
class RequirementSection:
    """One framework's requirement tree. The report's own framework is first; the others follow, their
    anchors prefixed with the framework id so the same requirement number never collides."""

    framework: str
    title: str
    note: str
    anchor: str  # the section's id
    prefix: str  # before each requirement's id in its anchor
    requirements: list[RequirementView]


@dataclass(frozen=True)
class ErrorView:
    where: str
    call: str
    code: str
    message: str
    resource_uid: str
    resource_types: list[str]
    attributes: list[str]
    controls: list[str]
    unproven: list[str]


@dataclass(frozen=True)
class Bar:
    """One row of the summary chart: a top-level requirement and its results, as SVG geometry."""

    id: str
    title: str
    full_title: str
    outcome: str
    y: int
    segments: list[tuple[str, float, float, int]]  # status, x, width, count
    total: int


def _counts_text(counts: Mapping[str, int]) -> str:
    return " · ".join(f"{counts[s]:,} {s.replace('_', ' ')}" for s in STATUSES if counts.get(s))


def _basis_text(basis: Any) -> str:
    if not isinstance(basis, Mapping):
        return clip(basis)
    source, ref = str(basis.get("source", "")), basis.get("ref")
    label = {"pci-ssc": "PCI SSC", "aws": "AWS", "peer": "peer", "inferred": "inferred (see why it is evidence)"}
    return clip(label.get(source, source) + (f": {ref}" if ref else ""))


def _definition(c: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the control ran, so an assessor can re-perform it: the CEL `where` and `assert` and the params."""
    lines = []
    if "where" in c:
        judged = f" (it judges only {c['applies_to']})" if c.get("applies_to") else ""
        lines.append(("Selects (where)", clip(str(c["where"])) + judged))
    if "assert" in c:
        lines.append(("Asserts", clip(str(c["assert"]))))
    if c.get("params"):
        lines.append(("Params in effect", show_value(c["params"])))
    return lines


def _control_view(c: Mapping[str, Any], framework: str) -> ControlView:
    reqs = c.get("requirements") or {}
    return ControlView(
        id=clip(str(c.get("id", "")), 200),
        title=text(c.get("title")),
        severity=str(c.get("severity", "")),
        domain=str(c.get("domain", "")),
        resource_type=text(c.get("resource_type")),
        scope=text(c.get("scope")),
        requirements=[clip(str(r), 50) for r in reqs.get(framework, [])],
        other_frameworks=[
            (clip(fw, 100), clip(", ".join(map(str, ids)))) for fw, ids in reqs.items() if fw != framework
        ],
        by_framework={str(fw): [str(r) for r in ids] for fw, ids in reqs.items() if isinstance(ids, list)},
        basis=[(clip(fw, 100), _basis_text(b)) for fw, b in (c.get("basis") or {}).items()],
        definition=_definition(c),
        rationale=text(c.get("rationale")),
        remediation=text(c.get("remediation")),
        evidence=[clip(str(e), 200) for e in c.get("evidence") or []],
        source=text(c.get("source")),
    )


def _long_date(iso: str) -> str:
    """2024-03-31 → 31 March 2024; anything else as given (clipped)."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return clip(iso, 40)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _brief_detail(evidence: Any) -> str:
    if not isinstance(evidence, Mapping) or not evidence:
        return ""
    return clip("; ".join(f"{k}={show_value(v)}" for k, v in list(evidence.items())[:MAX_EVIDENCE]), 400)


def _finding(r: Mapping[str, Any]) -> Finding:
    res = r.get("resource") or {}
    tags, tags_more = pairs(res.get("tags"), MAX_TAGS)
    evidence, evidence_more = pairs(r.get("evidence"), MAX_EVIDENCE, EVIDENCE_CHARS)
    waiver, _ = pairs(r.get("waiver"), MAX_EVIDENCE)
    return Finding(
        id=clip(str(r.get("id", "")), 100),
        status=str(r.get("status", "")),
        name=text(res.get("name")),
        type=text(res.get("type")),
        uid=text(res.get("uid")),
        account=text(res.get("account")),
        region=text(res.get("region")),
        scope=text(res.get("scope")),
        scope_reason=text(res.get("scope_reason")),
        tenant=text(res.get("tenant")),
        message=text(r.get("message")),
        tags=tags,
        tags_more=tags_more,
        evidence=evidence,
        evidence_more=evidence_more,
        waiver=waiver,
    )


def _depths(requirements: list[Mapping[str, Any]]) -> dict[str, int]:
    parent = {str(q.get("id")): q.get("parent") for q in requirements}
    depth: dict[str, int] = {}
    for rid in parent:
        chain: list[str] = []
        node: Any = rid
        # A parent cycle in a hand-edited document must not hang the renderer: stop at the tree's size.
        while node is not None and node in parent and node not in depth and len(chain) <= len(parent):
            chain.append(node)
            node = parent[node]
        base = depth.get(node, -1) if node is not None else -1
        for n in reversed(chain):
            base += 1
            depth[n] = base
    return depth


@dataclass
class _Tally:
    """What the results say about the estate, counted in the one pass over them."""

    seen: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # uid → type, scope, reason
    tenants: Counter[str] = field(default_factory=Counter)
    accounts: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    out_of_scope: Counter[str] = field(default_factory=Counter)  # reason → results neither passing nor listed
    severity_failures: Counter[str] = field(default_factory=Counter)

    def resource(self, res: Mapping[str, Any]) -> None:
        uid = str(res.get("uid", ""))
        if uid in self.seen:
            return
        self.seen[uid] = (str(res.get("type", "")), str(res.get("scope", "")), str(res.get("scope_reason", "")))
        if res.get("tenant"):
            self.tenants[str(res["tenant"])] += 1
        if res.get("account"):
            self.accounts.add(str(res["account"]))
        if res.get("region"):
            self.regions.add(str(res["region"]))


def _collapse(view: ControlView, r: Mapping[str, Any], status: str, tally: _Tally) -> None:
    """Counts a passing or not-applicable result into its control's group, naming the first few."""
    if status == "pass":
        group = view.passing
    elif status == "needs_configuration":
        if view.unconfigured is None:
            view.unconfigured = Group(
                status, clip(str(r.get("message", "")).removeprefix("needs configuration: "), 400)
            )
        group = view.unconfigured
    else:
        reason = str(r.get("message", ""))
        tally.out_of_scope[reason] += 1
        if reason not in view.not_applicable:
            view.not_applicable[reason] = Group(status, clip(reason, 300))
        group = view.not_applicable[reason]
    group.count += 1
    if len(group.shown) < MAX_LISTED:
        group.shown.append(_brief(r))


@dataclass
class Page:
    """Everything the template shows, worked out from the results document in one pass over results."""

    doc: Mapping[str, Any]
    framework: str = ""
    controls: list[ControlView] = field(default_factory=list)
    requirements: list[RequirementView] = field(default_factory=list)
    errors: list[ErrorView] = field(default_factory=list)
    error_results: list[tuple[Brief, str, str]] = field(default_factory=list)  # result, control id, message
    error_results_total: int = 0
    unconfigured: list[tuple[str, str, int]] = field(default_factory=list)  # control id, what to set, results
    bars: list[Bar] = field(default_factory=list)
    chart_height: int = 0
    resource_types: list[tuple[str, list[int]]] = field(default_factory=list)  # type, count per PCI scope
    scope_reasons: list[tuple[str, str, int]] = field(default_factory=list)
    tenants: list[tuple[str, int]] = field(default_factory=list)
    out_of_scope: list[tuple[str, int]] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    resources_judged: int = 0
    severity_failures: list[tuple[str, int]] = field(default_factory=list)
    requirement_statuses: list[tuple[str, int]] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    manual_only: list[RequirementView] = field(default_factory=list)
    manual_partly: list[RequirementView] = field(default_factory=list)
    scan: list[tuple[str, str]] = field(default_factory=list)
    not_scanned: list[str] = field(default_factory=list)
    connected: list[html_scope.Connected] = field(default_factory=list)
    # uid → status → results of CDE controls on a connected-to system: verdicts that come from its scope
    judged_as_connected: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    data: PageData = field(default_factory=lambda: PageData(MAX_TAGS, MAX_EVIDENCE, LISTED_IN_FULL))
    requirement_of: dict[str, str] = field(default_factory=dict)  # testing procedure id → its requirement
    sections: list[RequirementSection] = field(default_factory=list)
    unmapped: html_unmapped.UnmappedSection | None = None  # failed Checkov checks with no PCI DSS mapping
    segmentation: html_segmentation.SegmentationSection | None = None  # the plans, when networks were scanned

    @classmethod
    def build(cls, doc: Mapping[str, Any]) -> Page:
        page = cls(doc=doc, framework=str((doc.get("framework") or {}).get("id", "")))
        page._controls_and_results(results_doc.results(doc), doc.get("controls") or [])
        page._requirements(doc.get("requirements") or [])
        page._errors(doc.get("errors") or [], doc.get("controls") or [])
        page._chart()
        page._scan(doc.get("snapshot") or {})
        page._unmapped((doc.get("snapshot") or {}).get("request") or {})
        page.segmentation = html_segmentation.read(doc)
        page.connected = html_scope.connected(results_doc.connected_to(doc), page.judged_as_connected, MAX_TAGS)
        if len(page.connected) > CONNECTED_ROWS:
            page.data.connected_rows(page.connected)
        return page

    def _scan(self, snap: Mapping[str, Any]) -> None:
        """What was asked for and who asked, as label/value lines for the scope statement."""
        identity = snap.get("identity") or {}
        request = snap.get("request") or {}
        providers = [str(p) for p in request.get("providers") or []]
        lines = [("Providers scanned", ", ".join(providers) or "none recorded")]
        lines += html_scope.aws_lines(identity, request)
        lines += html_scope.k8s_lines(identity, request)
        lines += html_scope.manifest_lines(identity, request)
        lines += html_scope.selector_lines(self.doc.get("scope") or {})
        lines += html_scope.population_lines(self.doc.get("population") or {})
        lines += html_scope.run_lines(self.doc.get("run") or {}, self.doc.get("config") or {})
        lines.append(
            ("Resources", f"{snap.get('resources', '?')} collected; {self.resources_judged:,} judged by a control")
        )
        if self.accounts:
            lines.append(("Accounts and clusters with results", ", ".join(self.accounts)))
        if self.regions:
            lines.append(("Regions and namespaces with results", ", ".join(self.regions)))
        for provider, value in identity.items():
            if provider not in ("aws", "k8s", "manifests"):
                lines.append((f"Identity ({provider})", show_value(value)))
        self.scan = [(clip(k, 200), clip(v)) for k, v in lines]
        self.not_scanned += html_scope.not_scanned(providers)

    def _unmapped(self, request: Mapping[str, Any]) -> None:
        """Checkov's text is untrusted like every other field: each cell is clipped here, escaped by the template."""
        found = html_unmapped.read(request)
        if found is not None:
            rows = [html_unmapped.UnmappedRow._make(clip(v, 500) for v in row) for row in found.rows]
            self.unmapped = dataclasses.replace(found, rows=rows)

    def _controls_and_results(self, results: Iterable[Mapping[str, Any]], controls: list[Mapping[str, Any]]) -> None:
        by_id = {str(c.get("id", "")): _control_view(c, self.framework) for c in controls}
        tally = _Tally()
        listed: dict[str, list[list[Mapping[str, Any]]]] = {}  # control → its findings, one list per status
        for r in results:
            cid = str(r.get("control", ""))
            view = by_id.get(cid)
            if view is None:
                # A document without its controls (or a hand-trimmed one): the result carries enough.
                view = by_id[cid] = _control_view(
                    {k: r.get(k) for k in ("title", "severity", "domain", "requirements")} | {"id": cid}, self.framework
                )
            status = str(r.get("status", ""))
            view.counts[status] += 1
            res = r.get("resource") or {}
            tally.resource(res)
            if res.get("scope") == "connected-to" and view.scope == "cde" and status != "not_applicable":
                self.judged_as_connected[str(res.get("uid", ""))][status] += 1
            self.data.result(r, cid, status, (r.get("requirements") or {}).get(self.framework) or [])
            if status in LISTED_IN_FULL:
                listed.setdefault(cid, [[] for _ in LISTED_IN_FULL])[LISTED_IN_FULL.index(status)].append(r)
                self._count_finding(view, r, status, tally)
            else:
                _collapse(view, r, status, tally)
        # Failures first within a control, then errors, then waived; each in the document's order. The
        # first few as markup, the rest as data.
        for cid, by_status in listed.items():
            view = by_id[cid]
            for n, r in enumerate(r for rows in by_status for r in rows):
                if n < INLINE_FINDINGS:
                    view.findings.append(_finding(r))
                else:
                    self.data.finding(view.id, r, str(r.get("status", "")))
                    view.pending += 1
        self._summarise(by_id, tally)

    def _count_finding(self, view: ControlView, r: Mapping[str, Any], status: str, tally: _Tally) -> None:
        if status == "fail":
            tally.severity_failures[str(r.get("severity", view.severity))] += 1
        elif status == "error":
            self.error_results_total += 1
            if len(self.error_results) < MAX_ERROR_RESULTS:
                self.error_results.append((_brief(r), view.id, clip(r.get("message", ""), 400)))

    def _summarise(self, by_id: dict[str, ControlView], tally: _Tally) -> None:
        self.controls = sorted(by_id.values(), key=lambda v: v.id)
        for view in self.controls:
            groups = [view.passing, *([view.unconfigured] if view.unconfigured else []), *view.not_applicable.values()]
            for group in groups:
                if group.pending:
                    group.drawn = self.data.listed_rows(
                        [(b.id, b.uid, b.detail, b.name) for b in group.shown[len(group.inline) :]]
                    )
        self.unconfigured = [
            (v.id, v.unconfigured.label, v.unconfigured.count) for v in self.controls if v.unconfigured
        ]
        self.domains = sorted({v.domain for v in self.controls if v.domain})
        types: dict[str, Counter[str]] = defaultdict(Counter)
        reasons: Counter[tuple[str, str]] = Counter()
        for rtype, scope, reason in tally.seen.values():
            types[rtype][scope] += 1
            reasons[(scope, reason)] += 1
        self.resources_judged = len(tally.seen)
        self.resource_types = sorted((clip(t, 200), [n[s] for s in html_scope.PCI_SCOPES]) for t, n in types.items())
        self.scope_reasons = [(clip(s, 100), clip(r, 300), n) for (s, r), n in sorted(reasons.items())]
        self.tenants = [(clip(t, 300), n) for t, n in sorted(tally.tenants.items())]
        self.out_of_scope = [(clip(m, 300), n) for m, n in tally.out_of_scope.most_common()]
        self.severity_failures = [(s, tally.severity_failures.get(s, 0)) for s in SEVERITIES]
        self.accounts = [clip(a, 200) for a in sorted(tally.accounts)]
        self.regions = [clip(r, 200) for r in sorted(tally.regions)]

    def _requirements(self, requirements: list[Mapping[str, Any]]) -> None:
        outcomes: Counter[str] = Counter()
        self.requirements = self._requirement_views(requirements, self.framework)
        for req in self.requirements:
            outcomes[req.outcome] += 1
            self.requirement_of.update((p.id, req.id) for p in req.procedures)
            if req.outcome == "manual":
                self.manual_only.append(req)
            elif req.outcome != "in_place_automated" and req.assessors:
                self.manual_partly.append(req)
        self.requirement_statuses = [(s, outcomes[s]) for s in OUTCOMES if outcomes.get(s)]
        fw = self.doc.get("framework") or {}
        self.sections = [self._section(fw, self.requirements, own=True)]
        for other in self.doc.get("also") or []:
            other_fw = other.get("framework") or {}
            views = self._requirement_views(other.get("requirements") or [], str(other_fw.get("id", "")))
            self.sections.append(self._section(other_fw, views, own=False))

    def _section(self, fw: Mapping[str, Any], views: list[RequirementView], *, own: bool) -> RequirementSection:
        fid = clip(str(fw.get("id", "")), 100)
        retired = fw.get("retired")
        note = (
            f"PCI SSC retired this version on {_long_date(str(retired))}: shown for continuity with earlier "
            "assessments, judged from the same results."
            if retired
            else ("" if own else "Judged from the same results.")
        )
        return RequirementSection(
            framework=fid,
            title=text(fw.get("title") or fw.get("id") or ""),
            note=note,
            anchor="requirements" if own else f"requirements-{fid}",
            prefix="" if own else f"{fid}:",
            requirements=views,
        )

    def _requirement_views(self, requirements: list[Mapping[str, Any]], framework: str) -> list[RequirementView]:
        direct: dict[str, list[ControlView]] = defaultdict(list)
        for view in self.controls:
            for pid in view.by_framework.get(framework, view.requirements if framework == self.framework else []):
                direct[pid].append(view)
        depths = _depths(requirements)
        views = []
        for q in requirements:
            rid = str(q.get("id", ""))
            procedures = [self._procedure(p, direct) for p in q.get("procedures") or []]
            views.append(
                RequirementView(
                    id=clip(rid, 50),
                    title=text(q.get("title")),
                    parent=clip(str(q.get("parent") or ""), 50),
                    depth=min(depths.get(rid, 0), 6),
                    outcome=str(q.get("outcome", "")),
                    reason=text(q.get("reason")),
                    manual=bool(q.get("manual")),
                    counts={str(k): v for k, v in (q.get("counts") or {}).items() if isinstance(v, int) and v > 0},
                    controls_below=len(q.get("controls") or []),
                    direct=[] if procedures else direct.get(rid, []),
                    procedures=procedures,
                )
            )
        return views

    def _procedure(self, p: Mapping[str, Any], direct: Mapping[str, list[ControlView]]) -> ProcedureView:
        pid = str(p.get("id", ""))
        methods = [str(m) for m in p.get("methods") or []]
        return ProcedureView(
            id=clip(pid, 50),
            methods=clip(", ".join(methods), 200),
            about=text(p.get("about")),
            outcome=clip(str(p.get("outcome", "")), 40),
            reason=text(p.get("reason")),
            automatable=methods == ["configuration"],
            direct=direct.get(pid, []),
        )

    def _errors(self, errors: list[Mapping[str, Any]], controls: list[Mapping[str, Any]]) -> None:
        """Each collection error with the requirements it leaves unproven: the requirements, in this
        framework, of every control that reads a resource type the failed call would have produced."""
        by_type: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for c in controls:
            by_type[str(c.get("resource_type", ""))].append(c)
        order = {v.id: i for i, v in enumerate(self.requirements)}
        for e in errors:
            types = [str(t) for t in e.get("resource_types") or []]
            hit = sorted({str(c.get("id")) for t in types for c in by_type.get(t, ())})
            reqs = {
                self.requirement_of.get(str(pid), str(pid))
                for t in types
                for c in by_type.get(t, ())
                for pid in (c.get("requirements") or {}).get(self.framework, [])
            }
            where = " / ".join(str(e[k]) for k in ("provider", "account", "region") if e.get(k))
            call = ":".join(str(e[k]) for k in ("service", "operation") if e.get(k))
            self.errors.append(
                ErrorView(
                    where=clip(where, 300),
                    call=clip(call, 300),
                    code=text(e.get("code")),
                    message=text(e.get("message")),
                    resource_uid=text(e.get("resource_uid")),
                    resource_types=[clip(t, 200) for t in types],
                    attributes=[clip(str(a), 200) for a in e.get("attributes") or []],
                    controls=[clip(c, 200) for c in hit],
                    unproven=[clip(r, 50) for r in sorted(reqs, key=lambda r: (order.get(r, len(order)), r))],
                )
            )

    def _chart(self) -> None:
        """A stacked bar per top-level requirement: the share of its results in each status."""
        y = 0
        for q in self.requirements:
            if q.parent:
                continue
            counts = q.counts
            total = sum(counts.values())
            segments, x = [], 0.0
            for s in STATUSES:
                n = counts.get(s, 0)
                if n:
                    width = 100.0 * n / total
                    segments.append((s, round(x, 3), round(width, 3), n))
                    x += width
            # The chart has room for about 55 characters of title; the table under it has the rest.
            short = q.title if len(q.title) <= 56 else q.title[:55].rstrip() + "…"
            self.bars.append(Bar(q.id, short, q.title, q.outcome, y, segments, total))
            y += 26
        self.chart_height = y


def _brief(r: Mapping[str, Any]) -> Brief:
    res = r.get("resource") or {}
    return Brief(
        clip(str(r.get("id", "")), 100),
        clip(res.get("name") or res.get("uid") or "", 300),
        _brief_detail(r.get("evidence")),
        str(res.get("uid", "")),
    )


@dataclass(frozen=True)
class Assets:
    """The inline style and script, and the Content-Security-Policy that admits exactly them."""

    style: Markup
    script: Markup
    csp: str


def csp_hash(text: str) -> str:
    """The CSP source that admits exactly this inline style or script."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def template_environment(directory: Path) -> jinja2.Environment:
    """Jinja2 as every page pcicheck writes uses it: autoescaping on, undefined names an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _assets(directory: Path) -> Assets:
    style = (directory / "report.css").read_text(encoding="utf-8")
    script = (directory / "report.js").read_text(encoding="utf-8")
    csp = (
        f"default-src 'none'; style-src '{csp_hash(style)}'; script-src '{csp_hash(script)}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    # Both files are ours, shipped with the package: the only text on the page not escaped.
    return Assets(Markup(style), Markup(script), csp)


def render_html(doc: Mapping[str, Any], out: TextIO) -> None:
    """Write index.html for a results document to `out`, chunk by chunk as the template produces it."""
    directory = paths.templates_dir()
    env = template_environment(directory)
    page = Page.build(doc)
    template = env.get_template("index.html.j2")
    context = {
        "doc": doc,
        "page": page,
        "assets": _assets(directory),
        "clip": clip,
        "show_value": show_value,
        "statuses": STATUSES,
        "severities": SEVERITIES,
        "colours": CHART_COLOURS,
        "max_listed": MAX_LISTED,
        "inline_findings": INLINE_FINDINGS,
        "connected_rows": CONNECTED_ROWS,
        "data_id": DATA_ID,
    }
    batch: list[str] = []
    for chunk in template.generate(context):
        batch.append(chunk)
        if len(batch) >= 2048:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))

"""The history pack's two documents: history.json (`pcicheck/history/v1`, for machines) and index.html
(for people: one offline file, timelines as inline SVG, no script).

index.html follows the evidence page's discipline (report/html.py): every value from a pack (titles,
pack names, identities) reaches the page only through Jinja2 with autoescaping on, as text or inside a
<title>, clipped; the one stylesheet is ours, admitted by its hash in the page's own
Content-Security-Policy, which forbids scripts and every fetch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from pcicheck import __version__, paths
from pcicheck.history.period import show_duration
from pcicheck.history.read import Skipped
from pcicheck.history.timeline import History, Subject, status_class
from pcicheck.report.html import csp_hash, template_environment
from pcicheck.report.html_text import clip

SCHEMA = "pcicheck/history/v1"
WIDTH = 600  # the timelines' drawing width (viewBox units); the page scales them
LAST = 8  # width of the last scan's segment: it holds from its scan on, to an end nobody saw
SHOWN_STATUSES = ("failing", "unproven", "supported", "other")


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _hours(length: timedelta | None) -> float | None:
    return None if length is None else round(length.total_seconds() / 3600, 2)


# ---------------------------------------------------------------------------------------------------
# history.json


def subject_entry(s: Subject) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        **({"severity": s.severity} if s.severity else {}),
        **({"resource": s.resource} if s.resource else {}),
        "statuses": list(s.statuses),
        "latest": s.latest,
        "first_failed": iso(s.first_failed),
        "fixed": [iso(e.fixed) for e in s.episodes if e.fixed is not None],
        "failing_now": s.failing_now,
        "episodes": [
            {
                "failed": iso(e.failed),
                "fixed": iso(e.fixed),
                "fixed_as": e.fixed_as,
                "hours_to_remediate": _hours(e.remediation),
            }
            for e in s.episodes
        ],
        "continuously_supported_since": iso(s.supported_since),
    }


def history_document(h: History, source: str, skipped: Sequence[Skipped]) -> dict[str, Any]:
    procedures: dict[tuple[str, str], list[Subject]] = {}
    for p in h.procedures:
        procedures.setdefault((p.framework, p.parent), []).append(p)
    return {
        "schema": SCHEMA,
        "tool": {"name": "pcicheck", "version": __version__},
        "source": source,
        "as_of": iso(h.scans[-1].at),
        "interval_hours": _hours(h.interval),
        "grace_hours": _hours(h.grace),
        "scans": [
            {
                "pack": s.pack,
                "at": iso(s.at),
                "finished_at": s.finished_at,
                "manifest_sha256": s.manifest_sha256,
                "signature_checked": s.signed,
                "tool_version": s.tool_version,
                "identity": s.identity,
                "estate": s.estate,
                "after_gap": h.late[i],
            }
            for i, s in enumerate(h.scans)
        ],
        "skipped": [{"where": k.where, "why": k.why} for k in skipped],
        "gaps": [{"after": iso(g.after), "before": iso(g.before), "hours": _hours(g.length)} for g in h.gaps],
        "estates": h.estates,
        "frameworks": [
            {
                "id": fw,
                "title": title,
                "requirements": [
                    {**subject_entry(q), "procedures": [subject_entry(p) for p in procedures.get((fw, q.id), [])]}
                    for q in h.requirements
                    if q.framework == fw
                ],
            }
            for fw, title in h.frameworks.items()
        ],
        "controls": [subject_entry(c) for c in h.controls],
        "findings": [{**subject_entry(f), "control": f.parent} for f in h.findings],
    }


def history_json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


# ---------------------------------------------------------------------------------------------------
# index.html


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    kind: str  # a status class, or "gap"
    label: str  # the hover text: when, and what


@dataclass(frozen=True)
class Row:
    subject: Subject
    segments: tuple[Segment, ...]
    remediation: str  # the episodes' times to remediate, shown
    indent: bool  # a procedure under its requirement


class Scale:
    """Scan times → x positions across WIDTH; the last scan keeps LAST units."""

    def __init__(self, h: History) -> None:
        self.start = h.scans[0].at
        span = (h.scans[-1].at - self.start).total_seconds()
        self.per_second = (WIDTH - LAST) / span if span > 0 else 0.0
        self.h = h

    def x(self, t: datetime) -> float:
        return round((t - self.start).total_seconds() * self.per_second, 2)

    def segments(self, statuses: Sequence[str | None]) -> tuple[Segment, ...]:
        """One rectangle per run of scans in the same status class; a gap cuts the run at interval +
        grace after its last scan and is drawn as a gap up to the next scan."""
        h, out = self.h, []
        times = [s.at for s in h.scans]
        allowed = h.interval + h.grace
        i = 0
        while i < len(times):
            kind = status_class(statuses[i])
            j = i
            while j + 1 < len(times) and not h.late[j + 1] and status_class(statuses[j + 1]) == kind:
                j += 1
            end = self.x(times[j + 1]) if j + 1 < len(times) else WIDTH
            if j + 1 < len(times) and h.late[j + 1]:
                end = self.x(times[j] + allowed)
            shown = sorted({s for s in statuses[i : j + 1] if s})
            until = f" – {iso(times[j])}" if j > i else ""
            label = f"{iso(times[i])}{until}: {', '.join(shown) or 'not in these scans'}"
            x = self.x(times[i])
            out.append(Segment(x, max(round(end - x, 2), 1.0), kind, label))
            if j + 1 < len(times) and h.late[j + 1]:
                g0, g1 = end, self.x(times[j + 1])
                out.append(
                    Segment(
                        g0, max(round(g1 - g0, 2), 1.0), "gap", f"no scan from {iso(times[j])} to {iso(times[j + 1])}"
                    )
                )
            i = j + 1
        return tuple(out)


def _remediation(s: Subject) -> str:
    shown = [show_duration(e.remediation) for e in s.episodes if e.remediation is not None]
    return ", ".join(shown)


def _automated(s: Subject) -> bool:
    """Whether any scan judged it by automated controls (a manual-only requirement has no timeline to show)."""
    return any(status_class(st) in ("failing", "unproven", "supported") for st in s.statuses)


def _idle(c: Subject) -> bool:
    """A control that judged nothing in any scan (no resource of its type in scope)."""
    return all(st in (None, "not_applicable") for st in c.statuses)


@dataclass(frozen=True)
class Section:
    framework: str
    title: str
    anchor: str
    rows: tuple[Row, ...]
    manual: tuple[str, ...]  # requirements with no automated outcome in any scan


def page_context(h: History, doc: dict[str, Any]) -> dict[str, Any]:
    scale = Scale(h)
    sections = []
    procedures: dict[tuple[str, str], list[Subject]] = {}
    for p in h.procedures:
        if _automated(p):
            procedures.setdefault((p.framework, p.parent), []).append(p)
    for n, (fw, title) in enumerate(h.frameworks.items()):
        rows: list[Row] = []
        manual: list[str] = []
        for q in (q for q in h.requirements if q.framework == fw):
            if not _automated(q):
                manual.append(q.id)
                continue
            rows.append(Row(q, scale.segments(q.statuses), _remediation(q), False))
            rows.extend(
                Row(p, scale.segments(p.statuses), _remediation(p), True) for p in procedures.get((fw, q.id), [])
            )
        sections.append(Section(fw, title, f"fw-{n}", tuple(rows), tuple(manual)))
    controls = tuple(Row(c, scale.segments(c.statuses), _remediation(c), False) for c in h.controls if not _idle(c))
    return {
        "doc": doc,
        "h": h,
        "sections": sections,
        "controls": controls,
        "idle_controls": [c.id for c in h.controls if _idle(c)],
        "open_findings": sum(1 for f in h.findings if f.failing_now),
        "fixed_findings": sum(1 for f in h.findings if not f.failing_now),
        "scan_marks": [scale.x(s.at) for s in h.scans],
        "width": WIDTH,
        "iso": iso,
        "clip": clip,
        "show_duration": show_duration,
        "kinds": SHOWN_STATUSES,
        "status_class": status_class,
    }


def history_html(h: History, doc: dict[str, Any]) -> bytes:
    directory = paths.templates_dir()
    env = template_environment(directory)
    style = (directory / "history.css").read_text(encoding="utf-8")
    csp = f"default-src 'none'; style-src '{csp_hash(style)}'; img-src data:; base-uri 'none'; form-action 'none'"
    # The stylesheet is ours, shipped with the package: the only text on the page not escaped.
    context = {**page_context(h, doc), "style": Markup(style), "csp": csp}
    return env.get_template("history.html.j2").render(context).encode()

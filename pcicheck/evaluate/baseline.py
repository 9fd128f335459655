"""Baselines: which findings are new since a previous run, which were fixed, which remain.

A finding is a failed (or waived) result, identified by its evidence id, a pure function of control
and resource, so the same finding matches across runs, formats and machines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck.inert import markdown as inert_md
from pcicheck.inert import markdown_code
from pcicheck.model import Result
from pcicheck.results_doc import results as document_results

FINDING = ("fail", "waived")


@dataclass(frozen=True)
class Finding:
    id: str
    control: str
    title: str
    severity: str
    status: str
    resource: str  # name (uid)

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "control": self.control,
            "title": self.title,
            "severity": self.severity,
            "status": self.status,
            "resource": self.resource,
        }


def _label(resource: dict[str, Any]) -> str:
    name, uid = str(resource["name"]), str(resource["uid"])
    return uid if name == uid else f"{name} ({uid})"


def findings_of_document(doc: dict[str, Any]) -> dict[str, Finding]:
    """The findings of a saved results document, v1 or v2 (so a baseline from before v2 still matches)."""
    return {
        r["id"]: Finding(r["id"], r["control"], r["title"], r["severity"], r["status"], _label(r["resource"]))
        for r in document_results(doc)
        if r["status"] in FINDING
    }


def findings_of_results(results: Iterable[Result]) -> dict[str, Finding]:
    return {
        r.evidence_id: Finding(
            r.evidence_id, r.control.id, r.control.title, r.control.severity.value, r.status.value, _label(r.resource)
        )
        for r in results
        if r.status.value in FINDING
    }


@dataclass(frozen=True)
class Diff:
    old: str  # where the older findings came from
    new: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    unchanged: tuple[Finding, ...]

    def new_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.new)

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.old,
            "new": [f.to_dict() for f in self.new],
            "fixed": [f.to_dict() for f in self.fixed],
            "unchanged": [f.to_dict() for f in self.unchanged],
        }


_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _ordered(items: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(items, key=lambda f: (_RANK.get(f.severity, 9), f.control, f.resource)))


def diff(old: dict[str, Finding], new: dict[str, Finding], source: Path | str) -> Diff:
    return Diff(
        str(source),
        _ordered(f for i, f in new.items() if i not in old),
        _ordered(f for i, f in old.items() if i not in new),
        _ordered(f for i, f in new.items() if i in old),
    )


def markdown(d: Diff, limit: int = 20) -> str:
    """Short enough for a pull-request comment. Every field comes from a results file, which may come
    from a pull request: each is made inert Markdown (no link, image, heading, HTML, table break or
    @mention, pcicheck.inert)."""

    def cell(text: str) -> str:
        return inert_md(text, limit=100)

    lines = [f"### pcicheck: {len(d.new)} new, {len(d.fixed)} fixed, {len(d.unchanged)} unchanged findings", ""]
    for title, items in (("New", d.new), ("Fixed", d.fixed)):
        if not items:
            continue
        lines += [f"**{title}**", "", "| severity | control | resource | evidence id |", "|---|---|---|---|"]
        lines += [
            f"| {cell(f.severity)} | {markdown_code(f.control)} | {cell(f.resource)} | {cell(f.id)} |"
            for f in items[:limit]
        ]
        if len(items) > limit:
            lines.append(f"\n…and {len(items) - limit} more.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"

"""Requirement roll-up: a requirement's status from the results of the controls mapped to it or below it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pcicheck.model import Control, Framework, Result, Status


@dataclass(frozen=True)
class RequirementStatus:
    id: str
    title: str
    status: Status
    controls: tuple[str, ...]  # controls mapped to this requirement or any below it
    manual: bool  # process-only in the framework: needs the auditor's own evidence too
    counts: dict[str, int]
    parent: str | None = None


def combine(statuses: Iterable[Status]) -> Status:
    """fail beats error beats pass; all waived → waived; nothing judged → not_applicable."""
    seen = set(statuses)
    for status in (Status.FAIL, Status.ERROR, Status.PASS, Status.WAIVED):
        if status in seen:
            return status
    return Status.NOT_APPLICABLE


def roll_up(framework: Framework, controls: Iterable[Control], results: Iterable[Result]) -> list[RequirementStatus]:
    by_control: dict[str, list[Status]] = defaultdict(list)
    for r in results:
        by_control[r.control.id].append(r.status)
    direct: dict[str, list[str]] = defaultdict(list)
    for c in controls:
        for rid in c.requirements.get(framework.id, ()):
            direct[rid].append(c.id)

    below: dict[str, list[str]] = {}

    def collect(rid: str) -> list[str]:
        if rid not in below:
            ids = list(direct.get(rid, ()))
            for child in framework.requirements[rid].children:
                ids.extend(collect(child))
            below[rid] = sorted(set(ids))
        return below[rid]

    out = []
    for rid, req in framework.requirements.items():
        ids = collect(rid)
        statuses = [s for cid in ids for s in by_control.get(cid, ())]
        counts: dict[str, int] = defaultdict(int)
        for s in statuses:
            counts[s.value] += 1
        status = combine(statuses) if ids else Status.MANUAL
        out.append(RequirementStatus(rid, req.title, status, tuple(ids), req.manual, dict(counts), req.parent))
    return out

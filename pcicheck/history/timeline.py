"""The history of every requirement (each framework), testing procedure, control and finding across a
series of scans, and what a QSA asks of it.

Each status falls in one of four classes:

- failing: a control's `fail`, a procedure's or requirement's `not_in_place`;
- unproven: could not be judged (`error`, `needs_configuration`, `incomplete`): says nothing either way;
- supported: `pass`, `supported`, `automated_checks_pass`, `in_place_automated`;
- other: waived, compensating control, not applicable, manual, not evidenced.

A failure episode opens at the first failing scan and is fixed at the first later scan that is neither
failing nor unproven (how it ended is kept: supported, or e.g. waived); a subject missing from a scan
leaves it open. Time to remediate is fixed − first failed: an upper bound whose resolution is the scan
interval (the fix happened some time after the last failing scan).

A gap is two consecutive scans further apart than the expected interval plus a grace (half the interval
unless given; the period + grace model of cron monitors such as healthchecks.io), so a daily scan that
runs a few minutes late is no gap. "Continuously supported since" is the first scan of the unbroken run
of supported scans that ends at the last scan, broken by any scan that is not supported and by any gap:
no scan, no evidence. Everything is stated as of the last scan: the wall clock is never read, so the
same packs give the same history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from pcicheck.history.read import Scan

K = TypeVar("K")

FAILING = frozenset({"fail", "not_in_place"})
UNPROVEN = frozenset({"error", "needs_configuration", "incomplete"})
SUPPORTED = frozenset({"pass", "supported", "automated_checks_pass", "in_place_automated"})


_CLASS: dict[str | None, str] = {
    None: "absent",
    **dict.fromkeys(FAILING, "failing"),
    **dict.fromkeys(UNPROVEN, "unproven"),
    **dict.fromkeys(SUPPORTED, "supported"),
}


def status_class(status: str | None) -> str:
    """failing, unproven, supported, other, or absent (the subject was not in that scan)."""
    return _CLASS.get(status, "other")


@dataclass(frozen=True)
class Episode:
    failed: datetime  # the first scan that saw it failing
    fixed: datetime | None  # the first later scan neither failing nor unproven; None: still failing
    fixed_as: str | None  # that scan's status

    @property
    def remediation(self) -> timedelta | None:
        return None if self.fixed is None else self.fixed - self.failed


@dataclass(frozen=True)
class Gap:
    after: datetime  # the scan before the gap
    before: datetime  # the scan after it

    @property
    def length(self) -> timedelta:
        return self.before - self.after


@dataclass(frozen=True)
class Subject:
    kind: str  # requirement, procedure, control or finding
    framework: str  # "" for controls and findings
    id: str
    parent: str  # a procedure's requirement, a finding's control; else ""
    title: str
    severity: str  # controls and findings; else ""
    statuses: tuple[str | None, ...]  # one per scan, None where the subject was not in that scan
    episodes: tuple[Episode, ...]
    supported_since: datetime | None
    resource: str = ""  # a finding's resource uid

    @property
    def first_failed(self) -> datetime | None:
        return self.episodes[0].failed if self.episodes else None

    @property
    def last_fixed(self) -> datetime | None:
        fixed = [e.fixed for e in self.episodes if e.fixed is not None]
        return fixed[-1] if fixed else None

    @property
    def failing_now(self) -> bool:
        return bool(self.episodes) and self.episodes[-1].fixed is None

    @property
    def latest(self) -> str | None:
        return self.statuses[-1] if self.statuses else None


@dataclass(frozen=True)
class History:
    scans: tuple[Scan, ...]
    interval: timedelta
    grace: timedelta
    gaps: tuple[Gap, ...]
    late: tuple[bool, ...]  # per scan: whether it came after a gap
    frameworks: dict[str, str]
    requirements: tuple[Subject, ...]
    procedures: tuple[Subject, ...]
    controls: tuple[Subject, ...]
    findings: tuple[Subject, ...]
    estates: int  # how many distinct identities the scans observed (more than one: mixed sources)


def compute(scans: Sequence[Scan], interval: timedelta, grace: timedelta | None = None) -> History:
    """The history of `scans` (oldest first) for scans expected every `interval`."""
    grace = interval / 2 if grace is None else grace
    times = [s.at for s in scans]
    late = tuple(i > 0 and times[i] - times[i - 1] > interval + grace for i in range(len(times)))
    gaps = tuple(Gap(times[i - 1], times[i]) for i in range(1, len(times)) if late[i])

    def subject(kind: str, key: tuple[str, str, str], named: tuple[str, str], statuses: list[str | None]) -> Subject:
        framework, parent, sid = key
        episodes, since = _episodes(times, statuses), _supported_since(times, late, statuses)
        return Subject(kind, framework, sid, parent, named[0], named[1], tuple(statuses), episodes, since)

    frameworks: dict[str, str] = {}
    requirement_titles: dict[tuple[str, str], str] = {}
    procedure_titles: dict[tuple[str, str, str], str] = {}
    control_titles: dict[str, tuple[str, str]] = {}
    for s in scans:  # the newest scan's titles win
        frameworks.update(s.frameworks)
        requirement_titles.update(s.requirement_titles)
        procedure_titles.update(s.procedure_titles)
        control_titles.update(s.control_titles)
    requirements = [
        subject("requirement", (fw, "", rid), (requirement_titles.get((fw, rid), ""), ""),
                [s.requirements.get((fw, rid)) for s in scans])
        for fw, rid in _keys(scans, lambda s: s.requirements)
    ]  # fmt: skip
    procedures = [
        subject("procedure", (fw, rid, pid), (procedure_titles.get((fw, rid, pid), ""), ""),
                [s.procedures.get((fw, rid, pid)) for s in scans])
        for fw, rid, pid in _keys(scans, lambda s: s.procedures)
    ]  # fmt: skip
    controls = [
        subject("control", ("", "", cid), control_titles.get(cid, ("", "")),
                [c.status if (c := s.controls.get(cid)) is not None else None for s in scans])
        for cid in sorted(_keys(scans, lambda s: s.controls))
    ]  # fmt: skip
    findings = [
        dataclasses.replace(
            subject("finding", ("", cid, eid), control_titles.get(cid, ("", "")), _finding_statuses(scans, cid, eid)),
            resource=uid,
        )
        for cid, eid, uid in _findings(scans)
    ]
    identities = {s.estate for s in scans}
    return History(
        tuple(scans), interval, grace, gaps, late, frameworks, tuple(requirements), tuple(procedures),
        tuple(controls), tuple(findings), len(identities),
    )  # fmt: skip


def _keys(scans: Sequence[Scan], of: Callable[[Scan], Iterable[K]]) -> list[K]:
    """Every key any scan has, in the newest scan's order (a framework's own order), then the keys only
    older scans had, newest first."""
    seen: dict[K, None] = {}
    for s in reversed(scans):
        for k in of(s):
            seen.setdefault(k, None)
    return list(seen)


def _findings(scans: Sequence[Scan]) -> list[tuple[str, str, str]]:
    """(control, evidence id, resource uid) of every result that failed in any scan."""
    found: dict[tuple[str, str], str] = {}
    for s in scans:
        for cid, c in s.controls.items():
            for eid, uid in c.failing:
                found[cid, eid] = uid
    return sorted((cid, eid, uid) for (cid, eid), uid in found.items())


def _finding_statuses(scans: Sequence[Scan], cid: str, eid: str) -> list[str | None]:
    """A finding's status in each scan: fail, error (could not be judged), or pass: not failing (judged
    and passing, waived, or its resource gone); None where its control was not in the scan."""
    statuses: list[str | None] = []
    for s in scans:
        c = s.controls.get(cid)
        if c is None:
            statuses.append(None)
        elif any(e == eid for e, _ in c.failing):
            statuses.append("fail")
        else:
            statuses.append("error" if eid in c.unproven else "pass")
    return statuses


def _episodes(times: Sequence[datetime], statuses: Sequence[str | None]) -> tuple[Episode, ...]:
    episodes: list[Episode] = []
    opened: datetime | None = None
    for at, status in zip(times, statuses, strict=True):
        kind = status_class(status)
        if kind == "failing" and opened is None:
            opened = at
        elif opened is not None and kind in ("supported", "other"):
            episodes.append(Episode(opened, at, status))
            opened = None
    if opened is not None:
        episodes.append(Episode(opened, None, None))
    return tuple(episodes)


def _supported_since(
    times: Sequence[datetime], late: Sequence[bool], statuses: Sequence[str | None]
) -> datetime | None:
    if not statuses or status_class(statuses[-1]) != "supported":
        return None
    first = len(statuses) - 1
    while first > 0 and not late[first] and status_class(statuses[first - 1]) == "supported":
        first -= 1
    return times[first]

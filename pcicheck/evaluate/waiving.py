"""Applying waivers to results: a failed result a waiver in force selects becomes `waived`.

An expired waiver stops applying and is reported; a waiver that matched no failing result is reported
as stale. Dates are judged at the snapshot's time, so the same snapshot and waivers give the same
results on any day.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from pcicheck.errors import InputError
from pcicheck.iac.mapping import load_mapping
from pcicheck.model import Result, Status
from pcicheck.waivers import Waiver


@dataclass(frozen=True)
class WaiverOutcome:
    waiver: Waiver
    status: str  # applied | expired | stale | not_yet
    matched: tuple[str, ...]  # evidence ids of the failing results it matched

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.waiver.record(),
            "control": self.waiver.control,
            "status": self.status,
            "matched": list(self.matched),
            "where": self.waiver.where,
        }


def check_controls(waivers: Iterable[Waiver], known: set[str]) -> None:
    """A waiver naming no known control is a typo that would silently waive nothing. The IaC mapping's
    controls count as known everywhere: one waivers file serves `scan` and `iac`."""
    waivers = tuple(waivers)
    if not waivers:
        return
    known = known | {c.id for c in load_mapping().controls()}
    for w in waivers:
        if not any(fnmatch.fnmatchcase(cid, w.control) for cid in known):
            path, _, line = w.where.rpartition(":")
            raise InputError(
                f"waiver {w.id!r} names no known control {w.control!r}",
                path=path,
                line=int(line),
                fix="check the id with `pcicheck controls list`",
            )


def apply_waivers(
    results: list[Result], waivers: Iterable[Waiver], today: dt.date
) -> tuple[list[Result], tuple[WaiverOutcome, ...]]:
    """Failed results a waiver in force selects become `waived` and carry the waiver; expired ones
    stay failed and say so. Errors are never waived: what could not be judged is not an accepted risk."""
    waivers = tuple(waivers)
    matched: dict[str, list[str]] = {w.id: [] for w in waivers}
    out: list[Result] = []
    for r in results:
        if r.status != Status.FAIL:
            out.append(r)
            continue
        hits = [w for w in waivers if w.selects(r)]
        for w in hits:
            matched[w.id].append(r.evidence_id)
        active = next((w for w in hits if w.created <= today <= w.expires), None)
        if active is not None:
            said = (
                f"in place with compensating control {active.id}"
                if active.compensating
                else f"waived by {active.id} (an exception: accepted risk, not in place)"
            )
            out.append(replace(r, status=Status.WAIVED, message=f"{said}: {r.message}", waiver=active.record()))
        elif hits:
            lapsed = ", ".join(
                f"{w.id} (expired {w.expires})" if today > w.expires else f"{w.id} (from {w.created})" for w in hits
            )
            out.append(replace(r, message=f"{r.message}; waiver not in force: {lapsed}"))
        else:
            out.append(r)
    outcomes = []
    for w in waivers:
        if today > w.expires:
            status = "expired"
        elif today < w.created:
            status = "not_yet"
        elif matched[w.id]:
            status = "applied"
        else:
            status = "stale"
        outcomes.append(WaiverOutcome(w, status, tuple(matched[w.id])))
    return out, tuple(outcomes)

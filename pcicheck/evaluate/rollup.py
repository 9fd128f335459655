"""From results to what an assessor may write: each testing procedure's outcome from the controls mapped
to it, and each requirement's from its procedures and the requirements below it.

The rules claim no more than the evidence shows:
- a procedure is `supported` only when a mapped control passed and none failed or could not judge;
  `not_in_place` when one failed (a waived failure too: accepted risk is not in place); `incomplete`
  when one could not judge (an error, or a param the site has not set: needs_configuration);
  `not_applicable`, with the reason, when its controls found nothing in scope;
  `not_evidenced` when no control maps to it;
- a requirement is never a bare pass. `in_place_automated` needs every one of its testing procedures
  to be examining configuration only and supported; `automated_checks_pass` says the automated part
  holds and the rest (documents, records, interviews, observation) is the assessor's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from pcicheck.model import INCOMPLETE_STATUSES, Control, Framework, Requirement, Result, Status, TestingProcedure


class ProcedureOutcome(StrEnum):
    SUPPORTED = "supported"
    NOT_IN_PLACE = "not_in_place"
    INCOMPLETE = "incomplete"
    COMPENSATING_CONTROL = "compensating_control"  # failures covered by a compensating control's worksheet
    NOT_APPLICABLE = "not_applicable"
    NOT_EVIDENCED = "not_evidenced"


class RequirementOutcome(StrEnum):
    NOT_IN_PLACE = "not_in_place"
    INCOMPLETE = "incomplete"
    COMPENSATING_CONTROL = "compensating_control"  # holds only through a compensating control
    AUTOMATED_CHECKS_PASS = "automated_checks_pass"
    IN_PLACE_AUTOMATED = "in_place_automated"
    NOT_APPLICABLE = "not_applicable"
    MANUAL = "manual"


@dataclass(frozen=True)
class ProcedureResult:
    procedure: TestingProcedure
    outcome: ProcedureOutcome
    controls: tuple[str, ...]  # the controls mapped to it (that this scan judged)
    counts: dict[str, int]  # result statuses of those controls
    reason: str = ""  # why not applicable, or which waivers hold a failure


@dataclass(frozen=True)
class RequirementStatus:
    id: str
    title: str
    outcome: RequirementOutcome
    controls: tuple[str, ...]  # controls mapped to its procedures or those of any requirement below it
    manual: bool  # process-only in the framework: needs the auditor's own evidence too
    counts: dict[str, int]
    parent: str | None = None
    procedures: tuple[ProcedureResult, ...] = ()
    reason: str = ""  # a not_applicable one's, in words an assessor can take into a report


def _compensated(r: Result) -> bool:
    return r.status == Status.WAIVED and (r.waiver or {}).get("kind") == "compensating-control"


def procedure_outcome(results: Iterable[Result]) -> ProcedureOutcome:
    """A failure, or one an exception accepts, is not in place; then an error; then a failure a compensating
    control covers; then a pass."""
    found = list(results)
    seen = {r.status for r in found}
    if Status.FAIL in seen or any(r.status == Status.WAIVED and not _compensated(r) for r in found):
        return ProcedureOutcome.NOT_IN_PLACE
    if seen & INCOMPLETE_STATUSES:
        return ProcedureOutcome.INCOMPLETE
    if Status.WAIVED in seen:
        return ProcedureOutcome.COMPENSATING_CONTROL
    if Status.PASS in seen:
        return ProcedureOutcome.SUPPORTED
    return ProcedureOutcome.NOT_APPLICABLE


def requirement_outcome(
    procedures: Iterable[ProcedureResult], children: Iterable[RequirementStatus]
) -> RequirementOutcome:
    """Worst first: not in place, then incomplete. In place by automation only when everything, its own
    procedures and the requirements below, is; checks pass when something automated holds."""
    own = list(procedures)
    below = list(children)
    outcomes = {p.outcome.value for p in own} | {c.outcome.value for c in below}
    if RequirementOutcome.NOT_IN_PLACE.value in outcomes:
        return RequirementOutcome.NOT_IN_PLACE
    if RequirementOutcome.INCOMPLETE.value in outcomes:
        return RequirementOutcome.INCOMPLETE
    if RequirementOutcome.COMPENSATING_CONTROL.value in outcomes:
        return RequirementOutcome.COMPENSATING_CONTROL
    if (
        (own or below)
        and all(p.outcome == ProcedureOutcome.SUPPORTED and p.procedure.automatable for p in own)
        and all(c.outcome == RequirementOutcome.IN_PLACE_AUTOMATED for c in below)
    ):
        return RequirementOutcome.IN_PLACE_AUTOMATED
    if outcomes & {ProcedureOutcome.SUPPORTED.value, *_HOLDS}:
        return RequirementOutcome.AUTOMATED_CHECKS_PASS
    if ProcedureOutcome.NOT_APPLICABLE.value in outcomes:
        return RequirementOutcome.NOT_APPLICABLE
    return RequirementOutcome.MANUAL


_HOLDS = {RequirementOutcome.AUTOMATED_CHECKS_PASS.value, RequirementOutcome.IN_PLACE_AUTOMATED.value}


def _not_applicable_reason(
    controls: Iterable[str], results: Mapping[str, list[Result]], catalog: Mapping[str, Control], scanned: str
) -> str:
    """Why the controls of a procedure judged nothing: no resource of their type was found where the
    scan looked, or none of those found is one they apply to."""
    reasons = []
    for cid in sorted(controls):
        found = results.get(cid, [])
        control = catalog[cid]
        if not found:
            reasons.append(f"no {control.resource} resources in {scanned}")
            continue
        messages = sorted({r.message for r in found})
        reasons.append(f"{len(found)} {control.resource} examined, none in its scope ({'; '.join(messages)})")
    return "; ".join(dict.fromkeys(reasons))


def _kinds(controls: Iterable[str], results: Mapping[str, list[Result]], catalog: Mapping[str, Control]) -> str:
    """'4 aws.ec2.instance and 1 aws.rds.instance': what a procedure's controls looked at."""
    counts = Counter(catalog[cid].resource for cid in controls for _ in results.get(cid, ()))
    return " and ".join(f"{n} {t}" for t, n in sorted(counts.items())) or "resources"


# What the assessor still confirms behind a not-applicable verdict, by what the reason rests on.
_ABSENT_CONFIRM = "the assessor confirms none exist elsewhere"
_SCOPE_CONFIRM = "the assessor confirms the scoping (tags, labels) the verdict rests on"


def _requirement_reason(parts: list[str]) -> str:
    reasons = list(dict.fromkeys(p for p in parts if p))
    text = "; ".join(reasons)
    confirm = [
        *([_ABSENT_CONFIRM] if " resources in " in text else []),
        *([_SCOPE_CONFIRM] if " examined, none in its scope " in text else []),
    ]
    return "; ".join([text, *confirm])


def roll_up(
    framework: Framework,
    controls: Iterable[Control],
    results: Iterable[Result],
    scanned: str = "the scanned sources",
    tenants: Iterable[str] = (),
) -> list[RequirementStatus]:
    """Every requirement of `framework`, parents before children, with its outcome. `controls` are
    those this scan judged: a control left out (an AWS control on a manifests-only scan) evidences
    nothing here. `scanned` says where the scan looked, for not-applicable reasons; `tenants`, the
    tenants the estate has: with any, a tenant control that found no tenant resource is no reason for
    a multi-tenant requirement to be not applicable."""
    tenant_list = tuple(sorted(set(tenants)))
    catalog = {c.id: c for c in controls}
    by_control: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_control[r.control.id].append(r)
    # Each control's statuses counted once: a requirement adds up the counts of the controls below it
    # (a parent's are its children's again), not every result of each of them.
    status_counts = {cid: Counter(r.status.value for r in found) for cid, found in by_control.items()}
    mapped: dict[str, list[str]] = defaultdict(list)  # procedure id → control ids
    for c in catalog.values():
        for pid in c.requirements.get(framework.id, ()):
            mapped[pid].append(c.id)

    done: dict[str, RequirementStatus] = {}

    def assess(req: Requirement) -> RequirementStatus:
        if req.id in done:
            return done[req.id]
        children = [assess(framework.requirements[c]) for c in req.children]
        procedures = [
            _procedure(p, mapped.get(p.id, []), by_control, catalog, scanned, tenant_list) for p in req.procedures
        ]
        controls_below = sorted(
            {cid for p in procedures for cid in p.controls} | {c for ch in children for c in ch.controls}
        )
        counts: Counter[str] = Counter()
        for cid in controls_below:
            counts.update(status_counts.get(cid, {}))
        outcome = requirement_outcome(procedures, children)
        reason = ""
        if outcome == RequirementOutcome.NOT_APPLICABLE:
            parts = [p.reason for p in procedures] + [c.reason.split("; the assessor")[0] for c in children]
            reason = _requirement_reason(parts)
        done[req.id] = RequirementStatus(
            req.id,
            req.title,
            outcome,
            tuple(controls_below),
            req.manual,
            dict(counts),
            req.parent,
            tuple(procedures),
            reason,
        )
        return done[req.id]

    return [assess(req) for req in framework.requirements.values()]


def _procedure(
    procedure: TestingProcedure,
    controls: list[str],
    by_control: Mapping[str, list[Result]],
    catalog: Mapping[str, Control],
    scanned: str,
    tenants: tuple[str, ...] = (),
) -> ProcedureResult:
    if not controls:
        return ProcedureResult(procedure, ProcedureOutcome.NOT_EVIDENCED, (), {})
    found = [r for cid in controls for r in by_control.get(cid, ())]
    outcome = procedure_outcome(found)
    reason = ""
    if outcome == ProcedureOutcome.NOT_APPLICABLE and tenants and any(catalog[c].scope == "tenant" for c in controls):
        # The estate is multi-tenant: the separation applies, and these controls just saw no tenant resource.
        outcome = ProcedureOutcome.NOT_EVIDENCED
        shown = ", ".join(tenants[:5]) + (f" and {len(tenants) - 5} more" if len(tenants) > 5 else "")
        reason = (
            f"the estate has tenants ({shown}), but none of the "
            f"{_kinds(controls, by_control, catalog)} examined belongs to one: the assessor evidences this otherwise"
        )
    elif outcome == ProcedureOutcome.NOT_APPLICABLE:
        reason = _not_applicable_reason(controls, by_control, catalog, scanned)
    elif outcome == ProcedureOutcome.NOT_IN_PLACE and not any(r.status == Status.FAIL for r in found):
        waivers = sorted({str((r.waiver or {}).get("id", "")) for r in found if r.status == Status.WAIVED})
        reason = f"failures accepted by exception {', '.join(waivers)}: accepted risk is not in place"
    elif outcome == ProcedureOutcome.COMPENSATING_CONTROL:
        waivers = sorted({str((r.waiver or {}).get("id", "")) for r in found if _compensated(r)})
        reason = (
            f"in place with compensating control {', '.join(waivers)} (its worksheet, for the assessor to validate)"
        )
    counts = Counter(r.status.value for r in found)
    return ProcedureResult(procedure, outcome, tuple(sorted(set(controls))), dict(counts), reason)

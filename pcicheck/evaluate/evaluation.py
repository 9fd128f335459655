"""The evaluate stage as one call: snapshot → analyze → evaluate → waivers → roll-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pcicheck.analyze.estate import Estate, analyze
from pcicheck.catalog import Catalog
from pcicheck.config import Config
from pcicheck.errors import InputError
from pcicheck.evaluate.baseline import Diff
from pcicheck.evaluate.engine import Evaluator
from pcicheck.evaluate.rollup import RequirementStatus, roll_up
from pcicheck.evaluate.waiving import WaiverOutcome, apply_waivers, check_controls
from pcicheck.model import Control, ExternalResults, Framework, Result, Snapshot
from pcicheck.perf import paused_gc
from pcicheck.snapshot import snapshot_time
from pcicheck.waivers import Waiver


@dataclass(frozen=True)
class Evaluation:
    snapshot: Snapshot
    catalog: Catalog
    config: Config
    framework: Framework
    estate: Estate
    results: tuple[Result, ...]
    requirements: tuple[RequirementStatus, ...]
    started_at: str
    finished_at: str
    waivers: tuple[WaiverOutcome, ...] = ()
    baseline: Diff | None = None  # findings new/fixed/unchanged since a previous run, when one was given


def _utc(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# What each snapshot source lets pcicheck judge, by resource-type prefix.
_PROVIDER_PREFIXES = {"aws": "aws.", "manifests": "k8s.", "k8s": "k8s."}


def scanned_controls(snapshot: Snapshot, catalog: Catalog) -> tuple[Control, ...]:
    """The controls about what this snapshot looked at. A manifests-only scan says nothing about
    AWS: its AWS controls are left out (their requirements then read `manual`), not `not_applicable`."""
    prefixes = tuple(
        _PROVIDER_PREFIXES[p] for p in snapshot.request.get("providers", ["aws"]) if p in _PROVIDER_PREFIXES
    )
    return tuple(c for c in catalog.controls if c.resource.startswith(prefixes))


def evaluate_snapshot(
    snapshot: Snapshot,
    catalog: Catalog,
    config: Config,
    framework_id: str,
    external: ExternalResults | None = None,
    waivers: tuple[Waiver, ...] = (),
) -> Evaluation:
    """Evaluate, then apply the waivers (the config's and `waivers`), then roll up."""
    framework = catalog.framework(framework_id)
    known = {c.id for c in catalog.controls}
    for control_id in config.params:
        if control_id not in known:
            raise InputError(
                f"params given for unknown control {control_id!r}",
                path=config.path,
                fix="check the id with `pcicheck controls list`",
            )
    controls = scanned_controls(snapshot, catalog)
    with paused_gc():
        estate = analyze(snapshot.resources, config.scope)
        evaluator = Evaluator(controls, config.params)
        results = evaluator.evaluate(estate, snapshot.errors, now=snapshot_time(snapshot))
        if external is not None:
            controls = (*controls, *external.controls)
            catalog = catalog.with_controls(external.controls)
            results.extend(external.results)
        every_waiver = (*config.waivers, *waivers)
        check_controls(every_waiver, {c.id for c in catalog.controls})
        results, outcomes = apply_waivers(results, every_waiver, snapshot_time(snapshot).date())
        results.sort(key=lambda r: (r.control.id, r.resource["uid"]))
        requirements = roll_up(framework, controls, results)
    return Evaluation(
        snapshot=snapshot,
        catalog=catalog,
        config=config,
        framework=framework,
        estate=estate,
        results=tuple(results),
        requirements=tuple(requirements),
        started_at=snapshot.created_at,
        finished_at=_utc(datetime.now(UTC)),
        waivers=outcomes,
    )

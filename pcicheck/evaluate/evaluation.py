"""The evaluate stage as one call: snapshot → analyze → evaluate → waivers → roll-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pcicheck.analyze.estate import Estate, analyze
from pcicheck.catalog import Catalog
from pcicheck.config import Config, check_params
from pcicheck.evaluate.baseline import Diff
from pcicheck.evaluate.engine import Evaluator
from pcicheck.evaluate.population import where_scanned
from pcicheck.evaluate.rollup import RequirementStatus, roll_up
from pcicheck.evaluate.waiving import WaiverOutcome, apply_waivers, check_controls
from pcicheck.model import Control, ExternalResults, Framework, Result, Snapshot
from pcicheck.perf import paused_gc
from pcicheck.snapshot import snapshot_time
from pcicheck.waivers import Waiver


@dataclass(frozen=True)
class FrameworkView:
    """The results read against one framework: its requirements with their outcomes."""

    framework: Framework
    requirements: tuple[RequirementStatus, ...]


@dataclass(frozen=True)
class Evaluation:
    snapshot: Snapshot
    catalog: Catalog
    config: Config
    framework: Framework  # the first framework asked for: the report's own
    estate: Estate
    results: tuple[Result, ...]
    requirements: tuple[RequirementStatus, ...]  # the first framework's
    started_at: str
    finished_at: str
    waivers: tuple[WaiverOutcome, ...] = ()
    baseline: Diff | None = None  # findings new/fixed/unchanged since a previous run, when one was given
    also: tuple[FrameworkView, ...] = ()  # the other frameworks asked for, in order
    run: dict[str, str] = field(default_factory=dict)  # who ran it, where, how: operator, host, command
    # The segmentation test plans with today's verdicts, when the scan covered networks (segmentation/pack.py).
    segmentation: dict[str, Any] | None = None

    @property
    def views(self) -> tuple[FrameworkView, ...]:
        return (FrameworkView(self.framework, self.requirements), *self.also)


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
    framework_ids: str | tuple[str, ...],
    external: ExternalResults | None = None,
    waivers: tuple[Waiver, ...] = (),
) -> Evaluation:
    """Evaluate, then apply the waivers (the config's and `waivers`), then roll up against each framework
    asked for (the first is the report's own)."""
    ids = (framework_ids,) if isinstance(framework_ids, str) else framework_ids
    frameworks = [catalog.framework(fid) for fid in ids]
    check_params(config, {c.id: c.params for c in catalog.controls})
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
        scanned = where_scanned(snapshot)
        tenants = {str(f["tenant"]) for f in estate.facts.values() if f.get("tenant")}
        tenants |= {str(r.resource["tenant"]) for r in results if r.resource.get("tenant")}
        views = [FrameworkView(fw, tuple(roll_up(fw, controls, results, scanned, tenants))) for fw in frameworks]
    return Evaluation(
        snapshot=snapshot,
        catalog=catalog,
        config=config,
        framework=views[0].framework,
        estate=estate,
        results=tuple(results),
        requirements=views[0].requirements,
        also=tuple(views[1:]),
        started_at=snapshot.created_at,
        finished_at=_utc(datetime.now(UTC)),
        waivers=outcomes,
    )

"""What a run is judged by, loaded before anything is collected so a typo fails in a second, not after
a scan: the control catalog, pcicheck.yaml (with a waivers file's waivers added) and a baseline."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pcicheck.catalog import Catalog, load_catalog
from pcicheck.config import Config, check_params, load_config
from pcicheck.evaluate.baseline import Finding, findings_of_document
from pcicheck.evaluate.controltests import refuse_failing_controls
from pcicheck.report.pack import load_results
from pcicheck.waivers import load_waivers


@dataclass(frozen=True)
class Rules:
    catalog: Catalog
    config: Config


@dataclass(frozen=True)
class Baseline:
    """The findings of a previous results document; the gate then judges only new ones."""

    path: Path
    findings: Mapping[str, Finding]  # by evidence id


def load_rules(controls: list[Path] | None, config: Path | None, waivers: Path | None = None) -> Rules:
    cfg = load_config(config)
    if waivers is not None:
        cfg = dataclasses.replace(cfg, waivers=(*cfg.waivers, *load_waivers(waivers)))
    catalog = load_catalog(controls or ())
    check_params(cfg, {c.id: c.params for c in catalog.controls})
    # A custom control judges nothing until its own cases pass (a few CEL evaluations each).
    refuse_failing_controls(catalog, controls or ())
    return Rules(catalog, cfg)


def load_baseline(path: Path | None) -> Baseline | None:
    if path is None:
        return None
    return Baseline(path, findings_of_document(load_results(path)[1]))

"""A results document of a real estate for the foreign formats: the demo's golden snapshot (AWS and
Kubernetes, both frameworks), evaluated by the real catalog and engine, at a fixed time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcicheck.catalog import load_catalog
from pcicheck.config import Config
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.report import results_json
from pcicheck.snapshot import read_snapshot

GOLDEN_SNAPSHOT = Path(__file__).parents[1] / "demo" / "golden" / "snapshot.json"
SCANNED_AT = "2026-01-31T12:00:00Z"


@pytest.fixture(scope="session")
def estate_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo estate's results document (pcicheck/results/v1), as `pcicheck scan` writes it."""
    path = tmp_path_factory.mktemp("estate") / "snapshot.json"
    path.write_text(GOLDEN_SNAPSHOT.read_text().replace("<time>", SCANNED_AT))
    ev = evaluate_snapshot(read_snapshot(path), load_catalog(), Config(), ("pci-dss-4.0.1", "pci-dss-3.2.1"))
    doc: dict[str, Any] = json.loads(results_json.render(ev))
    return doc

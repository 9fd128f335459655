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
from tests.support.results_v1 import as_v1

GOLDEN_SNAPSHOT = Path(__file__).parents[1] / "demo" / "golden" / "snapshot.json"
SCANNED_AT = "2026-01-31T12:00:00Z"


@pytest.fixture(scope="session")
def estate_v2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo estate's results document, as `pcicheck scan` writes it (pcicheck/results/v2)."""
    path = tmp_path_factory.mktemp("estate") / "snapshot.json"
    path.write_text(GOLDEN_SNAPSHOT.read_text().replace("<time>", SCANNED_AT))
    ev = evaluate_snapshot(read_snapshot(path), load_catalog(), Config(), ("pci-dss-4.0.1", "pci-dss-3.2.1"))
    doc: dict[str, Any] = json.loads(results_json.render(ev))
    return doc


@pytest.fixture(scope="session")
def estate_doc(estate_v2: dict[str, Any]) -> dict[str, Any]:
    """The same document as pcicheck/results/v1 spelled it (each result embeds its resource): still read,
    and the shape the tests edit."""
    return as_v1(estate_v2)

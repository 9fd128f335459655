"""Fixtures the hostile-input modules share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    """A folder holding one harmless manifest, for runs whose hostile part is elsewhere (a flag, a file)."""
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    return tmp_path / "m"

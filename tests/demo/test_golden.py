"""The demo's outputs are pinned: every file of its evidence pack and its console summary match the
golden files in tests/demo/golden/ (normalised for times, ports and temporary paths). A change of
output shows as a diff; an intended one is recorded with PCICHECK_UPDATE_GOLDEN=1."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.conftest import DemoRun
from tests.support.golden import compare, pack_texts

GOLDEN = Path(__file__).parent / "golden"


def test_demo_outputs_match_the_golden_files(demo_run: DemoRun) -> None:
    problems = compare(pack_texts(demo_run.out, demo_run.stderr), GOLDEN)
    assert not problems, "\n".join(problems)


def test_golden_files_carry_no_run_specific_values() -> None:
    """What the normaliser removes never reaches a golden file, so two runs can agree."""
    for path in GOLDEN.iterdir():
        text = path.read_text(encoding="utf-8")
        assert tempfile.gettempdir() + "/" not in text, path.name
        assert "127.0.0.1:<port>" in text or "127.0.0.1:" not in text, path.name

"""The wheel carries the control catalog, the frameworks, the templates and the demo estate."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_data(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("pcicheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    controls = {n for n in names if n.startswith("pcicheck/_data/controls/aws/") and n.endswith(".yaml")}
    assert len(controls) == len(list((ROOT / "controls" / "aws").rglob("*.yaml")))
    for required in (
        "pcicheck/_data/controls/frameworks/pci-dss-3.2.1.yaml",
        "pcicheck/_data/controls/frameworks/pci-dss-4.0.1.yaml",
        "pcicheck/_data/demo/aws-estate.yaml",
        "pcicheck/_data/templates/README.md",
        "pcicheck/cli/main.py",
        "pcicheck/collect/aws/services/sqs.py",  # found by the runner at run time, not imported by name
    ):
        assert required in names, required

"""Where the data that ships with pcicheck lives: in the wheel, or at the top of a source checkout."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _data_dir(packaged: str, checkout: str) -> Path:
    inside = _PACKAGE / "_data" / packaged
    return inside if inside.is_dir() else _CHECKOUT / checkout


def controls_dir() -> Path:
    return _data_dir("controls", "controls")


def frameworks_dir() -> Path:
    return controls_dir() / "frameworks"


def checkov_policies_dir() -> Path:
    """pcicheck's own Checkov checks (Python, run by Checkov), given to Checkov with --external-checks-dir."""
    return controls_dir() / "checkov" / "policies"


def templates_dir() -> Path:
    return _data_dir("templates", "reports/templates")


def demo_dir() -> Path:
    return _data_dir("demo", "fixtures/demo")


def cache_dir(env: Mapping[str, str]) -> Path:
    """pcicheck's own cache (Checkov's install, the parsed built-in catalog): $PCICHECK_CACHE, else the XDG
    user cache directory."""
    if env.get("PCICHECK_CACHE"):
        return Path(env["PCICHECK_CACHE"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "pcicheck"
    return Path(env.get("HOME") or Path.home()) / ".cache" / "pcicheck"

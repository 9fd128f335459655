"""Checkov for the IaC tests: installed once into a cache shared by every test run on this machine
(CI pays the install once per fresh machine), never into pcicheck's own environment."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.iac.checkov_env import install

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "iac"


def _test_cache() -> Path:
    return Path(os.environ.get("PCICHECK_TEST_CACHE") or Path.home() / ".cache" / "pcicheck-test")


@pytest.fixture(scope="session")
def checkov_cache() -> Path:
    """The cache directory holding pcicheck's pinned Checkov (installed here on first use)."""
    cache = _test_cache()
    install({"PCICHECK_CACHE": str(cache)}, lambda line: sys.stderr.write(line + "\n"))
    return cache


@pytest.fixture
def iac_env(checkov_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pcicheck finds Checkov in the shared cache, as a user's second run would."""
    monkeypatch.setenv("PCICHECK_CACHE", str(checkov_cache))
    monkeypatch.delenv("PCICHECK_CHECKOV", raising=False)
    return checkov_cache


RunIac = Callable[..., tuple[int, dict[str, Any]]]


def run_iac_in(out: Path, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    results = out / "results.json"
    code = main(["iac", str(path), "--quiet", "--format", "json", "--output", str(results), *extra])
    doc = json.loads(results.read_text()) if results.exists() else {}
    return code, doc


@pytest.fixture
def run_iac(tmp_path: Path) -> RunIac:
    def run(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
        return run_iac_in(tmp_path, path, *extra)

    return run


def failures(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["control"], r["resource"]["uid"]) for r in results_doc.results(doc) if r["status"] == "fail"}


def statuses(doc: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [r for r in results_doc.results(doc) if r["status"] == status]


def fake_program(directory: Path, name: str, body: str) -> Path:
    """An executable Python script standing in for helm, kustomize or checkov."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return path

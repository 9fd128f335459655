"""Checkov runs in the background while pcicheck reads its rules (launch.py): a problem found meanwhile ends
that Checkov and removes what it was given; a Checkov that would first need installing is not installed
before the rules are known to be readable."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from pcicheck.cli import main
from pcicheck.iac.checkov_env import CHECKOV_VERSION
from tests.iac.conftest import fake_program

SLOW_CHECKOV = "import time\ntime.sleep(60)  # a long scan\nprint('[]')\n"


def _sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    return src


def _bad_config(tmp_path: Path) -> Path:
    config = tmp_path / "pcicheck.yaml"
    config.write_text("params: [unclosed\n")
    return config


def _processes_running(program: Path) -> list[str]:
    """The processes whose command line names `program`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(program).encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:  # ended while we looked
            continue
    return found


def test_a_bad_config_ends_the_checkov_already_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    temp = tmp_path / "temp"  # where pcicheck stages the sources and gives Checkov its HOME
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    checkov = fake_program(tmp_path / "bin", "checkov", SLOW_CHECKOV)
    started = time.monotonic()
    args = ["iac", str(_sources(tmp_path)), "--quiet", "--checkov", str(checkov)]
    code = main([*args, "--config", str(_bad_config(tmp_path))])
    assert code == 2 and time.monotonic() - started < 30
    assert f"{tmp_path / 'pcicheck.yaml'}:" in capsys.readouterr().err
    assert _processes_running(checkov) == []
    assert list(temp.iterdir()) == []


def test_a_bad_config_is_reported_before_any_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("PCICHECK_CACHE", str(cache))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no checkov on PATH: it would be installed
    monkeypatch.delenv("PCICHECK_CHECKOV", raising=False)
    code = main(["iac", str(_sources(tmp_path)), "--quiet", "--config", str(_bad_config(tmp_path))])
    assert code == 2
    assert "installing Checkov" not in capsys.readouterr().err
    assert not (cache / f"checkov-{CHECKOV_VERSION}").exists()

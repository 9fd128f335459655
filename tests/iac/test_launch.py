"""Checkov runs in the background while pcicheck reads its rules (launch.py): a problem found meanwhile ends
that Checkov and removes what it was given; a Checkov that would first need installing is not installed
before the rules are known to be readable."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from pcicheck.cli import main
from pcicheck.iac.checkov_env import CHECKOV_VERSION

# A shell script (not Python: it has said where it runs within milliseconds of starting) that then works
# for a minute, as a long scan would, unless ended.
SLOW_CHECKOV = """#!/bin/sh
printf '{"pid": %s, "stage": "%s", "home": "%s"}' "$$" "$PWD" "$HOME" > "$PCICHECK_TEST_RECORD"
exec sleep 60
"""


def _sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    return src


def _bad_config(tmp_path: Path) -> Path:
    config = tmp_path / "pcicheck.yaml"
    config.write_text("params: [unclosed\n")
    return config


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_bad_config_ends_the_checkov_already_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "record.json"
    monkeypatch.setenv("PCICHECK_TEST_RECORD", str(record))
    checkov = tmp_path / "checkov"
    checkov.write_text(SLOW_CHECKOV)
    checkov.chmod(0o755)
    started = time.monotonic()
    args = ["iac", str(_sources(tmp_path)), "--quiet", "--checkov", str(checkov)]
    code = main([*args, "--config", str(_bad_config(tmp_path))])
    assert code == 2 and time.monotonic() - started < 30
    assert f"{tmp_path / 'pcicheck.yaml'}:" in capsys.readouterr().err
    deadline = time.monotonic() + 5
    while not record.exists() and time.monotonic() < deadline:  # a write in flight when it was ended
        time.sleep(0.05)
    ran = json.loads(record.read_text())
    assert not _alive(ran["pid"])
    assert not Path(ran["stage"]).exists() and not Path(ran["home"]).exists()


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

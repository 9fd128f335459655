"""Where Checkov comes from, and what of the user's environment reaches it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcicheck.errors import InputError
from pcicheck.iac.checkov_env import CheckovInstallFailed, find_checkov, install, venv_dir
from pcicheck.iac.runner import checkov_env
from pcicheck.paths import cache_dir
from tests.iac.conftest import fake_program


def test_cache_dir_order(tmp_path: Path) -> None:
    assert cache_dir({"PCICHECK_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/c")
    assert cache_dir({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/pcicheck")
    assert cache_dir({"HOME": "/h"}) == Path("/h/.cache/pcicheck")


def test_flag_then_cache_then_path(tmp_path: Path) -> None:
    said: list[str] = []
    on_path = fake_program(tmp_path / "bin", "checkov", "")
    env = {"PCICHECK_CACHE": str(tmp_path / "cache"), "PATH": str(tmp_path / "bin")}
    flag = fake_program(tmp_path / "other", "my-checkov", "")
    assert find_checkov(flag, env, said.append).source == "flag"
    found = find_checkov(None, env, said.append)
    assert (found.source, found.path) == ("path", str(on_path))
    venv = venv_dir(env, "1.2.3")
    fake_program(venv / "bin", "checkov", "")
    (venv / ".pcicheck-installed").write_text("1.2.3\n")
    found = find_checkov(None, env, said.append, version="1.2.3")
    assert (found.source, found.version) == ("cache", "1.2.3")
    assert said == []  # nothing was installed


def test_flag_must_be_executable(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--checkov is not an executable file"):
        find_checkov(tmp_path / "missing", {}, print)


def test_failed_install_says_why(tmp_path: Path) -> None:
    """A Python that cannot create the environment stands in for any failed install step."""
    said: list[str] = []
    broken = fake_program(
        tmp_path / "bin", "python", "import sys\nsys.stderr.write('Error: no space left\\n')\nsys.exit(1)\n"
    )
    with pytest.raises(CheckovInstallFailed) as caught:
        install({"PCICHECK_CACHE": str(tmp_path / "cache")}, said.append, version="1.2.3", python=str(broken))
    venv = tmp_path / "cache" / "checkov-1.2.3"
    assert said == [f"installing Checkov 1.2.3 into {venv} (first use; takes a minute or two)"]
    assert str(caught.value) == (
        f"{venv}: installing Checkov failed (venv {venv}): Error: no space left "
        "(check access to the package registry, or pass --checkov PATH to an installed checkov)"
    )
    assert not (venv / ".pcicheck-installed").exists()


def test_checkov_never_sees_switches_from_the_environment() -> None:
    env = checkov_env(
        {"PATH": "/bin", "CKV_SKIP_CHECK": "CKV_AWS_7", "BC_API_KEY": "k", "CHECKOV_SOFT_FAIL": "1", "HOME": "/root"},
        "/tmp/h",
    )
    assert env == {
        "PATH": "/bin",
        "BC_SKIP_MAPPING": "TRUE",
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "LOG_LEVEL": "WARNING",
        "HOME": "/tmp/h",
    }

"""image/: the container image recipe's static properties, checked cheaply (building it takes minutes
and root: `make image`, see image/README.md). What the image must agree on with the code and with
deploy/: where pcicheck looks for Checkov, the non-root user, the locks' hashes and pins."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from pcicheck.iac.checkov_env import CHECKOV_VERSION, venv_dir

ROOT = Path(__file__).resolve().parents[1]
IMAGE = ROOT / "image"
BUILD = (IMAGE / "build.sh").read_text()
LOCK_LINE = re.compile(r"^([a-z0-9][a-z0-9._-]*)==([^ ]+) --hash=sha256:[0-9a-f]{64}$")


def lock(name: str) -> dict[str, str]:
    pins = {}
    for line in (IMAGE / name).read_text().splitlines():
        m = LOCK_LINE.match(line)
        assert m, f"{name}: not a hash-pinned requirement: {line}"
        pins[m.group(1)] = m.group(2)
    return pins


def test_the_script_parses_and_is_reproducible_by_construction() -> None:
    assert subprocess.run(["sh", "-n", str(IMAGE / "build.sh")], check=False).returncode == 0
    assert 'SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct "$commit")}' in BUILD
    # Every input from the commit, not the working tree: sources, locks, smoke-test fixtures.
    assert 'git -C "$repo" archive --format=tar "$commit"' in BUILD
    assert "at image/requirements.lock" in BUILD and "at image/checkov.lock" in BUILD
    assert BUILD.count("--require-hashes") == 3  # the download (one function, both locks) and both installs
    assert "--sort=name" in BUILD and "--clamp-mtime" in BUILD and "delete=atime,delete=ctime" in BUILD


def test_the_locks_pin_every_dependency_with_its_hash() -> None:
    app, checkov = lock("requirements.lock"), lock("checkov.lock")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in declared:
        name = re.split(r"[<>=!~\[ ]", requirement)[0].lower()
        assert name in app, f"{name} (pyproject) is not in image/requirements.lock"
    assert "pcicheck" not in app  # built from the checkout
    assert checkov["checkov"] == CHECKOV_VERSION


def test_checkov_sits_where_pcicheck_looks_for_it() -> None:
    cache = re.search(r"--config\.env=PCICHECK_CACHE=(\S+)", BUILD)
    assert cache
    where = venv_dir({"PCICHECK_CACHE": cache.group(1)})
    assert str(where) == f"/opt/pcicheck-cache/checkov-{CHECKOV_VERSION}"
    assert "c=/opt/pcicheck-cache/checkov-$checkov" in BUILD
    assert "echo $checkov > \\$c/.pcicheck-installed" in BUILD  # the marker checkov_env._installed reads


def test_non_root_user_matches_the_deployment() -> None:
    assert "--config.user=65532:65532" in BUILD
    cronjob = (ROOT / "deploy" / "cronjob.yaml").read_text()
    assert "runAsUser: 65532" in cronjob and "runAsGroup: 65532" in cronjob

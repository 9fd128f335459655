"""Four evidence packs of one CDE namespace, written by the real CLI, for the history tests.

The estate is observed at four times: supported (1 Nov), failing (2 Nov: the pod turned privileged),
fixed (3 Nov), then nothing until 6 Nov (a gap of three days) and still supported. Each state is collected
once (`pcicheck collect --manifests`); its snapshot's `created_at`, the moment the estate was observed, is
set to the day it stands for, as a snapshot collected that day would hold; `pcicheck evaluate` then judges
it as of that time and writes the signed pack. No clock is faked and no pack is edited after it was sealed.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from pcicheck.cli import main

HERE = Path(__file__).resolve().parents[2] / "fixtures" / "history"
MANIFEST = HERE / "cde-pod.yaml"
CONFIG = HERE / "pcicheck.yaml"
CONTROL = "k8s-workload-no-privileged"
# (pack name, observed at, state): names deliberately out of time order, one pack a zip.
SCANS = (
    ("monday", "2026-11-01T02:00:00Z", "fixed"),
    ("a-tuesday.zip", "2026-11-02T02:05:00Z", "failing"),
    ("wednesday", "2026-11-03T01:58:00Z", "fixed"),
    ("0-saturday", "2026-11-06T02:00:00Z", "fixed"),
)


@dataclass(frozen=True)
class Packs:
    folder: Path  # the four packs
    private_key: Path  # the key they are signed with
    public_key: Path
    other_key: Path  # a key that signed none of them


def keypair(folder: Path, name: str) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = folder / f"{name}.pem", folder / f"{name}.pub"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return private, public


def cli(*argv: str) -> int:
    return main(list(argv))


@pytest.fixture(scope="session")
def history_packs(tmp_path_factory: pytest.TempPathFactory) -> Packs:
    work = tmp_path_factory.mktemp("history")
    private, public = keypair(work, "sign")
    _, other = keypair(work, "other")
    states = {"fixed": work / "fixed.yaml", "failing": work / "failing.yaml"}
    text = MANIFEST.read_text()
    states["fixed"].write_text(text)
    states["failing"].write_text(text.replace("privileged: false", "privileged: true"))
    snapshots = {}
    for state, manifest in states.items():
        snapshots[state] = work / f"{state}.json"
        assert cli("collect", "--manifests", str(manifest), "-o", str(snapshots[state]), "-q") == 0
    folder = work / "packs"
    for name, at, state in SCANS:
        doc = json.loads(snapshots[state].read_text())
        doc["created_at"] = at
        snapshot = work / f"{name}.snapshot.json"
        snapshot.write_text(json.dumps(doc))
        out = folder / name
        args = ["evaluate", str(snapshot), "--config", str(CONFIG), "--out", str(out), "--sign-key", str(private), "-q"]
        code = cli(*args, *(["--zip"] if name.endswith(".zip") else []))
        assert code == (1 if state == "failing" else 0)
    return Packs(folder, private, public, other)


@pytest.fixture
def packs_copy(history_packs: Packs, tmp_path: Path) -> Path:
    """A copy of the four packs a test may change."""
    return Path(shutil.copytree(history_packs.folder, tmp_path / "packs"))

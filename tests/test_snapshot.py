"""Snapshots round-trip, and every kind of bad snapshot is one clear InputError."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pcicheck.errors import InputError
from pcicheck.model import CollectionError, Resource, Snapshot
from pcicheck.snapshot import read_snapshot, write_snapshot

SNAP = Snapshot(
    tool_version="0.1.0",
    created_at="2026-11-25T10:00:00Z",
    request={"providers": ["aws"]},
    identity={"aws": {"account": "111"}},
    resources=(
        Resource(
            uid="u1",
            type="aws.kms.key",
            provider="aws",
            account="111",
            region="r",
            name="k",
            tags={"a": "b"},
            attributes={"aliases": [1, {"y": None}], "rotation_period_days": None},
            source=("kms:ListKeys",),
        ),
    ),
    errors=(
        CollectionError(
            provider="aws",
            account="111",
            region="r",
            service="kms",
            operation="ListKeys",
            code="AccessDenied",
            message="no",
            resource_types=("aws.kms.key",),
        ),
    ),
    calls={"kms:ListKeys": 1},
)


@pytest.mark.parametrize("name", ["snap.json", "snap.json.gz"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    write_snapshot(SNAP, tmp_path / name)
    assert read_snapshot(tmp_path / name) == SNAP


def test_gzip_output_is_reproducible(tmp_path: Path) -> None:
    write_snapshot(SNAP, tmp_path / "a.json.gz")
    write_snapshot(SNAP, tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()


def test_truncated_gzip(tmp_path: Path) -> None:
    write_snapshot(SNAP, tmp_path / "s.json.gz")
    data = (tmp_path / "s.json.gz").read_bytes()
    (tmp_path / "s.json.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt gzip"):
        read_snapshot(tmp_path / "s.json.gz")


def test_corrupt_json_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('{"schema": "pcicheck/snapshot/v1",\n "resources": [\n')
    with pytest.raises(InputError) as info:
        read_snapshot(tmp_path / "s.json")
    assert "s.json:3: snapshot is not valid JSON" in str(info.value)


def test_future_version(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(json.dumps({"schema": "pcicheck/snapshot/v7", "resources": []}))
    with pytest.raises(InputError, match="v7 is newer than this pcicheck"):
        read_snapshot(tmp_path / "s.json")


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"schema": "other"},
        {"schema": "pcicheck/snapshot/v1"},
        {"schema": "pcicheck/snapshot/v1", "created_at": "x", "resources": []},
        {
            "schema": "pcicheck/snapshot/v1",
            "created_at": "2026-01-01T00:00:00Z",
            "resources": [{"type": "t"}],
        },
    ],
)
def test_malformed_documents(tmp_path: Path, doc: object) -> None:
    (tmp_path / "s.json.gz").write_bytes(gzip.compress(json.dumps(doc).encode()))
    with pytest.raises(InputError):
        read_snapshot(tmp_path / "s.json.gz")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="snapshot not found"):
        read_snapshot(tmp_path / "nope.json")

"""Class 12: special files. A FIFO in a --controls folder hung the run; /dev/zero as a snapshot, baseline
or control gave MemoryError, because the size limit read st_size (0 for a device), not the bytes read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pcicheck.errors import InputError
from pcicheck.inputfile import gunzip_bounded, read_bounded
from tests.hostile.bounded import one_error_line, run_capped


def test_a_fifo_in_a_controls_folder_is_refused_not_waited_on(tmp_path: Path, manifests: Path) -> None:
    controls = tmp_path / "controls"
    controls.mkdir()
    os.mkfifo(controls / "evil.yaml")  # nobody ever writes to it: opening it plainly would block forever
    line = one_error_line(run_capped("scan", "--manifests", str(manifests), "--controls", str(controls), "-q"))
    assert f"{controls / 'evil.yaml'}: file is a FIFO" in line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["evaluate", "/dev/zero"], "/dev/zero: snapshot is a device"),
        (["merge", "/dev/zero", "-o", "/dev/null"], "/dev/zero: snapshot is a device"),
        (["diff", "/dev/zero", "/dev/zero"], "/dev/zero: results document is a device"),  # diff has no -q
        (["scan", "--manifests", "M", "--baseline", "/dev/zero"], "/dev/zero: results document is a device"),
        (["scan", "--manifests", "M", "--controls", "/dev/zero"], "/dev/zero: not a directory of controls"),
        (["scan", "--manifests", "M", "--config", "/dev/zero"], "/dev/zero: config file is a device"),
        (["scan", "--manifests", "M", "--waivers", "/dev/zero"], "/dev/zero: waivers file is a device"),
        (["scan", "--manifests", "/dev/zero"], "/dev/zero"),
    ],
)
def test_dev_zero_anywhere_is_one_line(manifests: Path, argv: list[str], expected: str) -> None:
    quiet = [] if argv[0] == "diff" else ["-q"]
    line = one_error_line(run_capped(*(str(manifests) if a == "M" else a for a in argv), *quiet))
    assert expected in line


def test_reading_counts_bytes_not_the_size_the_file_claims(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a device"):
        read_bounded(Path("/dev/zero"), 1024)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(InputError, match="larger than 1024 bytes"):
        read_bounded(big, 1024)
    assert read_bounded(big, 4096) == b"x" * 2048


def test_a_gzip_bomb_is_inflated_only_to_the_bound(tmp_path: Path) -> None:
    import gzip

    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in about 64 KiB
    assert len(bomb) < 100 * 1024
    with pytest.raises(InputError, match="inflates to more than 8 MiB"):
        gunzip_bounded(bomb, 8 * 1024 * 1024, path=tmp_path / "s.json.gz")
    with pytest.raises(InputError, match="truncated or corrupt"):
        gunzip_bounded(gzip.compress(os.urandom(4096))[:-20], 8 * 1024 * 1024, path=tmp_path / "s.json.gz")

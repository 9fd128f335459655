"""Writing what the user asked for (results, packs, snapshots): an unwritable path is the user's to fix,
so the operating system's refusal becomes one line naming the path, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pcicheck.errors import InputError


@contextmanager
def writing(path: Path, what: str) -> Iterator[None]:
    """Creates the folder `path` goes in; any OSError inside the block names the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield
    except FileExistsError as exc:  # a file stands where a folder of the path should be
        raise InputError(
            f"cannot write {what}: {exc.filename} is a file, not a folder",
            path=str(path),
            fix="choose a path you can write to",
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot write {what}: {exc.strerror or exc}",
            path=str(exc.filename or path),
            fix="choose a path you can write to",
        ) from None


def write_atomically(path: Path, data: bytes, what: str) -> None:
    """`data` into `path` as one step: written beside it under a hidden name, then renamed over it, so a
    reader polling for the file (a merge waiting for its shards) never reads it half written."""
    with writing(path, what):
        temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            temporary.write_bytes(data)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

"""Writing what the user asked for (results, packs, snapshots): an unwritable path is the user's to fix,
so the operating system's refusal becomes one line naming the path, never a traceback."""

from __future__ import annotations

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

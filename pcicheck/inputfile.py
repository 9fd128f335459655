"""Reading a file pcicheck was given, within bounds: a regular file only, never more bytes than a limit,
counted as they are read (a device such as /dev/zero reports size 0 and never ends; a FIFO blocks an
ordinary open), gzip inflated in steps with the same bound, and JSON parsed into one-line errors."""

from __future__ import annotations

import json
import os
import stat
import zlib
from pathlib import Path
from typing import Any

from pcicheck.errors import InputError

MiB = 1024 * 1024
# A snapshot or results document: an organisation's estate with every tag fits; memory stays a few times this.
MAX_DOCUMENT_BYTES = 1024 * MiB
_CHUNK = MiB


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bounded(path: Path, limit: int, *, what: str = "file", fix: str | None = None) -> bytes:
    """The bytes of a regular file, refused past `limit` bytes; every problem is an InputError on `path`."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=str(path), fix=fix or "check the path") from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", path=str(path), fix=fix) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputError(f"{what} is {_describe(mode)}", path=str(path), fix=f"pass a regular {what}")
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"cannot read {what}: {exc.strerror or exc}", path=str(path), fix=fix) from None
    if len(data) > limit:
        raise InputError(f"{what} is larger than {_size(limit)}", path=str(path), fix=fix)
    return data


def gunzip_bounded(data: bytes, limit: int, *, path: Path | str, what: str = "file", fix: str | None = None) -> bytes:
    """`data` itself, or inflated when it is gzip, in steps so a small bomb cannot grow past `limit`."""
    if data[:2] != b"\x1f\x8b":
        return data
    out = bytearray()
    pending = data
    try:
        while pending:  # gzip allows several members, one after another
            inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            while not inflate.eof:
                piece = inflate.decompress(pending, _CHUNK)
                out += piece
                if len(out) > limit:
                    raise InputError(f"{what} inflates to more than {_size(limit)}", path=str(path), fix=fix)
                pending = inflate.unconsumed_tail
                if not pending and len(piece) < _CHUNK and not inflate.eof:
                    raise InputError(f"{what} is a truncated or corrupt gzip file", path=str(path), fix=fix)
            pending = inflate.unused_data
    except zlib.error:
        raise InputError(f"{what} is a truncated or corrupt gzip file", path=str(path), fix=fix) from None
    return bytes(out)


def parse_json(raw: bytes, *, path: Path | str, what: str = "file", fix: str | None = None) -> Any:
    """JSON (UTF-8) → Python, with the line and column of a syntax error; nesting too deep is an error too."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 JSON", path=str(path), fix=fix) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} is not valid JSON ({exc.msg}, column {exc.colno})", path=str(path), line=exc.lineno, fix=fix
        ) from None
    except RecursionError:
        raise InputError(f"{what} nests JSON too deeply", path=str(path), fix=fix) from None


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit} bytes"

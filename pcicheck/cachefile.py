"""A derived-data cache in the user's cache directory: one JSON file per name and content key.

Files are named by their key as well as their name, so two pcicheck versions or checkouts sharing a cache
directory (pre-commit environments of two repositories, a CI runner building several branches) each keep
their entry instead of replacing the other's on every run; the newest KEEP entries of a name are kept.

What is cached is data, never code: JSON, read by the json module, so a doctored file can at worst be
refused. A file is used only if
- it is a regular file owned by this user in a directory owned by this user, neither writable by others
  (as ssh treats ~/.ssh: another account that could write there could otherwise choose our verdicts);
- its key is the key of the inputs now (a hash the caller makes of every input byte and of the code that
  reads them), and the SHA-256 it records is that of its payload (a damaged file is not read).
Anything else — missing, foreign, stale, damaged, unreadable — is a miss: the caller rebuilds and the file
is replaced, written to a temporary name and renamed, so a reader never sees half of one. A cache directory
that cannot be written only means no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pcicheck.paths import cache_dir

FORMAT = 1
MAX_BYTES = 64 * 1024 * 1024
KEEP = 4  # entries per name: a few versions side by side, not every version ever run


def content_key(parts: Iterable[bytes | str]) -> str:
    """SHA-256 over the parts, each length-prefixed so no two different lists of parts share a key."""
    h = hashlib.sha256(f"pcicheck-cache-{FORMAT}".encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _path(name: str, key: str, env: Mapping[str, str]) -> Path:
    return cache_dir(env) / "derived" / f"{name}-{key[:16]}.json"


def _prune(folder: Path, name: str) -> None:
    """Removes all but the KEEP most recently written entries of `name` (temporary files start with a dot)."""
    entries = []
    for path in folder.glob(f"{name}-{'[0-9a-f]' * 16}.json"):
        with contextlib.suppress(OSError):
            entries.append((path.lstat().st_mtime_ns, path))
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            path.unlink()


def _private(st: os.stat_result) -> bool:
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(name: str, key: str, env: Mapping[str, str] | None = None) -> Any | None:
    """The cached payload for `key`, or None."""
    path = _path(name, key, os.environ if env is None else env)
    try:
        if not _private(os.stat(path.parent)):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or not _private(st) or st.st_size > MAX_BYTES:
                return None
            head, _, payload = f.read(MAX_BYTES).partition(b"\n")
        header = json.loads(head)
        if header != {"format": FORMAT, "key": key, "sha256": hashlib.sha256(payload).hexdigest()}:
            return None
        return json.loads(payload)
    except (OSError, ValueError):  # missing, unreadable, not JSON (json's errors are ValueErrors)
        return None


def write(name: str, key: str, payload: Any, env: Mapping[str, str] | None = None) -> None:
    """Stores the payload for `key`, replacing what was there; silently nothing if that is not possible."""
    path = _path(name, key, os.environ if env is None else env)
    try:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError):  # not plain data: nothing to cache
        return
    header = {"format": FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()}
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.stat(path.parent)):
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(json.dumps(header).encode() + b"\n" + body)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return
    _prune(path.parent, name)

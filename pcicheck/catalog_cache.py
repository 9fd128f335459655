"""The parsed built-in catalog (and the Checkov mapping), kept across runs in the user's cache directory.

Reading and validating the catalog's YAML costs more than anything else a short run does; its result is a
function of the files' bytes and of the code that reads them, so it is cached under a key made of both:
every input file's path and bytes, the source of the modules that turn them into records, the resource
types the collectors declare (a control naming an unknown one is refused), and the pcicheck, Python and
PyYAML versions. Change any of them and the next run reads the YAML again.

The records are stored as plain JSON (cachefile.py): each value tagged with what it was — a LineDict with
its lines, a tuple, one of a fixed list of record classes and enums — so a cached catalog decodes to
records equal to freshly read ones, lines included. Anything else makes encoding fail, and nothing is cached.
"""

from __future__ import annotations

import dataclasses
import platform
import sys
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pcicheck import __version__, cachefile
from pcicheck.model import Control, ControlTest, Framework, Requirement, Severity, Status, TestingProcedure
from pcicheck.yamlfile import LineDict

T = TypeVar("T")
_RECORDS: dict[str, Any] = {
    cls.__name__: cls for cls in (Control, ControlTest, Framework, Requirement, TestingProcedure, Severity, Status)
}


def encode(value: Any) -> Any:
    """JSON-ready data for a record or value; TypeError for anything outside the tagged kinds."""
    if isinstance(value, Enum):  # first: Severity and Status are also str
        if _RECORDS.get(type(value).__name__) is not type(value):
            raise TypeError(f"cannot cache a {type(value).__name__}")
        return {"e": [type(value).__name__, value.value]}
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"t": [encode(v) for v in value]}
    if dataclasses.is_dataclass(value) and _RECORDS.get(type(value).__name__) is type(value):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"c": [type(value).__name__, fields]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        items = {k: encode(v) for k, v in value.items()}
        if isinstance(value, LineDict) and hasattr(value, "key_lines"):
            return {"l": value.line, "k": dict(value.key_lines), "v": items}
        if type(value) is dict:
            return {"v": items}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(data: Any) -> Any:
    """The value `encode` was given. Malformed data raises (KeyError, TypeError, ValueError)."""
    if data is None or isinstance(data, str | bool | int | float):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if "t" in data:
        return tuple(decode(v) for v in data["t"])
    if "e" in data:
        name, raw = data["e"]
        return _RECORDS[name](raw)
    if "c" in data:
        name, fields = data["c"]
        return _RECORDS[name](**{k: decode(v) for k, v in fields.items()})
    items = {k: decode(v) for k, v in data["v"].items()}
    if "l" not in data:
        return items
    mapping = LineDict(items)
    mapping.line = int(data["l"])
    mapping.key_lines = {str(k): int(v) for k, v in data["k"].items()}
    return mapping


def builtin(
    name: str,
    files: Iterable[Path],
    code_modules: Iterable[str],
    read: Callable[[], T],
    check: Callable[[Any], T],
    resource_types: Iterable[str] = (),
) -> T:
    """`read()` of files that ship with pcicheck, through the cache, under a key of those files, the source
    of the (imported) modules that read them, and the resource types a control may name."""
    # This module's own source too: it decides how an entry decodes.
    code = [Path(sys.modules[module].__file__ or "") for module in (*code_modules, __name__, cachefile.__name__)]
    try:
        content_key = key(files, code, resource_types)
    except OSError:  # a file gone or unreadable: read as usual, and let that report it
        return read()
    return cached(f"builtin-{name}", content_key, read, check)


def key(inputs: Iterable[Path], code: Iterable[Path], resource_types: Iterable[str]) -> str:
    """The content key: every input's path and bytes, the reading code's source, the declared types, versions."""
    parts: list[bytes | str] = [__version__, sys.version, platform.machine(), yaml.__version__]
    for path in [*inputs, *code]:
        parts += [str(path), path.read_bytes()]
    parts.append("\n".join(sorted(resource_types)))
    return cachefile.content_key(parts)


def cached(name: str, content_key: str, build: Callable[[], T], check: Callable[[Any], T]) -> T:
    """What `build` makes, from the cache when its entry for this key is there and decodes to the
    expected kind (`check` raises otherwise); else built, and stored for the next run."""
    payload = cachefile.read(name, content_key)
    if payload is not None:
        try:
            return check(decode(payload))
        except (KeyError, TypeError, ValueError):  # a damaged or foreign entry: rebuilt below
            pass
    value = build()
    try:
        data = encode(value)
    except TypeError:
        return value
    cachefile.write(name, content_key, data)
    return value

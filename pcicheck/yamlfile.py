"""Safe YAML loading that remembers where each mapping and key came from, for file:line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pcicheck.errors import InputError

MAX_YAML_BYTES = 5 * 1024 * 1024  # untrusted input: a control or config file is never this big


class LineDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain scalars", key_node.start_mark
            )
        key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_error(path: Path, exc: yaml.YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return InputError(
        f"invalid YAML: {problem}",
        path=str(path),
        line=(mark.line + 1) if mark else None,
        fix="correct the YAML syntax at that line",
    )


def load_documents(path: Path) -> list[Any]:
    """All YAML documents in a file, mappings as LineDict. Any problem → InputError with file:line."""
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise InputError(f"file is larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB", path=str(path))
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", path=str(path), fix="save the file as UTF-8") from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from exc
    try:
        return [doc for doc in yaml.load_all(text, Loader=_LineLoader) if doc is not None]
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from exc


def load_mapping(path: Path) -> LineDict:
    """A file holding exactly one YAML mapping."""
    docs = load_documents(path)
    if len(docs) != 1 or not isinstance(docs[0], LineDict):
        raise InputError(
            "expected exactly one YAML mapping",
            path=str(path),
            line=1,
            fix="one document of key: value pairs",
        )
    return docs[0]

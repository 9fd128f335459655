"""Text as the evidence pack's page shows it: strings as they are, anything else as JSON, all clipped
so that one hostile value cannot swell the page."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_TEXT = 2000  # characters of one string before it is clipped


def clip(value: Any, limit: int = MAX_TEXT) -> str:
    """Text for the page, at most `limit` characters plus a marker saying how much was left out."""
    text = value if isinstance(value, str) else show_value(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def show_value(value: Any) -> str:
    """A string as it is; anything else as JSON spells it (`true`, `null`, lists and maps), keys sorted."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "), default=str)


def text(value: Any) -> str:
    """A field's text for the page: empty for a missing value, else clipped."""
    return "" if value is None else clip(value)


def pairs(mapping: Any, limit: int, value_limit: int = MAX_TEXT) -> tuple[list[tuple[str, str]], int]:
    """(key, value) text pairs of a mapping, the first `limit` of them (each value clipped at
    `value_limit` characters), and how many were left out."""
    if not isinstance(mapping, Mapping) or not mapping:
        return [], 0
    items = list(mapping.items())
    shown = [(clip(str(k), 200), clip(v, value_limit)) for k, v in items[:limit]]
    return shown, max(0, len(items) - limit)

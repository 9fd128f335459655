"""Durations as a user types them (`1d`, `12h`, `1w`, `1d12h`, `90m`) and as a report shows them."""

from __future__ import annotations

import re
from datetime import timedelta

from pcicheck.errors import InputError

_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_PART = re.compile(r"(\d{1,6})([wdhm])")
FIX = "write a duration such as 1d, 12h, 1w or 1d12h (w: weeks, d: days, h: hours, m: minutes)"


def parse_duration(text: str, *, option: str) -> timedelta:
    """`1d12h` → 36 hours; InputError naming `option` for anything else, or for zero."""
    compact = text.strip().lower()
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InputError(f"{option} {text!r} is not a duration", fix=FIX)
    total = sum((int(n) * _UNITS[u] for n, u in parts), timedelta())
    if total <= timedelta():
        raise InputError(f"{option} {text!r} is not longer than zero", fix=FIX)
    return total


def show_duration(length: timedelta) -> str:
    """Days and hours (minutes under an hour), as a reader says them: `3d 4h`, `5h`, `40m`."""
    minutes = int(length.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"

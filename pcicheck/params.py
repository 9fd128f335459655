"""A control's params: the type each one declares through its default, and whether a value fits it.

A control declares a param by giving its default (`params: {max_days: 365}`); the default's type is the
param's type. An override (in pcicheck.yaml or in one of the control's test cases) must have that same
type, because CEL does not convert: `"180"` for max_days makes every comparison an error, `1.30` for
a version written as text becomes 1.3, and `true` for a number of days is not 1. So:

- a whole number takes a whole number (true/false is not a number, 180.0 is not a whole number);
- a number with a fraction (a float default) takes any number;
- text takes text (quote `"1.30"`), true/false takes true or false;
- a list takes a list whose items have the type of the default's items. An empty default (`[]`) is a list
  of text, the kind every built-in empty list holds; a control that wants a list of numbers says so by a
  non-empty default.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# A param is read in CEL as `params.NAME`: a name CEL cannot spell could never be used.
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_SCALARS = {"text": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false"}
_ITEMS = {"text": "text", "integer": "whole numbers", "number": "numbers", "boolean": "true/false values"}


@dataclass(frozen=True)
class ParamType:
    kind: str  # text | integer | number | boolean
    is_list: bool = False

    def describe(self) -> str:
        return f"a list of {_ITEMS[self.kind]}" if self.is_list else _SCALARS[self.kind]

    def fits(self, value: Any) -> bool:
        if not self.is_list:
            return _scalar_fits(value, self.kind)
        return isinstance(value, list) and all(_scalar_fits(v, self.kind) for v in value)


def _scalar_kind(value: Any) -> str | None:
    if isinstance(value, bool):  # before int: bool is an int subclass in Python, not in CEL
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def _scalar_fits(value: Any, kind: str) -> bool:
    found = _scalar_kind(value)
    return found == kind or (kind == "number" and found == "integer")


def declared_type(default: Any) -> ParamType | None:
    """The type a default declares, or None when it is not one a param can have (null, a mapping, a list
    of mixed or nested values)."""
    if not isinstance(default, list):
        kind = _scalar_kind(default)
        return ParamType(kind) if kind else None
    found = [_scalar_kind(v) for v in default]
    kinds = {k for k in found if k is not None} or {"text"}
    if None in found:
        return None
    if kinds == {"integer", "number"}:
        return ParamType("number", is_list=True)
    return ParamType(kinds.pop(), is_list=True) if len(kinds) == 1 else None


def shown(value: Any) -> str:
    """A value as the file spells it, with what YAML made of it, for a message: `'180' (text)`."""
    if isinstance(value, bool) or value is None:
        return {True: "true (true/false)", False: "false (true/false)", None: "nothing (an empty value)"}[value]
    kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else None
    kind = kind or _SCALARS.get(_scalar_kind(value) or "", type(value).__name__)
    text = repr(value)
    return f"{text[:60]}… ({kind})" if len(text) > 60 else f"{text} ({kind})"


def mismatch(name: str, value: Any, default: Any) -> tuple[str, str] | None:
    """(message, fix) when `value` does not fit the param `name` declared by `default`; None when it does."""
    ptype = declared_type(default)
    if ptype is None or ptype.fits(value):
        return None
    fix = f"give {ptype.describe()}, like the default {default!r}"
    if ptype.is_list and not isinstance(value, list):
        fix += ": write a list, [a, b], even of one item"
    elif isinstance(value, str) and ptype.kind in ("integer", "number"):
        fix += ": write the number without quotes"
    elif ptype.kind == "text" and not isinstance(value, dict | list):
        fix += ": quote it"
    return f"param {name!r} must be {ptype.describe()}, not {shown(value)}", fix


def closest(name: str, names: Iterable[str]) -> str | None:
    """The known name `name` most likely misspells (`max_dayz` → `max_days`), if one is close."""
    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_param_fix(name: str, declared: Iterable[str]) -> str:
    """The fix for a param a control does not declare: the closest declared one, else all of them."""
    known = sorted(declared)
    close = closest(name, known)
    if close:
        return f"did you mean {close}?"
    if not known:
        return "the control declares no params"
    return "its params are: " + ", ".join(known)

"""Does a collected resource keep its type's declared contract? (pcicheck.model.resource_type)"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pcicheck.collect.registry import resource_types
from pcicheck.model import Attribute, Resource

# ISO-8601 date and time, as iso() writes it ('Z') or as an API reports it with an offset.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})")

_KINDS: dict[str, Callable[[Any], bool]] = {
    # bool is an int in Python, never in the contract.
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "timestamp": lambda v: isinstance(v, str) and _TIMESTAMP.fullmatch(v) is not None,
    "list": lambda v: isinstance(v, list),
    "map": lambda v: isinstance(v, dict),
    "any": lambda v: True,
}


def value_violation(attribute: Attribute, value: Any) -> str | None:
    """Why `value` does not fit `attribute`, or None when it does."""
    if value is None:
        return None if attribute.nullable else "null, but not declared nullable"
    if not _KINDS[attribute.kind](value):
        return f"{type(value).__name__} {value!r:.60}, declared {attribute.kind}"
    return None


def violations(resource: Resource) -> list[str]:
    """Every way `resource` breaks its type's declaration: an undeclared type, an undeclared
    attribute, or a value of the wrong kind (absent attributes are allowed: they were not read)."""
    declared = resource_types().get(resource.type)
    if declared is None:
        return [f"{resource.uid}: type {resource.type} is not declared"]
    found = []
    for key, value in resource.attributes.items():
        attribute = declared.attributes.get(key)
        if attribute is None:
            found.append(f"{resource.type}.{key}: not declared ({resource.uid})")
            continue
        why = value_violation(attribute, value)
        if why is not None:
            found.append(f"{resource.type}.{key}: {why} ({resource.uid})")
    return found

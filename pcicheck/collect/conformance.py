"""Does a resource keep its type's declared contract (pcicheck.model.resource_type)? Collectors are held
to it by their tests; a snapshot read from a file is held to it before anything is evaluated."""

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


def _record_violations(resource: Resource) -> list[str]:
    """The record's own fields: text where text is meant, tags of text, attributes a mapping."""
    found = [
        f"{field} is {type(value).__name__}, not text"
        for field, value in (
            ("uid", resource.uid),
            ("type", resource.type),
            ("provider", resource.provider),
            ("account", resource.account),
            ("region", resource.region),
            ("name", resource.name),
        )
        if not isinstance(value, str)
    ]
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in resource.tags.items()):
        found.append("tags must map text to text")
    if not all(isinstance(s, str) for s in resource.source):
        found.append("source must be a list of text")
    if not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in resource.defaulted.items()):
        found.append("defaulted must map attribute names to the reason for each default")
    return found


def violations(resource: Resource) -> list[str]:
    """Every way `resource` breaks its type's declaration: fields of the wrong kind, an undeclared type,
    an undeclared attribute, or a value of the wrong kind (absent attributes are allowed: they were not
    read)."""
    own = _record_violations(resource)
    if own:
        return [f"{resource.uid!r}: {why}" for why in own]
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
    # A default is recorded for a value the resource holds: one for an absent attribute explains nothing.
    found += [
        f"{resource.type}.{key}: recorded as defaulted but absent ({resource.uid})"
        for key in resource.defaulted
        if key not in resource.attributes
    ]
    return found

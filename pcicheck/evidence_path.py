"""Evidence paths: what a control's `evidence:` list names, and the value each one shows.

A path is an attribute (`rotation_enabled`), a dotted path into one (`encryption.kms_key_id`), or a fact
(`facts.tenant`). A path naming a list of records may project fields out of each record:

    containers[].{name,init,run_as_non_root,run_as_user}
    containers[].{name,init,image_ref.tag,image_ref.digest}

`[]` is JMESPath's flatten projection over the list and `{a,b}` jq's object shorthand (`{a: .a, b: .b}`):
each record is shown with only the named fields, so a finding shows the values its verdict rests on and
not the whole record. A dotted field keeps its nesting (`image_ref.digest` shows `{"image_ref":
{"digest": …}}`; a null `image_ref` stays null). Nothing else of either language is accepted: no
filters, indexes, renames or functions. In YAML the path is quoted (`[`, `{` and `,` are YAML's flow
syntax): `evidence: [kind, "containers[].{name,init}"]`.

What a projection cannot take apart it shows whole, so it never hides a value: a list element that is
not a record, or a path naming something that is not a list. An absent field is `<not collected>`,
as an absent attribute is.

Paths are parsed once, when the catalog loads a control (a malformed one is that control's error,
naming its line), and written back in one spelling (no spaces), which is the key results show it under.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NOT_COLLECTED = "<not collected>"
SYNTAX = "NAME(.NAME)*, optionally followed by []. and {FIELD,FIELD,...} (FIELD: NAME(.NAME)*)"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = re.compile(rf"{_NAME}(?:\.{_NAME})*\Z")
_PROJECTED = re.compile(r"(?P<list>[^\[\]{}]*)\[\]\.\{(?P<fields>[^{}]*)\}\Z")

# A projection as a tree: each field → None (shown whole) or the projection of its own fields.
Fields = Mapping[str, "Fields | None"]


@dataclass(frozen=True)
class EvidencePath:
    text: str  # the path in its one spelling: the key its value is shown under
    in_facts: bool  # under `facts`, else under `attributes`
    keys: tuple[str, ...]  # the path to the value (to the list, when projected), without `facts.`
    # The fields each record of the list keeps; None = the value whole. Left out of the hash (a mapping
    # has none): the text says the same.
    fields: Fields | None = field(default=None, hash=False)

    def value(self, attributes: Mapping[str, Any], facts: Mapping[str, Any]) -> Any:
        """The value shown: the one at `keys` (projected when `fields` says so), or `<not collected>`."""
        node: Any = facts if self.in_facts else attributes
        for key in self.keys:
            node = node.get(key, NOT_COLLECTED) if isinstance(node, Mapping) else NOT_COLLECTED
        if self.fields is None or not isinstance(node, list):
            return node
        return [_project(e, self.fields) for e in node]


def _project(record: Any, fields: Fields) -> Any:
    if not isinstance(record, Mapping):
        return record  # not a record: shown as it is, never dropped
    out: dict[str, Any] = {}
    for name, sub in fields.items():
        value = record.get(name, NOT_COLLECTED)
        out[name] = value if sub is None else _project(value, sub)
    return out


class EvidencePathError(ValueError):
    """A malformed evidence path: the message says what is wrong, `fix` how to write it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


def parse(text: str) -> EvidencePath:
    """The path `text` names (spaces around fields allowed), or EvidencePathError saying why not."""
    fix = f"write {SYNTAX}, e.g. containers[].{{name,init,run_as_non_root}}"
    stripped = text.strip()
    found = _PROJECTED.match(stripped)
    head = found.group("list").strip() if found else stripped
    if not _DOTTED.match(head):
        raise EvidencePathError(f"evidence path {text!r} is not a dotted attribute or fact name", fix)
    keys = tuple(head.split("."))
    in_facts = keys[0] == "facts"
    if in_facts:
        keys = keys[1:]
        if not keys:
            raise EvidencePathError(f"evidence path {text!r} names no fact", "write facts.NAME")
    if not found:
        return EvidencePath(head, in_facts, keys)
    names = [f.strip() for f in found.group("fields").split(",")]
    if not all(_DOTTED.match(f) for f in names):
        raise EvidencePathError(f"evidence path {text!r} has a field that is not a dotted name", fix)
    if len(set(names)) != len(names):
        raise EvidencePathError(f"evidence path {text!r} names a field twice", "name each field once")
    fields = _tree(names, text)
    return EvidencePath(f"{head}[].{{{','.join(names)}}}", in_facts, keys, fields)


def _tree(names: list[str], text: str) -> Fields:
    tree: dict[str, Any] = {}
    for name in names:
        *parents, leaf = name.split(".")
        node = tree
        for p in parents:
            if p in node and node[p] is None:
                raise EvidencePathError(
                    f"evidence path {text!r} names {p} both whole and by its fields", f"keep {p} or its fields"
                )
            node = node.setdefault(p, {})
        if leaf in node:
            raise EvidencePathError(
                f"evidence path {text!r} names {name} both whole and by its fields", f"keep {name} or its fields"
            )
        node[leaf] = None
    return tree

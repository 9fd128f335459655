"""What a control's CEL reads of the resource it judges: which top-level keys, attributes and facts.

Two things depend on it. A collection error on one attribute makes `error` only the controls that read
that attribute (not every control whose evidence lists it), and the map handed to CEL is cut down to
what is read (converting values into CEL costs per value). Both must over-approximate: an attribute a
control reads but this misses would be hidden from it (a read failure not attached, a value missing).

The `cel` package exposes no syntax tree (Program.variables() names only top-level identifiers), so the
expression is tokenized here by CEL's lexical rules (string and bytes literals in every quoting, raw
strings, `//` comments, backquoted field names) and each use of the `resource` variable is followed
through its selections. Anything that is not a plain field selection — `resource[...]` with a computed
key, a method or macro on the map (`resource.attributes.exists(k, …)`, `.size()`), `k in
resource.attributes`, the map passed to a function — reads the whole map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Order matters: literals (with their optional r/b prefixes) before identifiers, so that `r"x"` is a
# string and not the identifier `r`; triple quotes before single ones.
_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<string>[rRbB]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<quoted>`[^`\n]*`)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d[\w.]*)
  | (?P<punct>\.\?|\[\?|[^\s])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True)
class Token:
    kind: str  # string | ident | number | punct
    text: str  # an identifier's name, a string literal's value (escapes resolved for quotes only)


def tokens(expression: str) -> Iterator[Token]:
    """CEL tokens; whitespace and comments dropped. Never raises: what does not lex is punctuation."""
    for m in _TOKEN.finditer(expression):
        kind = m.lastgroup or "punct"
        text = m.group()
        if kind == "space":
            continue
        if kind == "string":
            yield Token("string", _literal(text))
        elif kind == "quoted":
            yield Token("ident", text[1:-1])
        else:
            yield Token(kind, text)


def _literal(text: str) -> str:
    prefix = len(text) - len(text.lstrip("rRbB"))
    body = text[prefix:]
    quote = 3 if body[:3] in ('"""', "'''") else 1
    value = body[quote:-quote]
    # Only simple escapes matter here: a field name is letters, digits and underscores.
    return value if "r" in text[:prefix].lower() else _ESCAPE.sub(r"\1", value)


@dataclass(frozen=True)
class Reads:
    """What expressions read of `resource`: its top-level keys, its attributes' names and its facts'
    names; None = all."""

    keys: frozenset[str] | None
    attributes: frozenset[str] | None
    facts: frozenset[str] | None = None

    def reads(self, name: str) -> bool:
        """Whether `name` — an attribute, or a top-level key such as `tags` — is read. Collection errors
        name what they left unknown in one list, attributes and keys alike."""
        if self.attributes is None or self.keys is None:
            return True
        return name in self.attributes or name in self.keys

    def union(self, other: Reads) -> Reads:
        keys = None if self.keys is None or other.keys is None else self.keys | other.keys
        names = None if self.attributes is None or other.attributes is None else self.attributes | other.attributes
        facts = None if self.facts is None or other.facts is None else self.facts | other.facts
        return Reads(keys, names, facts)


NOTHING = Reads(frozenset(), frozenset(), frozenset())


def reads_of(*expressions: str) -> Reads:
    """What `expressions` read of `resource` (the variable, not a field named so)."""
    keys: set[str] | None = set()
    under: dict[str, set[str] | None] = {"attributes": set(), "facts": set()}  # names read under each map
    for expression in expressions:
        found = list(tokens(expression))
        for i, tok in enumerate(found):
            if tok.kind != "ident" or tok.text != "resource" or _selected(found, i):
                continue
            key, after = _field(found, i + 1)
            if key is None:
                keys = None  # the whole resource, attributes and facts all
                under = dict.fromkeys(under)
                continue
            if keys is not None:
                keys.add(key)
            names = under.get(key, set())
            if key in under and names is not None:
                name, _ = _field(found, after)
                if name is None:
                    under[key] = None
                else:
                    names.add(name)
    return Reads(_frozen(keys), _frozen(under["attributes"]), _frozen(under["facts"]))


def _frozen(names: set[str] | None) -> frozenset[str] | None:
    return None if names is None else frozenset(names)


def _selected(found: list[Token], i: int) -> bool:
    """Whether the identifier at `i` is a field of something (`x.resource`), not the variable."""
    before = found[i - 1] if i > 0 else None
    return before is not None and before.kind == "punct" and before.text in (".", ".?")


def _field(found: list[Token], i: int) -> tuple[str | None, int]:
    """The field name selected at `i` (`.name`, `.?name`, `["name"]`, `[?"name"]`) and the index after
    it; None when what follows is not a plain selection of a named field, or is a method call on the map."""
    if i >= len(found) or found[i].kind != "punct":
        return None, i
    sep = found[i].text
    if sep in (".", ".?"):
        j = i + 1
        if j < len(found) and found[j].text == "?" and found[j].kind == "punct":
            j += 1  # `.?name` lexed as `.` `?` when spaced
        if j >= len(found) or found[j].kind != "ident":
            return None, i
        call = j + 1 < len(found) and found[j + 1].kind == "punct" and found[j + 1].text == "("
        return (None, i) if call else (found[j].text, j + 1)
    if sep in ("[", "[?"):
        j = i + 1
        if j < len(found) and found[j].text == "?" and found[j].kind == "punct":
            j += 1
        closes = j + 1 < len(found) and found[j + 1].kind == "punct" and found[j + 1].text == "]"
        if j < len(found) and found[j].kind == "string" and closes:
            return found[j].text, j + 2
    return None, i


def params_read(expression: str) -> frozenset[str] | None:
    """The `params.NAME`s an expression reads; None when it reads `params` other than by a named field."""
    names: set[str] = set()
    found = list(tokens(expression))
    for i, tok in enumerate(found):
        if tok.kind != "ident" or tok.text != "params" or _selected(found, i):
            continue
        name, _ = _field(found, i + 1)
        if name is None:
            return None
        names.add(name)
    return frozenset(names)

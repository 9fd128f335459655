"""What an analyzer is: a function deriving facts that single resources cannot show, and the
declaration of those facts — their names, what they mean, and the resource types they are built from.

The declarations are what the rest of pcicheck relies on. The engine fails closed through them: a
control reading a fact is `error` wherever a listing of a type that fact reads failed, since a fact
built from an incomplete listing is incomplete too. The scan plan collects those types. And the
facts a control may name are exactly the declared ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pcicheck.config import ScopeConfig
from pcicheck.model import Resource

# uid → {fact name: value}: what an analyzer adds to the resources it has something to say about.
FactMap = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Fact:
    name: str
    doc: str
    # The resource types whose listings the fact is built from (its own resource's excepted).
    reads: tuple[str, ...] = ()
    # Built from every resource naming a KMS key: one whose key reference could not be read leaves it
    # incomplete, as a failed listing would.
    key_references: bool = False
    # Derived from the resource's own tags, like scope: unknown when the tags could not be read.
    from_tags: bool = False


@dataclass(frozen=True)
class AnalysisInput:
    resources: list[Resource]
    scope: ScopeConfig
    earlier: Mapping[str, FactMap]  # what the analyzers before this one wrote, by analyzer name


@dataclass(frozen=True)
class Analyzer:
    name: str
    writes: tuple[Fact, ...]
    run: Callable[[AnalysisInput], FactMap]

    def fact(self, name: str) -> Fact:
        return next(f for f in self.writes if f.name == name)

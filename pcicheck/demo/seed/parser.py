"""The parser's memory of an estate file: which logical names are declared where, and every reference to check.

The area modules (parse_account, parse_network, parse_services) read one entry each through it;
`load` walks the file in order and checks every reference once all is declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pcicheck.demo.seed.fields import Fields
from pcicheck.demo.seed.records import Ref, label
from pcicheck.errors import InputError
from pcicheck.yamlfile import LineDict

T = TypeVar("T")


@dataclass(frozen=True)
class Decl:
    """Where a logical name was declared: what references to it are checked against."""

    region: str
    vpc: str | None
    line: int


class Parser:
    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.declared: dict[str, dict[str, Decl]] = {}
        # Each reference with the region (and VPC) it must live in; checked once all is declared.
        self.checks: list[tuple[Ref, str | None, str | None, str]] = []
        self.acl_scopes: dict[str, str] = {}  # web ACL → REGIONAL | CLOUDFRONT, for distributions

    def error(self, message: str, line: int | None, fix: str | None = None) -> InputError:
        return InputError(message, path=self.path, line=line, fix=fix)

    def declare(self, kind: str, name: Any, line: int, region: str, vpc: str | None = None) -> str:
        if not isinstance(name, str) or not name:
            raise self.error(f"{label(kind)} names must be non-empty strings", line)
        seen = self.declared.setdefault(kind, {})
        if name in seen:
            raise self.error(
                f"{label(kind)} '{name}' is declared twice (first at line {seen[name].line})",
                line,
                fix="logical names are unique per kind across the whole file",
            )
        seen[name] = Decl(region, vpc, line)
        return name

    def ref(self, kind: str, name: str, line: int, what: str, region: str | None = None, vpc: str | None = None) -> Ref:
        result = Ref(kind, name, line)
        self.checks.append((result, region, vpc, what))
        return result

    def check_refs(self) -> None:
        for ref, region, vpc, what in self.checks:
            decls = self.declared.get(ref.kind, {})
            decl = decls.get(ref.name)
            if decl is None:
                known = ", ".join(sorted(decls)) or "none declared"
                raise self.error(
                    f"{what}: unknown {label(ref.kind)} '{ref.name}'",
                    ref.line,
                    fix=f"declared {label(ref.kind)}s: {known}",
                )
            if region is not None and decl.region != region:
                raise self.error(
                    f"{what}: {label(ref.kind)} '{ref.name}' is in {decl.region}, not {region}",
                    ref.line,
                    fix="AWS only lets a resource use one in its own region",
                )
            if vpc is not None and decl.vpc != vpc:
                raise self.error(
                    f"{what}: {label(ref.kind)} '{ref.name}' is in VPC '{decl.vpc}', not '{vpc}'",
                    ref.line,
                )

    def each(
        self, mapping: LineDict, kind: str, region: str, build: Callable[[Parser, str, Fields, str], T]
    ) -> Iterator[T]:
        """Declare each entry of a section and build its record, in file order."""
        for name, body in mapping.items():
            line = mapping.line_of(name)
            self.declare(kind, name, line, region)
            yield build(self, name, Fields(self, body, f"{label(kind)} '{name}'", line), region)

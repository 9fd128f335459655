"""The parser's memory of an estate file (which logical names are declared where, and every reference to
check), and `Fields`, the typed reader of one entry it hands out, which keeps line numbers for errors.

The area modules (parse_account, parse_network, parse_services) read one entry each through it;
`load` walks the file in order and checks every reference once all is declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pcicheck.demo.seed.records import Ref, label
from pcicheck.errors import InputError
from pcicheck.yamlfile import LineDict

T = TypeVar("T")
# Tells "no default given" (the field is required) apart from a default of None.
_MISSING: Any = object()


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


class Fields:
    """Typed, line-aware reads of one YAML mapping; `done()` rejects fields nobody read."""

    def __init__(self, parser: Parser, data: Any, what: str, line: int) -> None:
        if data is None:
            data = LineDict()
            data.line, data.key_lines = line, {}
        if not isinstance(data, LineDict):
            raise parser.error(f"{what} must be a mapping", line)
        self.parser = parser
        self.data = data
        self.what = what
        self.seen: set[str] = set()

    @property
    def line(self) -> int:
        return self.data.line

    def line_of(self, key: str) -> int:
        return self.data.line_of(key)

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self.seen.add(key)
        if key not in self.data or self.data[key] is None:
            if default is _MISSING:
                raise self.parser.error(f"{self.what}: field '{key}' is required", self.line)
            return default
        return self.data[key]

    def _typed(self, key: str, default: Any, types: tuple[type, ...], noun: str) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        # bool is an int in Python; a `true` where a number belongs is still a mistake.
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise self.parser.error(f"{self.what}: field '{key}' must be {noun}", self.line_of(key))
        return value

    def text(self, key: str, default: Any = _MISSING) -> Any:
        return self._typed(key, default, (str,), "a string")

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        return self._typed(key, default, (bool,), "true or false")

    def number(self, key: str, default: Any = _MISSING) -> Any:
        return self._typed(key, default, (int,), "a whole number")

    def choice(self, key: str, options: set[str], default: Any = _MISSING) -> Any:
        value = self.text(key, default)
        if value is not default and value not in options:
            raise self.parser.error(
                f"{self.what}: field '{key}' is {value!r}, expected one of {', '.join(sorted(options))}",
                self.line_of(key),
            )
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.parser.error(f"{self.what}: field '{key}' must be a list of strings", self.line_of(key))
        return tuple(value)

    def mapping(self, key: str) -> LineDict:
        value = self.raw(key, None)
        if value is None:
            empty = LineDict()
            empty.line, empty.key_lines = self.line_of(key), {}
            return empty
        if not isinstance(value, LineDict):
            raise self.parser.error(f"{self.what}: field '{key}' must be a mapping", self.line_of(key))
        return value

    def tags(self, key: str = "tags") -> dict[str, str]:
        value = self.mapping(key)
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise self.parser.error(f"{self.what}: tag '{k}' must have a string value", value.line_of(k))
            out[str(k)] = str(v)
        return out

    def ref(
        self, key: str, kind: str, default: Any = _MISSING, region: str | None = None, vpc: str | None = None
    ) -> Any:
        """A reference to a logical name; checked (exists, same region/VPC) once all is parsed."""
        name = self.text(key, default)
        if name is default and default is not _MISSING:
            return name
        return self.parser.ref(kind, name, self.line_of(key), self.what, region, vpc)

    def refs(self, key: str, kind: str, region: str | None = None, vpc: str | None = None) -> tuple[Ref, ...]:
        line = self.line_of(key)
        return tuple(self.parser.ref(kind, name, line, self.what, region, vpc) for name in self.texts(key))

    def done(self) -> None:
        for key in self.data:
            if key not in self.seen:
                raise self.parser.error(f"{self.what}: unknown field '{key}'", self.line_of(key))

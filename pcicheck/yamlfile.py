"""The one YAML loader for what pcicheck is given (manifests, controls, config, waivers, flows, accounts):
safe, remembering where each mapping and key came from for file:line errors, and bounded.

Untrusted YAML is read as kubectl reads it, within limits kubectl's own stack keeps:
- libyaml's parser (PyYAML's C binding), which also accepts what kubectl accepts and PyYAML's pure-Python
  scanner refuses (a tab before a comment);
- no timestamp type: a date-like scalar stays a string, as in YAML 1.2 and Kubernetes (an annotation
  `release-date: 2027-02-30` is text, not an impossible date); readers that want a date parse it;
- aliases may repeat at most ALIAS_BUDGET nodes per document (go-yaml refuses "excessive aliasing" the same
  way), and an alias inside its own anchor is refused: a 465-byte "billion laughs" stays 465 bytes;
- nesting at most MAX_DEPTH deep;
- a file of at most MAX_FILE_BYTES, counted as read, and no single object over MAX_OBJECT_BYTES: a top-level
  list (`items:` of `kubectl get -A -o yaml`, `controls:`) is composed and built one element at a time, so
  memory follows the largest object, not the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode

from pcicheck.errors import InputError
from pcicheck.inputfile import MiB, read_bounded

MAX_FILE_BYTES = 256 * MiB  # a large cluster's `kubectl get -A -o yaml`
# etcd refuses a request over 1.5 MiB, so no Kubernetes object is larger in JSON; YAML may be twice as long.
MAX_OBJECT_BYTES = 3 * MiB
MAX_DEPTH = 100  # the deepest CRD schemas nest about 40 levels
ALIAS_BUDGET = 100_000  # nodes an object's aliases may repeat, beyond those written out

try:  # PyYAML's wheels carry libyaml; a build without it falls back to the (slower, stricter) Python parser
    from yaml._yaml import CParser as _Events
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Events(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, text: str) -> None:
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class LineDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def refuse_unknown(self, allowed: Iterable[str], *, what: str, path: Path, fix: str) -> None:
        """An InputError at the first key not in `allowed` (a misspelt key must not be silently ignored)."""
        unknown = sorted(set(self) - set(allowed))
        if unknown:
            raise InputError(
                f"{what} has an unknown field {unknown[0]!r}", path=str(path), line=self.line_of(unknown[0]), fix=fix
            )


class _Resolver(yaml.resolver.Resolver):
    pass


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in rules if tag != _TIMESTAMP]
    for first, rules in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}


class _Limit(yaml.YAMLError):
    """A bound was crossed: reported like a syntax error, at the node's line."""

    def __init__(self, problem: str, node_or_mark: Any) -> None:
        self.problem = problem
        self.problem_mark = getattr(node_or_mark, "start_mark", node_or_mark)
        super().__init__(problem)


class _Loader(_Events, Composer, SafeConstructor, _Resolver):
    """libyaml's events, composed here so that depth and aliases are counted as nodes are made."""

    def __init__(self, text: str) -> None:
        _Events.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self.depth = 0
        self.aliases = 0  # alias events in the object being composed
        self.last_alias: Any = None  # where the latest of them is written
        self.written = 0  # nodes the document writes out
        self.expanded = 0  # nodes its objects have once aliases are written out

    def compose_node(self, parent: Node | None, index: Any) -> Any:
        if self.check_event(AliasEvent):
            self.aliases += 1
            self.last_alias = _next_mark(self)
            return Composer.compose_node(self, parent, index)
        self.written += 1
        if not self.check_event(MappingStartEvent, SequenceStartEvent):
            return Composer.compose_node(self, parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Limit(f"nested more than {MAX_DEPTH} levels deep", _next_mark(self))
        try:
            return Composer.compose_node(self, parent, index)
        finally:
            self.depth -= 1


def _next_mark(loader: _Loader) -> Any:
    return getattr(loader.peek_event(), "start_mark", None)


def _construct_mapping(loader: _Loader, node: MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise ConstructorError(None, None, "mapping keys must be plain scalars", key_node.start_mark)
        key = str(key)
        if key in result:
            raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[type-var]


def _construct_number(loader: SafeConstructor, node: ScalarNode) -> Any:
    """An int or float. A scalar YAML 1.1 resolves as one but that holds no digits (`0b_`, `0x_`, `._`)
    stays text, as kubectl reads it (PyYAML raised ValueError)."""
    try:
        return SafeConstructor.yaml_constructors[node.tag](loader, node)
    except ValueError:
        return node.value


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_number)  # type: ignore[type-var]
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_number)  # type: ignore[type-var]


def _expanded(node: Node) -> int:
    """Nodes the object has once every alias is written out. An alias inside its own anchor is refused:
    writing it out would never end."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(n: Node) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Limit("an alias refers to a node that contains it (a recursive structure)", n)
        open_nodes.add(key)
        if isinstance(n, ScalarNode):
            total = 1
        elif isinstance(n, MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in n.value)
        else:
            total = 1 + sum(size(c) for c in n.value)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(node)


def _object(loader: _Loader) -> Any:
    """The next object, composed, checked against the bounds, then made into Python values."""
    written = loader.written
    where = _next_mark(loader)  # an alias's node carries its anchor's place, not its own
    node = loader.compose_node(None, None)
    if node.end_mark.index - node.start_mark.index > MAX_OBJECT_BYTES:
        raise _Limit(f"one object is larger than {MAX_OBJECT_BYTES // MiB} MiB", where)
    if loader.aliases:
        loader.aliases = 0
        where = loader.last_alias
        loader.expanded += _expanded(node)
    else:
        loader.expanded += loader.written - written
    if loader.expanded - loader.written > ALIAS_BUDGET:
        raise _Limit(f"YAML aliases repeat more than {ALIAS_BUDGET:,} nodes (an alias bomb?)", where)
    return loader.construct_document(node)


def _streamed(loader: _Loader) -> list[Any]:
    """A sequence's elements, each composed, checked and built on its own."""
    items = []
    while not loader.check_event(SequenceEndEvent):
        items.append(_object(loader))
    loader.get_event()
    return items


def _document(loader: _Loader) -> Any:
    """One document. A top-level mapping or list is walked here so that its lists stream element by element;
    an anchored or tagged top level (rare, and possibly aliased from inside) is composed whole."""
    loader.get_event()  # DocumentStartEvent
    event: Any = loader.peek_event()
    plain = getattr(event, "anchor", None) is None and getattr(event, "implicit", True)
    if plain and isinstance(event, SequenceStartEvent):
        loader.get_event()
        doc: Any = _streamed(loader)
    elif plain and isinstance(event, MappingStartEvent):
        loader.get_event()
        doc = _top_mapping(loader, getattr(event.start_mark, "line", 0) + 1)
    else:
        doc = _object(loader)
    loader.get_event()  # DocumentEndEvent
    loader.anchors = {}
    loader.written = loader.expanded = 0
    return doc


def _top_mapping(loader: _Loader, line: int) -> LineDict:
    doc = LineDict()
    doc.line = line
    doc.key_lines = {}
    while not loader.check_event(MappingEndEvent):
        key_node = loader.compose_node(None, None)
        if not isinstance(key_node, ScalarNode):
            raise ConstructorError(None, None, "mapping keys must be plain scalars", key_node.start_mark)
        key = str(loader.construct_document(key_node))
        if key in doc or key == "<<":
            problem = f"duplicate key {key!r}" if key in doc else "a merge key at the top level"
            raise ConstructorError(None, None, problem, key_node.start_mark)
        value_event = loader.peek_event()
        if isinstance(value_event, SequenceStartEvent) and value_event.anchor is None and value_event.implicit:
            loader.get_event()
            doc[key] = _streamed(loader)
        else:
            doc[key] = _object(loader)
        doc.key_lines[key] = key_node.start_mark.line + 1
    loader.get_event()
    return doc


def _composed(text: str) -> Iterator[Any]:
    loader = _Loader(text)
    try:
        loader.get_event()  # StreamStartEvent
        while not loader.check_event(StreamEndEvent):
            if loader.check_event(DocumentEndEvent):  # pragma: no cover - libyaml pairs start and end
                loader.get_event()
                continue
            yield _document(loader)
    finally:
        loader.dispose()


# --- the plain reader -------------------------------------------------------------------------------
# Most YAML pcicheck reads (manifests, controls, frameworks) has no anchor, alias, tag or merge key. Such a
# document is built here straight from libyaml's events, with no Node in between: about three times faster
# than composing. Anything else, and anything wrong, makes the plain reader give up (NotPlain); the file is
# then read again by the composing loader above, so every error, bound and corner case has one home.

_CONSTRUCTED = (
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
)
_STR = yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG
_KEY = object()  # a mapping waiting for its next key
_REMEMBERED = 65_536  # distinct plain scalars remembered per file (keys and repeated values)


class NotPlain(Exception):
    """The plain reader cannot build this document exactly as the composing loader would."""


class _Plain:
    """One file's documents built from events: mappings as LineDict, the same bounds on depth and on
    each object's size as the composing loader, the same implicit types (no timestamps)."""

    def __init__(self, text: str) -> None:
        self.events = _Events(text)
        self.constructor = SafeConstructor()
        self.resolvers = _Resolver.yaml_implicit_resolvers
        # Plain scalar text -> its value. Keys repeat in every object; one shared str per text also keeps
        # a large manifest's memory down. Only immutable values (str, int, float, bool, None) are kept.
        self.known: dict[str, Any] = {}

    def documents(self) -> list[Any]:
        events = self.events
        try:
            events.get_event()  # StreamStartEvent
            docs = []
            while not events.check_event(StreamEndEvent):
                doc = self.document()
                if doc is not None:
                    docs.append(doc)
            return docs
        except yaml.YAMLError:  # a syntax error: the composing loader reports it, at its line
            raise NotPlain from None
        finally:
            events.dispose()

    def document(self) -> Any:
        events = self.events
        events.get_event()  # DocumentStartEvent (libyaml pairs start and end)
        event: Any = events.peek_event()
        if isinstance(event, SequenceStartEvent | MappingStartEvent):
            if event.anchor is not None or not event.implicit:
                raise NotPlain
            events.get_event()
            doc = self.sequence() if isinstance(event, SequenceStartEvent) else self.top_mapping(event)
        else:
            doc = self.object()
        events.get_event()  # DocumentEndEvent
        return doc

    def sequence(self) -> list[Any]:
        """A top-level list's elements, each an object of its own (as _streamed)."""
        items = []
        while not self.events.check_event(SequenceEndEvent):
            items.append(self.object())
        self.events.get_event()
        return items

    def top_mapping(self, start: Any) -> LineDict:
        events = self.events
        doc = LineDict()
        doc.line = start.start_mark.line + 1
        doc.key_lines = {}
        while not events.check_event(MappingEndEvent):
            key_event: Any = events.get_event()
            key_line = key_event.start_mark.line + 1
            if key_event.__class__ is not ScalarEvent:
                raise NotPlain
            key = str(self.scalar(key_event))
            if key in doc or key == "<<":
                raise NotPlain
            value_event = events.peek_event()
            if isinstance(value_event, SequenceStartEvent) and value_event.anchor is None and value_event.implicit:
                events.get_event()
                doc[key] = self.sequence()
            else:
                doc[key] = self.object()
            doc.key_lines[key] = key_line
        events.get_event()
        return doc

    def scalar(self, event: Any) -> Any:
        if event.anchor is not None or event.tag is not None:
            raise NotPlain
        text = event.value
        if not event.implicit[0]:  # quoted: text, whatever it looks like
            return text
        value = self.known.get(text, _KEY)
        if value is not _KEY:
            return value
        tag = _STR
        for candidate, pattern in self.resolvers.get(text[:1], ()):
            if pattern.match(text):
                tag = candidate
                break
        if tag == _STR:
            value = text
        elif tag in _CONSTRUCTED:
            value = _Loader.yaml_constructors[tag](self.constructor, ScalarNode(tag, text))
        else:  # a merge key `<<`, `=`, or another tag only the composing loader knows
            raise NotPlain
        if len(self.known) < _REMEMBERED:
            self.known[text] = value
        return value

    def object(self) -> Any:
        """One object, built without recursion: `stack` holds the collections it is inside of, each with the
        key it waits to give a value (a list's is _KEY), and that key's line."""
        get = self.events.get_event
        scalar = self.scalar
        event: Any = get()
        start = event.start_mark.index
        if isinstance(event, ScalarEvent):
            self.check_size(event, start)
            return scalar(event)
        stack: list[tuple[Any, Any, int]] = []
        container = self.opened(event, None, _KEY, 0)
        key: Any = _KEY
        key_line = 0
        event = get()
        while True:
            kind = event.__class__
            if kind is ScalarEvent:
                value = scalar(event)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                self.check_size(event, start)
                if not stack:
                    return container
                value = container
                container, key, key_line = stack.pop()
            else:
                stack.append((container, key, key_line))
                container, key = self.opened(event, container, key, len(stack)), _KEY
                event = get()
                continue
            if container.__class__ is list:
                container.append(value)
            elif key is _KEY:
                key, key_line = str(value), event.start_mark.line + 1
                if key in container:
                    raise NotPlain
            else:
                container[key] = value
                container.key_lines[key] = key_line
                key = _KEY
            event = get()

    @staticmethod
    def opened(event: Any, parent: Any, key: Any, depth: int) -> Any:
        """The collection `event` starts, inside `parent` (None for the object itself) at `depth` below
        the object; anything else (an alias, an anchor, a tag, too deep, a collection as a key) is not plain."""
        kind = event.__class__
        if kind is not MappingStartEvent and kind is not SequenceStartEvent:
            raise NotPlain
        if event.anchor is not None or not event.implicit or depth >= MAX_DEPTH:
            raise NotPlain
        if key is _KEY and parent.__class__ is LineDict:
            raise NotPlain
        if kind is SequenceStartEvent:
            return []
        mapping = LineDict()
        mapping.line = event.start_mark.line + 1
        mapping.key_lines = {}
        return mapping

    @staticmethod
    def check_size(event: Any, start: int) -> None:
        if event.end_mark.index - start > MAX_OBJECT_BYTES:
            raise NotPlain


def plain_documents(text: str) -> list[Any]:
    """The documents, built straight from events; NotPlain when only composed_documents can read them."""
    return _Plain(text).documents()


def composed_documents(text: str) -> list[Any]:
    """The documents, composed node by node: anchors, aliases, tags, merge keys, and every error."""
    return [doc for doc in _composed(text) if doc is not None]


def _yaml_error(path: Path, exc: yaml.YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    bound = isinstance(exc, _Limit)
    if "maximum nesting depth" in str(problem):  # libyaml's own bound, below which MAX_DEPTH usually stops first
        problem, bound = f"nested more than {MAX_DEPTH} levels deep", True
    return InputError(
        problem if bound else f"invalid YAML: {problem}",
        path=str(path),
        line=(mark.line + 1) if mark else None,
        fix="split or simplify it" if bound else "correct the YAML syntax at that line",
    )


def load_documents(path: Path, *, what: str = "file", fix: str = "pass a YAML file") -> list[Any]:
    """All YAML documents in a file, mappings as LineDict. Any problem → InputError with file:line."""
    raw = read_bounded(path, MAX_FILE_BYTES, what=what, fix=fix)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", path=str(path), fix="save the file as UTF-8") from exc
    try:
        try:
            return plain_documents(text)
        except NotPlain:
            return composed_documents(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from exc
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting long before Python's own limit
        raise InputError(f"nested more than {MAX_DEPTH} levels deep", path=str(path)) from None


def load_mapping(path: Path, *, what: str = "file", fix: str = "pass a YAML file") -> LineDict:
    """A file holding exactly one YAML mapping."""
    docs = load_documents(path, what=what, fix=fix)
    if len(docs) != 1 or not isinstance(docs[0], LineDict):
        raise InputError(
            "expected exactly one YAML mapping",
            path=str(path),
            line=1,
            fix="one document of key: value pairs",
        )
    return docs[0]

"""Evaluation: every control × every resource of its type → a Result with a status.

Fail closed: a CEL runtime error, an absent attribute, a non-boolean answer or a collection
error touching what the control reads is `error`, never `pass`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cel

from pcicheck.analyze.estate import Estate
from pcicheck.model import CollectionError, Control, Resource, Result, Status
from pcicheck.resource_types import TYPES

_RESOURCES_CALL = re.compile(r"""resources\(\s*["']([a-z0-9_.]+)["']\s*\)""")
_ATTRIBUTE_READ = re.compile(r"resource\.attributes\.([A-Za-z_][A-Za-z0-9_]*)")
_WHOLE_ATTRIBUTES = re.compile(r"resource\.attributes(?!\.[A-Za-z_])")
_RESOURCE_KEY = re.compile(r"\bresource\.([A-Za-z_][A-Za-z0-9_]*)")
_WHOLE_RESOURCE = re.compile(r"\bresource\b(?!\.[A-Za-z_])")
_NOT_COLLECTED = "<not collected>"
_KEY_FACTS = re.compile(r"facts\.key_(?:user_count|tenants|other_tenant_users)")


@dataclass(frozen=True)
class CompiledControl:
    control: Control
    where: Any  # cel.Program
    check: Any  # cel.Program
    params: dict[str, Any]
    depends_on: tuple[str, ...]  # other resource types read through resources("…")
    text: str  # where + assert + evidence, for matching attribute names of collection errors


# Attributes through which a resource names its KMS key; the `facts.key_*` of keys are built from them.
# A region's default EBS key is not data the key protects, so regions are not key users.
KEY_REFERENCE_ATTRIBUTES = ("encryption", "kms_key_id")
KEY_REFERENCING_TYPES = tuple(
    sorted(t.name for t in TYPES.values() if set(t.attributes) & set(KEY_REFERENCE_ATTRIBUTES))
)


def compile_control(control: Control, overrides: dict[str, Any] | None = None) -> CompiledControl:
    expressions = f"{control.where}\n{control.assertion}"
    depends = set(_RESOURCES_CALL.findall(expressions))
    if _KEY_FACTS.search(expressions):
        depends.update(KEY_REFERENCING_TYPES)
    return CompiledControl(
        control=control,
        where=cel.compile(control.where),
        check=cel.compile(control.assertion),
        params={**control.params, **(overrides or {})},
        depends_on=tuple(sorted(depends)),
        text=expressions + "\n" + "\n".join(control.evidence),
    )


@dataclass(frozen=True)
class Reads:
    """What a type's controls read of `resource`: top-level keys, and attribute names (None = all)."""

    keys: frozenset[str] | None
    attributes: frozenset[str] | None

    def subject(self, view: dict[str, Any]) -> dict[str, Any]:
        """The part of `view` handed to CEL. Converting a map into CEL costs per value, so handing
        it only what is read keeps 100,000 resources fast; what was absent stays absent, so this
        cannot turn an error into a pass."""
        out = view if self.keys is None else {k: v for k, v in view.items() if k in self.keys}
        if self.attributes is not None and "attributes" in out:
            out = {**out, "attributes": {k: v for k, v in view["attributes"].items() if k in self.attributes}}
        return out


def _reads(controls: list[CompiledControl]) -> Reads:
    keys: set[str] | None = set()
    names: set[str] | None = set()
    for cc in controls:
        expressions = f"{cc.control.where}\n{cc.control.assertion}"
        if _WHOLE_RESOURCE.search(expressions):
            keys = None
        elif keys is not None:
            keys.update(_RESOURCE_KEY.findall(expressions))
        if _WHOLE_ATTRIBUTES.search(expressions):
            names = None
        elif names is not None:
            names.update(_ATTRIBUTE_READ.findall(expressions))
    return Reads(None if keys is None else frozenset(keys), None if names is None else frozenset(names))


def _lookup_path(view: dict[str, Any], path: str) -> Any:
    node: Any = view["facts"] if path.startswith("facts.") else view["attributes"]
    for part in path.removeprefix("facts.").split("."):
        if not isinstance(node, dict) or part not in node:
            return _NOT_COLLECTED
        node = node[part]
    return node


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError):
        return f"attribute {text} was not collected"
    if text.startswith("No such overload"):
        # The CEL library's own text runs to a paragraph; the usual cause here is a null value.
        return "a value has a type the expression cannot use (often an attribute that is null)"
    first = text.splitlines()[0]
    return first if len(first) <= 200 else first[:197] + "..."


def result_resource(view: dict[str, Any]) -> dict[str, Any]:
    facts = view["facts"]
    return {
        "uid": view["uid"],
        "type": view["type"],
        "name": view["name"],
        "account": view["account"],
        "region": view["region"],
        "tags": view["tags"],
        "scope": facts.get("scope", "non-cde"),
        "scope_reason": facts.get("scope_reason", ""),
        "tenant": facts.get("tenant"),
    }


class Evaluator:
    """Holds compiled controls; `evaluate` judges an analyzed estate against all of them."""

    def __init__(self, controls: Iterable[Control], params: dict[str, dict[str, Any]] | None = None) -> None:
        params = params or {}
        self.compiled = [compile_control(c, params.get(c.id)) for c in controls]
        self.by_type: dict[str, list[CompiledControl]] = defaultdict(list)
        for cc in self.compiled:
            self.by_type[cc.control.resource].append(cc)
        self.reads = {t: _reads(ccs) for t, ccs in self.by_type.items()}

    def evaluate(self, estate: Estate, errors: Iterable[CollectionError], now: datetime) -> list[Result]:
        errors = list(errors)
        per_resource: dict[str, list[CollectionError]] = defaultdict(list)
        listing: dict[tuple[str, str], list[CollectionError]] = defaultdict(list)  # (account, type) → errors
        for e in errors:
            if e.resource_uid:
                per_resource[e.resource_uid].append(e)
                if set(e.attributes) & set(KEY_REFERENCE_ATTRIBUTES):
                    # A resource whose key could not be read is missing from its key's key_* facts.
                    listing[(e.account, "@key-reference")].append(e)
            else:
                for t in e.resource_types:
                    listing[(e.account, t)].append(e)
        views = {r.uid: estate.view(r) for r in estate.resources}
        by_account_type: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in estate.resources:
            by_account_type[(r.account, r.type)].append(views[r.uid])

        def lookup(uid: Any) -> Any:
            return views.get(str(uid))

        results: list[Result] = []
        for r in estate.resources:
            controls = self.by_type.get(r.type)
            if controls:
                results.extend(
                    self._judge(
                        r,
                        views[r.uid],
                        controls,
                        per_resource.get(r.uid, []),
                        listing,
                        by_account_type,
                        lookup,
                        now,
                    )
                )
        results.extend(self._listing_errors(errors))
        return results

    def _judge(
        self,
        r: Resource,
        view: dict[str, Any],
        controls: list[CompiledControl],
        own_errors: list[CollectionError],
        listing: dict[tuple[str, str], list[CollectionError]],
        by_account_type: dict[tuple[str, str], list[dict[str, Any]]],
        lookup: Any,
        now: datetime,
    ) -> list[Result]:
        facts = view["facts"]
        where = result_resource(view)
        context: Any = None
        out = []
        for cc in controls:
            c = cc.control

            def result(status: Status, message: str, c: Control = c, cc: CompiledControl = cc) -> Result:
                evidence = {p: _lookup_path(view, p) for p in c.evidence}
                return Result(control=c, resource=where, status=status, message=message, evidence=evidence)

            if c.scope == "cde" and facts.get("scope") != "cde":
                out.append(result(Status.NOT_APPLICABLE, "out of scope: not in the CDE"))
                continue
            if c.scope == "tenant" and not facts.get("tenant"):
                out.append(result(Status.NOT_APPLICABLE, "out of scope: no tenant"))
                continue
            blocking = [e for e in own_errors if any(a in cc.text for a in e.attributes) or not e.attributes]
            blocking += [e for t in cc.depends_on for e in listing.get((r.account, t), [])]
            if _KEY_FACTS.search(cc.text):
                blocking += listing.get((r.account, "@key-reference"), [])
            if blocking:
                out.append(result(Status.ERROR, "could not be read: " + "; ".join(e.cause for e in blocking)))
                continue
            if context is None:
                account_lists = {}

                def resources(type_name: Any, account: str = r.account, cache: dict = account_lists) -> Any:
                    key = str(type_name)
                    if key not in cache:
                        cache[key] = by_account_type.get((account, key), [])
                    return cache[key]

                context = cel.Context(
                    variables={"resource": self.reads[r.type].subject(view), "now": now},
                    functions={"lookup": lookup, "resources": resources},
                )
            context.add_variable("params", cc.params)
            try:
                applies = cc.where.execute(context)
                if applies is not True and applies is not False:
                    raise TypeError(f"'where' returned {type(applies).__name__}, not a boolean")
                if not applies:
                    out.append(result(Status.NOT_APPLICABLE, "does not apply (where is false)"))
                    continue
                verdict = cc.check.execute(context)
                if verdict is not True and verdict is not False:
                    raise TypeError(f"'assert' returned {type(verdict).__name__}, not a boolean")
            except Exception as exc:  # CEL raises KeyError/TypeError/RuntimeError/ValueError alike
                out.append(result(Status.ERROR, f"could not evaluate: {_one_line(exc)}"))
                continue
            out.append(result(Status.PASS, "met") if verdict else result(Status.FAIL, f"not met: {c.title}"))
        return out

    def _listing_errors(self, errors: list[CollectionError]) -> list[Result]:
        """A listing that failed leaves its resources unknown: each control on them is `error` there."""
        out = []
        for e in errors:
            if e.resource_uid:
                continue
            for t in e.resource_types:
                for cc in self.by_type.get(t, ()):
                    place = "/".join(p for p in (e.account, e.region or "global", e.service) if p)
                    out.append(
                        Result(
                            control=cc.control,
                            resource={
                                "uid": f"{e.provider}://{place}",
                                "type": t,
                                "name": f"{e.service} in {e.region or 'all regions'}",
                                "account": e.account,
                                "region": e.region,
                                "tags": {},
                                "scope": "unknown",
                                "scope_reason": "not collected",
                                "tenant": None,
                            },
                            status=Status.ERROR,
                            message=f"could not be read: {e.cause}",
                            evidence={},
                        )
                    )
        return out

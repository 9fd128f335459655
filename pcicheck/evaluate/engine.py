"""Evaluation: every control × every resource of its type → a Result with a status.

Fail closed: a CEL runtime error, an absent attribute, a non-boolean answer or a collection
error touching what the control reads is `error`, never `pass`.
"""

from __future__ import annotations

import fnmatch
import multiprocessing
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pcicheck import evidence_path
from pcicheck.analyze.estate import Estate
from pcicheck.analyze.pci_scope import CDE, CONNECTED, OUT_OF_SCOPE, UNKNOWN
from pcicheck.analyze.references import KEY_REFERENCE_ATTRIBUTES
from pcicheck.analyze.registry import facts_read, types_read
from pcicheck.celnative import cel
from pcicheck.evaluate.reads import NOTHING, Reads, params_read, reads_of
from pcicheck.evidence_path import EvidencePath
from pcicheck.model import CollectionError, Control, Resource, Result, Status

_RESOURCES_CALL = re.compile(r"""resources\(\s*["']([a-z0-9_.]+)["']\s*\)""")
# Below this many resources a second process costs more than it saves.
PARALLEL_FROM = 20_000


@dataclass(frozen=True)
class CompiledControl:
    control: Control
    where: Any  # cel.Program
    check: Any  # cel.Program
    params: dict[str, Any]
    depends_on: tuple[str, ...]  # the types whose listings it reads: resources("…") and its facts
    # What `where` and `assert` read of the resource, handed to CEL (the rest is left out of its map).
    reads: Reads
    # What a collection error must touch to make the control `error`: what it reads, and every attribute
    # when it reads facts about the resource (derived from its attributes: a bucket's key tenant from its
    # `encryption`). An error on anything else (an attribute only its evidence shows) leaves it judged.
    blocked_by: Reads
    reads_key_facts: bool  # reads facts.key_*, which unreadable key references leave incomplete
    reads_tag_facts: bool  # reads a fact derived from the resource's tags (facts.pooled)
    evidence: tuple[EvidencePath, ...]
    outside: str  # the message of a resource its `where` leaves out
    unset: tuple[str, ...] = ()  # its site params the site has not set: it cannot judge, it needs configuration
    where_needs_unset: bool = False  # its `where` reads one of them, so even what it applies to is unknown


def outside_message(control: Control) -> str:
    """Why a resource the control's `where` leaves out is not applicable, in words a report can quote."""
    if control.applies_to:
        return f"not applicable: it judges only {control.applies_to}"
    where = " ".join(control.where.split())
    return f"not applicable: outside what it judges ({where if len(where) <= 160 else where[:157] + '...'})"


def listings_read(control: Control, text: str) -> set[str]:
    """The resource types whose listings `text` (the control's expressions) depends on: those it names
    in `resources("…")`, and those the facts it reads are built from (analyze/registry.py). The same
    fact name can be built for both providers (non_cde_sources): a control depends on the listings of
    its own resource's provider only."""
    provider = control.resource.split(".", 1)[0]
    return set(_RESOURCES_CALL.findall(text)) | types_read(text, provider)


def compile_control(control: Control, overrides: dict[str, Any] | None = None) -> CompiledControl:
    expressions = f"{control.where}\n{control.assertion}"
    facts = facts_read(expressions)
    unset = tuple(p for p in control.site_params if p not in (overrides or {}))
    in_where = params_read(control.where)
    reads = reads_of(control.where, control.assertion)
    # Tag-derived facts are not: unreadable tags have their own rule (see _judge).
    derived = reads.keys is None or ("facts" in reads.keys and not (facts and all(f.from_tags for f in facts)))
    return CompiledControl(
        control=control,
        where=cel.compile(control.where),
        check=cel.compile(control.assertion),
        params={**control.params, **(overrides or {})},
        depends_on=tuple(sorted(listings_read(control, expressions))),
        reads=reads,
        blocked_by=Reads(reads.keys, None) if derived else reads,
        reads_key_facts=any(f.key_references for f in facts),
        reads_tag_facts=any(f.from_tags for f in facts),
        evidence=tuple(evidence_path.parse(p) for p in control.evidence),
        outside=outside_message(control),
        unset=unset,
        where_needs_unset=in_where is None or bool(in_where & set(unset)),
    )


def needs_configuration_message(control: Control, unset: tuple[str, ...]) -> str:
    """What to set, and where, in words a report can quote."""
    names = ", ".join(unset)
    example = ", ".join(f"{p}: {_example(control.params[p])}" for p in unset)
    return (
        f"needs configuration: set params {names} for this site in pcicheck.yaml "
        f"(params: {{{control.id}: {{{example}}}}}); it has no default that fits every estate"
    )


def _example(default: Any) -> str:
    return "[...]" if isinstance(default, list) else "..."


def subject(reads: Reads, view: dict[str, Any]) -> dict[str, Any]:
    """The part of `view` handed to CEL. Converting a map into CEL costs per value, so handing it only
    what is read keeps 100,000 resources fast; what was absent stays absent, so this cannot turn an
    error into a pass."""
    out = view if reads.keys is None else {k: v for k, v in view.items() if k in reads.keys}
    if reads.attributes is not None and "attributes" in out:
        out = {**out, "attributes": {k: v for k, v in view["attributes"].items() if k in reads.attributes}}
    if reads.facts is not None and "facts" in out:
        out = {**out, "facts": {k: v for k, v in view["facts"].items() if k in reads.facts}}
    return out


def _union(reads: Iterable[Reads]) -> Reads:
    out = NOTHING
    for r in reads:
        out = out.union(r)
    return out


def _evidence(cc: CompiledControl, view: dict[str, Any]) -> dict[str, Any]:
    return {e.text: e.value(view["attributes"], view["facts"]) for e in cc.evidence}


def _blocking(
    cc: CompiledControl,
    own_errors: list[CollectionError],
    listing: dict[tuple[str, str], list[CollectionError]],
    account: str,
    key_gaps: list[CollectionError],
) -> list[CollectionError]:
    """The collection errors that leave something `cc` reads of this resource unknown: its own
    attributes, the listings it depends on, and key references when it reads key facts."""
    blocking = [e for e in own_errors if not e.attributes or any(cc.blocked_by.reads(a) for a in e.attributes)]
    for t in cc.depends_on:
        blocking += listing.get((account, t), ())
    if cc.reads_key_facts:
        blocking += key_gaps
    return blocking


def _unread_evidence(cc: CompiledControl, own_errors: list[CollectionError]) -> str:
    """A note for a verdict whose shown evidence lacks an attribute the control does not read, so a
    reader seeing "<not collected>" in the evidence learns why, and that the verdict stands without it."""
    if not own_errors:  # nearly every resource: nothing to say
        return ""
    shown = {e.keys[0] for e in cc.evidence if not e.in_facts}
    unread = sorted({(a, e.cause) for e in own_errors for a in e.attributes if a in shown})
    if not unread:
        return ""
    return " (" + "; ".join(f"evidence {a} not read, and not needed: {cause}" for a, cause in unread) + ")"


def _defaults_used(cc: CompiledControl, defaulted: dict[str, str], evidence: dict[str, Any]) -> str:
    """For the defaulted attributes the control reads or shows: each one's reason added to `evidence`
    (`NAME (defaulted)`), and a note for the message, so a verdict resting on a documented default rather
    than a reported value says so wherever it is read."""
    if not defaulted:
        return ""
    shown = {e.keys[0] for e in cc.evidence if not e.in_facts}
    used = sorted(a for a in defaulted if a in shown or cc.reads.reads(a))
    for a in used:
        evidence[f"{a} (defaulted)"] = defaulted[a]
    if not used:
        return ""
    return f" ({', '.join(used)}: not reported, the documented default was used)"


def _verdict(cc: CompiledControl, context: Any) -> tuple[Status, str] | None:
    """`where`, then `assert`: None when the control does not apply, else the status and its message.
    Fail closed: a runtime error or a non-boolean answer is `error`."""
    try:
        applies = cc.where.execute(context)
        if applies is not True and applies is not False:
            raise TypeError(f"'where' returned {type(applies).__name__}, not a boolean")
        if not applies:
            return None
        verdict = cc.check.execute(context)
        if verdict is not True and verdict is not False:
            raise TypeError(f"'assert' returned {type(verdict).__name__}, not a boolean")
    except Exception as exc:  # CEL raises KeyError/TypeError/RuntimeError/ValueError alike
        return Status.ERROR, f"could not evaluate: {_one_line(exc)}"
    return (Status.PASS, "met") if verdict else (Status.FAIL, f"not met: {cc.control.title}")


def _out_of_scope(
    c: Control, where: dict[str, Any], pci_scope: str, gaps: list[CollectionError], has_tenant: bool
) -> Result | None:
    """The result for a control whose scope leaves this resource out, or None when it judges it. A CDE
    control on something neither in the CDE nor connected to it is not applicable, and an error when
    its connectivity could not be worked out; a CDE-only control skips connected-to systems too."""
    if c.scope == "tenant":
        return None if has_tenant else Result(c, where, Status.NOT_APPLICABLE, "out of scope: no tenant", {})
    if c.scope not in ("cde", "cde-only") or pci_scope == CDE:
        return None
    if c.scope == "cde-only" and pci_scope == CONNECTED:
        message = "out of scope: connected to the CDE but not in it, and this control judges only the CDE itself"
        return Result(c, where, Status.NOT_APPLICABLE, message, {})
    if pci_scope == CONNECTED:
        return None
    if pci_scope == UNKNOWN or gaps:
        why = "; ".join(e.cause for e in gaps) or str(where.get("scope_reason", ""))
        return Result(c, where, Status.ERROR, f"scope unknown, whether it connects to the CDE: {why}", {})
    return Result(c, where, Status.NOT_APPLICABLE, "out of scope: neither in the CDE nor connected to it", {})


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError):
        return f"attribute {text} was not collected"
    if text.startswith("No such overload"):
        # The CEL library's own text runs to a paragraph; the usual cause here is a null value.
        return "a value has a type the expression cannot use (often an attribute that is null)"
    first = text.splitlines()[0]
    return first if len(first) <= 200 else first[:197] + "..."


def glob(text: Any, pattern: Any) -> bool:
    """CEL `glob(text, pattern)`: shell-style match ('*' any run, '?' one character), case-sensitive,
    for params that name things by pattern (ARN globs). '[' is literal, as in IAM."""
    return fnmatch.fnmatchcase(str(text), str(pattern).replace("[", "[[]"))


def result_resource(view: dict[str, Any]) -> dict[str, Any]:
    facts = view["facts"]
    return {
        "uid": view["uid"],
        "type": view["type"],
        "name": view["name"],
        "account": view["account"],
        "region": view["region"],
        "tags": view["tags"],
        # PCI DSS scope (cde, connected-to, security-impacting, out-of-scope, unknown) and why.
        "scope": facts.get("pci_scope", facts.get("scope", "non-cde")),
        "scope_reason": facts.get("pci_scope_reason", facts.get("scope_reason", "")),
        "tenant": facts.get("tenant"),
        **({"location": view["location"]} if view.get("location") else {}),
        # Where the evidence came from: the API calls that read it, or the file and line.
        "source": list(view["source"]),
    }


class Evaluator:
    """Holds compiled controls; `evaluate` judges an analyzed estate against all of them."""

    def __init__(
        self,
        controls: Iterable[Control],
        params: dict[str, dict[str, Any]] | None = None,
        *,
        parallel_from: int = PARALLEL_FROM,
    ) -> None:
        self.parallel_from = parallel_from
        params = params or {}
        self.compiled = [compile_control(c, params.get(c.id)) for c in controls]
        self.by_type: dict[str, list[CompiledControl]] = defaultdict(list)
        for cc in self.compiled:
            self.by_type[cc.control.resource].append(cc)
        self.reads = {t: _union(cc.reads for cc in ccs) for t, ccs in self.by_type.items()}
        # What each control's CEL is handed: what its type's controls read, but of the facts only its own.
        # Facts can be long (a workload's sources, one per namespace) and CEL converts the whole map on
        # each evaluation, so controls reading other facts, or none, do not pay for them.
        self.subjects = {
            id(cc): Reads(self.reads[t].keys, self.reads[t].attributes, cc.reads.facts)
            for t, ccs in self.by_type.items()
            for cc in ccs
        }
        # The listings connectivity to the CDE is built from, by provider: without one, scope is unknown.
        self.scope_reads = {p: tuple(sorted(types_read("facts.pci_scope", p))) for p in ("aws", "k8s")}
        cde_scopes = ("cde", "cde-only")
        self.cde_types = {t for t, ccs in self.by_type.items() if any(cc.control.scope in cde_scopes for cc in ccs)}

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

        def judge(chunk: list[Resource]) -> list[Result]:
            out: list[Result] = []
            for r in chunk:
                out.extend(
                    self._judge(
                        r,
                        views[r.uid],
                        self.by_type[r.type],
                        per_resource.get(r.uid, []),
                        listing,
                        by_account_type,
                        lookup,
                        now,
                    )
                )
            return out

        judged = [r for r in estate.resources if r.type in self.by_type]
        if len(judged) >= self.parallel_from:
            results = self._in_parallel(judged, judge, lambda uid: result_resource(views[uid]))
        else:
            results = judge(judged)
        results.extend(self._listing_errors(errors))
        return results

    def _in_parallel(
        self,
        judged: list[Resource],
        judge: Callable[[list[Resource]], list[Result]],
        resource_of: Callable[[str], dict[str, Any]],
    ) -> list[Result]:
        """Judge half the estate in a forked child while this process judges the other half.

        CEL evaluation is CPU-bound Python/Rust under the GIL, so threads would not help; a fork
        shares the estate without copying it. The child sends back compact tuples, rebuilt here.
        Anything unexpected (no fork, a child that dies) falls back to judging serially.
        """
        if "fork" not in multiprocessing.get_all_start_methods() or (os.cpu_count() or 1) < 2:
            return judge(judged)
        middle = len(judged) // 2
        mine, theirs = judged[:middle], judged[middle:]
        index = {id(cc.control): i for i, cc in enumerate(self.compiled)}
        receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)

        def child() -> None:
            try:
                sender.send(
                    [
                        (index[id(x.control)], x.resource["uid"], x.status.value, x.message, x.evidence)
                        for x in judge(theirs)
                    ]
                )
            except BaseException as exc:  # reported to the parent, which then judges serially
                sender.send(repr(exc))
            finally:
                sender.close()

        process = multiprocessing.get_context("fork").Process(target=child, daemon=True)
        process.start()
        sender.close()
        results = judge(mine)
        try:
            compact = receiver.recv()
        except EOFError:
            compact = None
        process.join()
        if not isinstance(compact, list):
            return results + judge(theirs)
        resources: dict[str, dict[str, Any]] = {}
        for ci, uid, status, message, evidence in compact:
            shared = resources.get(uid)
            if shared is None:
                shared = resources[uid] = resource_of(uid)
            results.append(Result(self.compiled[ci].control, shared, Status(status), message, evidence))
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
        # CDE controls judge connected-to systems too (PCI DSS scoping); results say which they are.
        pci_scope = facts.get("pci_scope", "cde" if facts.get("scope") == "cde" else OUT_OF_SCOPE)
        judges_cde = r.type in self.cde_types and pci_scope != CDE
        scope_gaps = self._scope_gaps(r, listing) if judges_cde else []
        has_tenant = bool(facts.get("tenant"))
        key_gaps = listing.get((r.account, "@key-reference"), [])
        # Scope and tenant come from tags: unreadable tags make "out of scope" unknowable.
        tag_gaps = [e for e in own_errors if "tags" in e.attributes]
        contexts: dict[Reads, Any] = {}  # one per facts the controls read
        out = []
        for cc in controls:
            c = cc.control
            if (c.scope != "all" or cc.reads_tag_facts) and tag_gaps:
                message = "scope unknown, tags could not be read: " + "; ".join(e.cause for e in tag_gaps)
                out.append(Result(c, where, Status.ERROR, message, {}))
                continue
            # Out-of-scope results carry no evidence: nothing was judged.
            skipped = _out_of_scope(c, where, pci_scope, scope_gaps, has_tenant)
            if skipped is not None:
                out.append(skipped)
                continue
            blocking = _blocking(cc, own_errors, listing, r.account, key_gaps)
            if blocking:
                message = "could not be read: " + "; ".join(e.cause for e in blocking)
                out.append(Result(c, where, Status.ERROR, message, _evidence(cc, view)))
                continue
            reads = self.subjects[id(cc)]
            context = contexts.get(reads)
            if context is None:
                context = contexts[reads] = self._context(r, subject(reads, view), by_account_type, lookup, now)
            context.add_variable("params", cc.params)
            if cc.unset:
                out.append(self._unconfigured(cc, where, context, view))
                continue
            judged = _verdict(cc, context)
            if judged is None:
                out.append(Result(c, where, Status.NOT_APPLICABLE, cc.outside, {}))
            else:
                status, message = judged
                if c.scope == "cde" and pci_scope == CONNECTED:
                    links = str(where["scope_reason"]).removeprefix("connected to the CDE: ")
                    message += f" (judged as connected to the CDE: {links})"
                evidence = _evidence(cc, view)
                message += _unread_evidence(cc, own_errors) + _defaults_used(cc, r.defaulted, evidence)
                out.append(Result(c, where, status, message, evidence))
        return out

    def _unconfigured(self, cc: CompiledControl, where: dict[str, Any], context: Any, view: dict[str, Any]) -> Result:
        """A control missing a site param: not applicable when its `where` (not reading that param) leaves
        the resource out, else needs_configuration. A `where` that errors is that error, as ever."""
        c = cc.control
        if not cc.where_needs_unset:
            try:
                applies = cc.where.execute(context)
            except Exception as exc:  # CEL raises KeyError/TypeError/RuntimeError/ValueError alike
                return Result(c, where, Status.ERROR, f"could not evaluate: {_one_line(exc)}", {})
            if applies is False:
                return Result(c, where, Status.NOT_APPLICABLE, cc.outside, {})
            if applies is not True:
                message = f"could not evaluate: 'where' returned {type(applies).__name__}, not a boolean"
                return Result(c, where, Status.ERROR, message, {})
        # The evidence is shown: what the resource holds (its images) is what the site needs to choose.
        message = needs_configuration_message(c, cc.unset)
        return Result(c, where, Status.NEEDS_CONFIGURATION, message, _evidence(cc, view))

    def _scope_gaps(self, r: Resource, listing: dict[tuple[str, str], list[CollectionError]]) -> list[CollectionError]:
        """Failed listings that leave it unknown whether `r` is connected to the CDE."""
        reads = self.scope_reads.get(r.provider, ())
        return [e for t in reads for e in listing.get((r.account, t), ())]

    def _context(
        self,
        r: Resource,
        resource: dict[str, Any],
        by_account_type: dict[tuple[str, str], list[dict[str, Any]]],
        lookup: Any,
        now: datetime,
    ) -> Any:
        """The CEL context (a cel.Context) of controls of one resource that read the same; each sets its own
        `params`."""
        account_lists: dict[str, Any] = {}

        def resources(type_name: Any, account: str = r.account, cache: dict[str, Any] = account_lists) -> Any:
            key = str(type_name)
            if key not in cache:
                cache[key] = by_account_type.get((account, key), [])
            return cache[key]

        return cel.Context(
            variables={"resource": resource, "now": now},
            functions={"lookup": lookup, "resources": resources, "glob": glob},
        )

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
                                "source": [],
                            },
                            status=Status.ERROR,
                            message=f"could not be read: {e.cause}",
                            evidence={},
                        )
                    )
        return out

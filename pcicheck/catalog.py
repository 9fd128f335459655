"""Loads and validates the control catalog and the framework requirement trees.

Every problem is reported as `file:line: what is wrong (how to fix it)`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck import catalog_cache, evidence_path, paths
from pcicheck.celnative import cel
from pcicheck.collect import registry
from pcicheck.errors import InputError, PcicheckError
from pcicheck.model import (
    BASIS_SOURCES,
    DOMAINS,
    FRAMEWORKS,
    METHODS,
    SCOPES,
    Control,
    ControlTest,
    Framework,
    Requirement,
    Severity,
    Status,
    TestingProcedure,
)
from pcicheck.params import NAME, declared_type, mismatch, unknown_param_fix
from pcicheck.yamlfile import LineDict, load_documents, load_mapping

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CEL_ERROR = re.compile(r"ERROR: <input>:(\d+):(\d+): ([^\n]+)")
REQUIRED = (
    "id",
    "title",
    "domain",
    "severity",
    "resource",
    "scope",
    "where",
    "assert",
    "requirements",
    "rationale",
    "remediation",
    "tests",
)
OPTIONAL = ("params", "site_params", "evidence", "basis", "applies_to")
TEST_EXPECT = (Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.ERROR, Status.NEEDS_CONFIGURATION)
TEST_FIELDS = ("name", "resource", "expect", "related", "params")
# What a test case may say of a resource (controltests._resource fills in the rest): the Resource fields.
RESOURCE_TEXT = ("uid", "type", "provider", "account", "region", "name")
RESOURCE_FIELDS = (*RESOURCE_TEXT, "tags", "attributes")


class CatalogInvalid(PcicheckError):
    """One or more catalog files are invalid; `problems` holds every one."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = problems
        first = problems[0]
        hint = "" if "controls validate" in (first.fix or "") else ": run `pcicheck controls validate`"
        more = f" (and {len(problems) - 1} more{hint})" if len(problems) > 1 else ""
        super().__init__(first.message + more, path=first.path, line=first.line, fix=first.fix)


@dataclass(frozen=True)
class Catalog:
    controls: tuple[Control, ...]
    frameworks: dict[str, Framework]

    def control(self, control_id: str) -> Control:
        for c in self.controls:
            if c.id == control_id:
                return c
        raise InputError(f"no control with id {control_id!r}", fix="see `pcicheck controls list`")

    def framework(self, framework_id: str) -> Framework:
        if framework_id not in self.frameworks:
            raise InputError(
                f"unknown framework {framework_id!r}", fix=f"use one of: {', '.join(sorted(self.frameworks))}"
            )
        return self.frameworks[framework_id]

    def with_controls(self, extra: tuple[Control, ...]) -> Catalog:
        """This catalog plus controls defined elsewhere (the Checkov mapping), ids kept unique."""
        known = {c.id for c in self.controls}
        return Catalog((*self.controls, *(c for c in extra if c.id not in known)), self.frameworks)

    def digest(self) -> str:
        """SHA-256 over every control's source file, so evidence names the exact rules it used."""
        h = hashlib.sha256()
        files: dict[str, bytes] = {}  # the Checkov mapping's 400 controls share one file: read it once
        for c in sorted(self.controls, key=lambda c: c.id):
            h.update(c.id.encode())
            if c.path not in files:
                files[c.path] = Path(c.path).read_bytes()
            h.update(files[c.path])
        return h.hexdigest()


# --- frameworks -------------------------------------------------------------------------------


def load_framework(path: Path) -> Framework:
    doc = load_mapping(path)
    for key in ("id", "title", "requirements"):
        if key not in doc:
            raise InputError(f"framework is missing {key!r}", path=str(path), line=doc.line)
    requirements: dict[str, Requirement] = {}
    _walk_requirements(doc["requirements"], None, doc.line_of("requirements"), path, requirements, set())
    ordered = _in_document_order(requirements)
    return Framework(
        id=str(doc["id"]),
        title=str(doc["title"]),
        version=str(doc.get("version", "")),
        requirements=ordered,
        path=str(path),
        retired=str(doc.get("retired") or ""),
        procedures={p.id: p for req in ordered.values() for p in req.procedures},
    )


def _walk_requirements(
    items: Any,
    parent: str | None,
    line: int,
    path: Path,
    requirements: dict[str, Requirement],
    seen_procedures: set[str],
) -> tuple[str, ...]:
    """Adds `items` and everything below them to `requirements` (children first, so a parent can read
    theirs); returns their ids."""
    if not isinstance(items, list):
        raise InputError("'children'/'requirements' must be a list", path=str(path), line=line)
    ids = []
    for item in items:
        rid = _requirement_id(item, parent, line, path, requirements)
        children = _walk_requirements(item.get("children", []), rid, item.line, path, requirements, seen_procedures)
        procedures = _procedures(item, rid, path, seen_procedures)
        requirements[rid] = Requirement(
            id=rid,
            title=str(item["title"]),
            # Unless a parent says so itself, it is process-only exactly when all its children are.
            manual=bool(item.get("manual"))
            if "manual" in item or not children
            else all(requirements[c].manual for c in children),
            parent=parent,
            children=children,
            procedures=procedures,
        )
        ids.append(rid)
    return tuple(ids)


def _procedures(item: LineDict, rid: str, path: Path, seen: set[str]) -> tuple[TestingProcedure, ...]:
    """A requirement's testing procedures: ids unique in the framework and named after the requirement
    (`1.2.5.a`, or the requirement's own id when it has one), methods from METHODS."""
    entries = item.get("procedures", [])
    line = item.line_of("procedures") if "procedures" in item else item.line
    if not isinstance(entries, list):
        raise InputError("'procedures' must be a list", path=str(path), line=line)
    out = []
    for entry in entries:
        where = entry.line if isinstance(entry, LineDict) else line
        if not isinstance(entry, LineDict) or set(entry) != {"id", "methods", "about"}:
            raise InputError(
                "each testing procedure has exactly 'id', 'methods' and 'about'", path=str(path), line=where
            )
        pid, methods = str(entry["id"]), entry["methods"]
        if pid != rid and not (pid.startswith(rid + ".") and pid[len(rid) + 1 :].isalnum()):
            raise InputError(
                f"testing procedure {pid!r} is not named after requirement {rid!r}", path=str(path), line=where
            )
        if pid in seen:
            raise InputError(f"duplicate testing procedure id {pid!r}", path=str(path), line=where)
        # A lead-in procedure (3.2.1's "9.4 … via 9.4.1–9.4.4") may name no evidence of its own.
        if not isinstance(methods, list) or any(m not in METHODS for m in methods):
            raise InputError(
                f"testing procedure {pid!r}: methods must be a list of {', '.join(METHODS)}",
                path=str(path),
                line=where,
            )
        seen.add(pid)
        out.append(TestingProcedure(pid, rid, tuple(str(m) for m in methods), str(entry["about"])))
    return tuple(out)


def _requirement_id(item: Any, parent: str | None, line: int, path: Path, requirements: dict[str, Requirement]) -> str:
    """The id of one requirement entry, once it is known to be well-formed, new and under its parent."""
    if not isinstance(item, LineDict) or "id" not in item or "title" not in item:
        raise InputError("each requirement needs 'id' and 'title'", path=str(path), line=line)
    rid = str(item["id"])
    if rid in requirements:
        raise InputError(f"duplicate requirement id {rid!r}", path=str(path), line=item.line)
    if parent and not rid.startswith(parent + "."):
        raise InputError(f"requirement {rid!r} is not under its parent {parent!r}", path=str(path), line=item.line)
    return rid


def _in_document_order(requirements: dict[str, Requirement]) -> dict[str, Requirement]:
    """Parents before their children, as the document lists them, for reports."""
    ordered: dict[str, Requirement] = {}

    def order(rid: str) -> None:
        ordered[rid] = requirements[rid]
        for child in requirements[rid].children:
            order(child)

    for rid, req in requirements.items():
        if req.parent is None:
            order(rid)
    return ordered


def load_frameworks(directory: Path | None = None) -> dict[str, Framework]:
    """The frameworks in `directory`; the built-in ones (no directory) through the cache."""
    if directory is None:
        return catalog_cache.builtin(
            "frameworks", framework_files(), READING_CODE, lambda: _read_frameworks(paths.frameworks_dir()), _frameworks
        )
    return _read_frameworks(directory)


def framework_files() -> list[Path]:
    return sorted(paths.frameworks_dir().glob("*.yaml"))


def _frameworks(value: Any) -> dict[str, Framework]:
    if not isinstance(value, dict) or not all(isinstance(f, Framework) for f in value.values()):
        raise TypeError("not frameworks")
    return value


def _read_frameworks(directory: Path) -> dict[str, Framework]:
    frameworks = {}
    for path in sorted(directory.glob("*.yaml")):
        fw = load_framework(path)
        frameworks[fw.id] = fw
    missing = [f for f in FRAMEWORKS if f not in frameworks]
    if missing:
        raise InputError(f"framework file(s) missing: {', '.join(missing)}", path=str(directory))
    return frameworks


# --- controls ---------------------------------------------------------------------------------


def parse_requirements(
    reqs: Any, frameworks: dict[str, Framework], fail: Callable[..., InputError]
) -> dict[str, tuple[str, ...]]:
    """A `requirements:` mapping (controls and the Checkov mapping): for every framework, no other, a
    non-empty list of the testing procedures the control evidences (`1.2.5.b`; a requirement with one
    procedure shares its id). `fail(message, key, fix=…)` makes the file:line error."""
    if not isinstance(reqs, dict):
        raise fail("'requirements' must map framework ids to lists of testing procedure ids", "requirements")
    requirements: dict[str, tuple[str, ...]] = {}
    for fw_id in FRAMEWORKS:
        ids = reqs.get(fw_id)
        if not isinstance(ids, list) or not ids:
            raise fail(f"'requirements' has no list for {fw_id}", "requirements", fix="every entry maps to both")
        for pid in ids:
            _check_procedure(str(pid), frameworks[fw_id], fail)
        requirements[fw_id] = tuple(str(r) for r in ids)
    for fw_id in reqs:
        if fw_id not in FRAMEWORKS:
            raise fail(f"unknown framework {fw_id!r} in 'requirements'", "requirements")
    return requirements


def _check_procedure(pid: str, framework: Framework, fail: Callable[..., InputError]) -> None:
    """A known testing procedure. A framework file that lists no procedures takes requirement ids."""
    if pid in framework.procedures or (not framework.procedures and pid in framework.requirements):
        return
    req = framework.requirements.get(pid)
    if req is None:
        raise fail(
            f"unknown testing procedure {pid!r} in {framework.id}",
            "requirements",
            fix=f"use an id from controls/frameworks/{framework.id}.yaml",
        )
    if not req.procedures:
        raise fail(
            f"{pid} in {framework.id} is a heading, with no testing procedure of its own",
            "requirements",
            fix=f"name the procedures of the requirements below it ({', '.join(req.children[:4])}, …)",
        )
    listed = "; ".join(f"{p.id} ({', '.join(p.methods)})" for p in req.procedures)
    raise fail(
        f"{pid} in {framework.id} has several testing procedures: name the ones this control evidences",
        "requirements",
        fix=f"one or more of {listed}",
    )


def control_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise InputError("not a directory of controls", path=str(directory), fix="pass a folder of *.yaml files")
    # frameworks/ holds requirement trees and checkov/ the Checkov mapping and policies: neither is a control.
    skipped = {"frameworks", "checkov"}
    files = [p for p in directory.rglob("*.y*ml") if not skipped & set(p.relative_to(directory).parts)]
    return sorted(files)


def _compile(expr: Any, what: str, path: Path, line: int) -> None:
    if not isinstance(expr, str) or not expr.strip():
        raise InputError(f"'{what}' must be a non-empty CEL expression", path=str(path), line=line)
    try:
        cel.compile(expr)
    except Exception as exc:  # the cel module raises ValueError for syntax; keep any to one line
        found = _CEL_ERROR.search(str(exc))
        detail = f"{found.group(3)} at column {found.group(2)}" if found else str(exc).splitlines()[0]
        raise InputError(
            f"'{what}' is not valid CEL: {detail}",
            path=str(path),
            line=line,
            fix="see the CEL language definition",
        ) from exc


def parse_control(doc: LineDict, path: Path, frameworks: dict[str, Framework]) -> Control:
    def fail(msg: str, key: str | None = None, fix: str | None = None) -> InputError:
        return InputError(msg, path=str(path), line=doc.line_of(key) if key else doc.line, fix=fix)

    _check_fields(doc, fail)
    cid = _control_id(doc["id"], path, fail)
    severity = _check_classification(doc, fail)
    _compile(doc["where"], "where", path, doc.line_of("where"))
    _compile(doc["assert"], "assert", path, doc.line_of("assert"))
    params = _declared_params(doc, path)
    site_params = _site_params(doc, path, params)
    requirements = parse_requirements(doc["requirements"], frameworks, fail)
    evidence = _evidence_paths(doc.get("evidence") or [], fail)
    tests = _parse_tests(doc["tests"], path, doc.line_of("tests"), params, str(doc["resource"]))
    for key in ("title", "rationale", "remediation"):
        if not isinstance(doc[key], str) or not doc[key].strip():
            raise fail(f"'{key}' must be non-empty text", key)
    applies_to = doc.get("applies_to", "")
    if not isinstance(applies_to, str):
        raise fail("'applies_to' must be text: what `where` selects, read after 'it judges only'", "applies_to")
    return Control(
        id=cid,
        title=doc["title"].strip(),
        domain=doc["domain"],
        severity=severity,
        resource=str(doc["resource"]),
        scope=doc["scope"],
        where=doc["where"],
        assertion=doc["assert"],
        params=dict(params),
        requirements=requirements,
        rationale=" ".join(doc["rationale"].split()),
        remediation=" ".join(doc["remediation"].split()),
        evidence=evidence,
        tests=tests,
        path=str(path),
        line=doc.line,
        basis=parse_basis(doc.get("basis"), fail),
        applies_to=" ".join(applies_to.split()),
        site_params=site_params,
    )


def _evidence_paths(evidence: Any, fail: Callable[..., InputError]) -> tuple[str, ...]:
    """`evidence:`, each path checked and written in its one spelling (pcicheck/evidence_path.py)."""
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        raise fail("'evidence' must be a list of attribute paths", "evidence", fix=f"each one {evidence_path.SYNTAX}")
    try:
        return tuple(evidence_path.parse(e).text for e in evidence)
    except evidence_path.EvidencePathError as exc:
        raise fail(str(exc), "evidence", fix=exc.fix) from exc


def _declared_params(doc: LineDict, path: Path) -> dict[str, Any]:
    """`params:`: names CEL can read as params.NAME, each with a default whose type is the param's
    (see params.py), so every override can be checked against it."""
    params = doc.get("params")
    if params is None:
        return {}
    if not isinstance(params, LineDict):
        raise InputError(
            "'params' must be a mapping of names to default values", path=str(path), line=doc.line_of("params")
        )
    for key, default in params.items():
        line = params.line_of(key)
        if not NAME.match(key):
            raise InputError(
                f"param name {key!r} cannot be read in CEL as params.{key}",
                path=str(path),
                line=line,
                fix="use letters, digits and _ (e.g. max_days)",
            )
        if declared_type(default) is None:
            raise InputError(
                f"param {key!r} has a default of no type a param can have: {default!r}",
                path=str(path),
                line=line,
                fix="give text, a number, true/false, or a list of one of those",
            )
    return dict(params)


def _site_params(doc: LineDict, path: Path, params: dict[str, Any]) -> tuple[str, ...]:
    """`site_params:`: the declared params no default fits (which registries a site approves). Their
    default only gives the type; until pcicheck.yaml sets one, the control reports needs_configuration
    (as a Terraform variable without a default must be given)."""
    names = doc.get("site_params")
    if names is None:
        return ()
    line = doc.line_of("site_params")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError("'site_params' must be a list of param names", path=str(path), line=line)
    for name in names:
        if name not in params:
            raise InputError(
                f"'site_params' names {name!r}, which 'params' does not declare",
                path=str(path),
                line=line,
                fix=unknown_param_fix(name, params) + f"; declare it under params with a default of its type, "
                f"e.g. {name}: []",
            )
    return tuple(dict.fromkeys(names))


def parse_basis(basis: Any, fail: Callable[..., InputError]) -> dict[str, dict[str, str]]:
    """`basis: {framework: {source, ref}}`; a framework it leaves out is `inferred` (the rationale's reasoning)."""
    if basis is None:
        return {fw: {"source": "inferred"} for fw in FRAMEWORKS}
    if not isinstance(basis, dict) or set(basis) - set(FRAMEWORKS):
        raise fail(f"'basis' maps framework ids ({', '.join(FRAMEWORKS)}) to {{source, ref}}", "basis")
    out = {}
    for fw in FRAMEWORKS:
        entry = basis.get(fw, {"source": "inferred"})
        source = entry.get("source") if isinstance(entry, dict) else None
        if source not in BASIS_SOURCES or set(entry) - {"source", "ref"}:
            raise fail(
                f"'basis' for {fw} needs a source, one of {', '.join(BASIS_SOURCES)}, and an optional ref", "basis"
            )
        if source != "inferred" and not str(entry.get("ref", "")).strip():
            raise fail(f"'basis' for {fw} ({source}) needs a ref: the published mapping it follows", "basis")
        out[fw] = {"source": str(source), **({"ref": str(entry["ref"])} if entry.get("ref") else {})}
    return out


def _check_fields(doc: LineDict, fail: Callable[..., InputError]) -> None:
    """Every required field, and no field a control does not have."""
    for key in REQUIRED:
        if key not in doc:
            raise fail(f"control is missing required field {key!r}", fix=f"add '{key}:'")
    for key in doc:
        if key not in REQUIRED and key not in OPTIONAL:
            raise fail(f"unknown field {key!r}", key, fix=f"allowed fields: {', '.join(REQUIRED + OPTIONAL)}")


def _control_id(cid: Any, path: Path, fail: Callable[..., InputError]) -> str:
    """A kebab-case id that is also the file's name."""
    if not isinstance(cid, str) or not ID_PATTERN.match(cid):
        raise fail(f"id {cid!r} is not kebab-case", "id", fix="use lowercase words joined by '-'")
    if cid != path.stem:
        raise fail(f"id {cid!r} does not match the file name {path.name!r}", "id", fix=f"rename to {cid}.yaml")
    return cid


def _check_classification(doc: LineDict, fail: Callable[..., InputError]) -> Severity:
    """Domain, severity, resource type and scope are each one of the known values; returns the severity."""
    if doc["domain"] not in DOMAINS:
        raise fail(f"unknown domain {doc['domain']!r}", "domain", fix=f"use one of: {', '.join(DOMAINS)}")
    try:
        severity = Severity(doc["severity"])
    except ValueError:
        raise fail(
            f"unknown severity {doc['severity']!r}", "severity", fix="use critical, high, medium or low"
        ) from None
    if not registry.known(str(doc["resource"])):
        raise fail(
            f"unknown resource type {doc['resource']!r}",
            "resource",
            fix="see `pcicheck controls list`, or the types the collectors declare (pcicheck/collect/registry.py)",
        )
    if doc["scope"] not in SCOPES:
        raise fail(f"unknown scope {doc['scope']!r}", "scope", fix="use all, cde, cde-only or tenant")
    return severity


def _parse_tests(
    items: Any, path: Path, line: int, control_params: dict[str, Any], resource_type: str
) -> tuple[ControlTest, ...]:
    if not isinstance(items, list) or not items:
        raise InputError("'tests' must be a non-empty list", path=str(path), line=line)
    tests = [_parse_test(item, path, line, control_params, resource_type) for item in items]
    expects = {t.expect for t in tests}
    if Status.PASS not in expects or Status.FAIL not in expects:
        raise InputError("'tests' needs at least one pass and one fail case", path=str(path), line=line)
    return tuple(tests)


def _parse_test(item: Any, path: Path, line: int, control_params: dict[str, Any], resource_type: str) -> ControlTest:
    """One case, every part of the shape the runner reads, so running it can never fail on its form."""
    if not isinstance(item, LineDict):
        raise InputError(
            "each test must be a mapping", path=str(path), line=line, fix=f"with {', '.join(TEST_FIELDS[:3])}"
        )
    for key in ("name", "resource", "expect"):
        if key not in item:
            raise InputError(f"test is missing {key!r}", path=str(path), line=item.line)
    item.refuse_unknown(TEST_FIELDS, what="test", path=path, fix=f"a test has {', '.join(TEST_FIELDS)}")
    if not isinstance(item["name"], str) or not item["name"].strip():
        raise InputError(
            f"test 'name' must be non-empty text, not {item['name']!r}",
            path=str(path),
            line=item.line_of("name"),
            fix="quote it: YAML reads on, off, yes and no as true/false",
        )
    expect = _test_expect(item, path)
    resource = _test_resource(item["resource"], path, item.line_of("resource"), "resource", resource_type)
    related = _test_related(item, path)
    uids = [str(r["uid"]) for r in (resource, *related) if "uid" in r]
    if len(set(uids)) != len(uids):
        twice = next(u for u in uids if uids.count(u) > 1)
        raise InputError(
            f"test names uid {twice!r} twice", path=str(path), line=item.line, fix="each resource has its own uid"
        )
    params = _test_params(item, path, control_params)
    return ControlTest(
        name=item["name"],
        resource=resource,
        expect=expect,
        related=related,
        params=dict(params),
        line=item.line,
    )


def _test_resource(data: Any, path: Path, line: int, what: str, resource_type: str | None) -> LineDict:
    """A resource a case builds: only Resource's fields; text where the record holds text; tags of text;
    attributes a mapping; a type the collectors declare (the control's own for the case's subject)."""
    if not isinstance(data, LineDict):
        raise InputError(f"test {what} must be a mapping (a resource)", path=str(path), line=line)
    line = data.line
    data.refuse_unknown(
        RESOURCE_FIELDS,
        what=f"test {what}",
        path=path,
        fix=f"a resource has {', '.join(RESOURCE_FIELDS)} (its own data goes under attributes)",
    )
    for key in RESOURCE_TEXT:
        if key in data and not isinstance(data[key], str):
            raise InputError(
                f"test {what}: {key!r} must be text, not {data[key]!r}",
                path=str(path),
                line=data.line_of(key),
                fix="one text value (quote numbers and true/false)",
            )
    rtype = data.get("type")
    if rtype is not None and not registry.known(rtype):
        raise InputError(
            f"test {what} has an unknown resource type {rtype!r}",
            path=str(path),
            line=data.line_of("type"),
            fix="see the types the collectors declare (pcicheck/collect/registry.py)",
        )
    if resource_type is not None and rtype is not None and rtype != resource_type:
        raise InputError(
            f"test resource is a {rtype}, but the control judges {resource_type}",
            path=str(path),
            line=data.line_of("type"),
            fix="leave 'type' out of the case's own resource (related resources may have other types)",
        )
    tags = data.get("tags", {})
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise InputError(
            f"test {what}: 'tags' must map tag names to text",
            path=str(path),
            line=data.line_of("tags"),
            fix="e.g. tags: {pci-scope: cde}; quote values such as '1' or 'true'",
        )
    if not isinstance(data.get("attributes", {}), dict):
        raise InputError(
            f"test {what}: 'attributes' must be a mapping",
            path=str(path),
            line=data.line_of("attributes"),
            fix="attribute names to values, as the collector writes them",
        )
    return data


def _test_related(item: LineDict, path: Path) -> tuple[dict[str, Any], ...]:
    """`related:` other resources in the case's estate (a namespace, a key, a policy), each a resource of
    any known type."""
    related = item.get("related", [])
    line = item.line_of("related")
    if not isinstance(related, list):
        raise InputError(
            "test 'related' must be a list of resources",
            path=str(path),
            line=line,
            fix="related: [{uid: …, type: …, attributes: {…}}]",
        )
    return tuple(
        _test_resource(r, path, r.line if isinstance(r, LineDict) else line, f"related[{i}]", None)
        for i, r in enumerate(related)
    )


def _test_expect(item: LineDict, path: Path) -> Status:
    value = item["expect"]
    expect = Status(value) if isinstance(value, str) and value in {s.value for s in TEST_EXPECT} else None
    if expect is None:
        raise InputError(
            f"test expect {value!r} is not a status",
            path=str(path),
            line=item.line_of("expect"),
            fix="use pass, fail, not_applicable, error or needs_configuration",
        )
    return expect


def _test_params(item: LineDict, path: Path, control_params: dict[str, Any]) -> dict[str, Any]:
    """A test's params override only params its control declares, each with a value of the declared type."""
    if "params" not in item:
        return {}
    params = item["params"]
    line = item.line_of("params")
    if not isinstance(params, LineDict):
        raise InputError(
            "test 'params' must be a mapping of the control's params",
            path=str(path),
            line=line,
            fix="e.g. {max_days: 90}",
        )
    for key, value in params.items():
        if key not in control_params:
            raise InputError(
                f"test 'params' names {key!r}, which the control does not declare",
                path=str(path),
                line=params.line_of(key),
                fix=unknown_param_fix(key, control_params),
            )
        wrong = mismatch(key, value, control_params[key])
        if wrong:
            raise InputError(f"test {wrong[0]}", path=str(path), line=params.line_of(key), fix=wrong[1])
    return dict(params)


def load_controls(
    directories: Iterable[Path], frameworks: dict[str, Framework], known: Iterable[Control] = ()
) -> tuple[list[Control], list[InputError]]:
    """Every control in the directories, plus every problem found (not just the first). An id of one of
    the `known` controls (already loaded) is a duplicate."""
    controls: list[Control] = []
    problems: list[InputError] = []
    seen: dict[str, Control] = {c.id: c for c in known}
    for directory in directories:
        try:
            files = control_files(directory)
        except InputError as exc:
            problems.append(exc)
            continue
        for path in files:
            try:
                docs = load_documents(path)
                if len(docs) != 1 or not isinstance(docs[0], LineDict):
                    raise InputError("a control file holds exactly one YAML mapping", path=str(path), line=1)
                control = parse_control(docs[0], path, frameworks)
            except InputError as exc:
                problems.append(exc)
                continue
            if control.id in seen:
                problems.append(
                    InputError(
                        f"duplicate control id {control.id!r} (also in {seen[control.id].path})",
                        path=str(path),
                        line=control.line,
                        fix="control ids are never reused",
                    )
                )
                continue
            seen[control.id] = control
            controls.append(control)
    return controls, problems


def load_catalog(extra_dirs: Iterable[Path] = (), *, builtin: bool = True) -> Catalog:
    frameworks = load_frameworks()
    controls, problems = _builtin_controls(frameworks) if builtin else ([], [])
    extra, extra_problems = load_controls(extra_dirs, frameworks, known=controls)
    problems += extra_problems
    if problems:
        raise CatalogInvalid(problems)
    return Catalog(controls=tuple(sorted([*controls, *extra], key=lambda c: c.id)), frameworks=frameworks)


# --- the built-in catalog, cached ---------------------------------------------------------------


# The modules that decide what a catalog file becomes (the rest of the record is in the files themselves).
READING_CODE = ("pcicheck.catalog", "pcicheck.yamlfile", "pcicheck.model", "pcicheck.params", "pcicheck.evidence_path")


class _Invalid(Exception):
    """The built-in controls have problems: reported with the rest, and never cached."""

    def __init__(self, controls: list[Control], problems: list[InputError]) -> None:
        self.controls, self.problems = controls, problems


def _builtin_controls(frameworks: dict[str, Framework]) -> tuple[list[Control], list[InputError]]:
    def read() -> list[Control]:
        controls, problems = load_controls([paths.controls_dir()], frameworks)
        if problems:
            raise _Invalid(controls, problems)
        return controls

    def check(value: Any) -> list[Control]:
        if not isinstance(value, list) or not all(isinstance(c, Control) for c in value):
            raise TypeError("not controls")
        return value

    try:
        files = [*framework_files(), *control_files(paths.controls_dir())]
        types = registry.resource_types()
        return catalog_cache.builtin("controls", files, READING_CODE, read, check, types), []
    except _Invalid as invalid:
        return invalid.controls, invalid.problems
    except InputError as exc:  # no controls folder: reported as load_controls reports it
        return [], [exc]

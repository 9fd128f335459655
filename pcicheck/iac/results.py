"""Checkov's records as pcicheck results: mapped checks become results, `error` for whatever was not
evaluated; failures of unmapped checks are kept apart, with where they were found (see unmapped.py).

Evidence is what Checkov looked at (the check, the keys it evaluated, the file and lines) and never
the code block, which can hold secrets (terragoat keeps AWS keys in user_data). What is kept (resource
addresses, tags, file names, suppression comments) is written by whoever wrote the sources, so every
string of every result is redacted as a snapshot's are.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from pcicheck.config import ScopeConfig
from pcicheck.iac.checkov_shim import KEY_POLICY_CHECKS, KEY_POLICY_MARK, UNKNOWN_MARK
from pcicheck.iac.mapping import CheckovMapping
from pcicheck.iac.runner import CheckovRun
from pcicheck.iac.sources import Origin, SkipMarker, SourceProblem, Staged
from pcicheck.iac.unmapped import Unmapped, UnmappedFinding
from pcicheck.model import Control, Result, Status
from pcicheck.redact import redact_text, redact_value

_RANK = {Status.PASS: 0, Status.FAIL: 1, Status.ERROR: 2}


@dataclass
class Converted:
    results: list[Result] = field(default_factory=list)
    # Checks with no PCI DSS mapping are judged against no requirement; their failures are listed apart.
    unmapped: Unmapped = field(default_factory=Unmapped)
    # UNKNOWN verdicts on an absent attribute (Checkov's way of saying "nothing to judge"), not reported.
    unknown_not_applicable: int = 0


def redacted(result: Result) -> Result:
    """The result with every string redacted (resource, message, evidence): one pass, whatever field
    a credential-shaped name, tag or comment ended up in."""
    return replace(
        result,
        resource=redact_value(result.resource),
        message=redact_text(result.message),
        evidence=redact_value(result.evidence),
    )


def display_path(root: Path, rel: str) -> str:
    """A file as a reader finds it: relative to the working directory when below it, else absolute."""
    full = (root / rel).resolve() if rel else root.resolve()
    try:
        return full.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return full.as_posix()


def _tags(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v) for k, v in raw.items() if not isinstance(v, dict | list)}


def _scope(tags: dict[str, str], scope: ScopeConfig) -> tuple[str, str, str | None]:
    tenant = tags.get(scope.tenant_tag)
    if tags.get(scope.cde_tag) == scope.cde_value:
        return "cde", f"tag {scope.cde_tag}={scope.cde_value}", tenant
    return "non-cde", "", tenant


def _namespace(check_type: str, resource: str) -> str:
    """Kubernetes records name resources Kind.namespace.name (pods add their labels after)."""
    if check_type != "kubernetes":
        return ""
    parts = resource.split(".")
    return parts[1] if len(parts) > 2 else ""


NamespaceScopes = dict[tuple[str, str], tuple[str, str, str | None]]  # (staged file, namespace) -> scope


def _resource(
    staged: Staged,
    check_type: str,
    file: str,
    line: int,
    name: str,
    tags: dict[str, str],
    scope: ScopeConfig,
    namespace_scope: tuple[str, str, str | None] | None = None,
) -> dict[str, Any]:
    cde, reason, tenant = namespace_scope or _scope(tags, scope)
    return {
        "uid": f"iac://{file}#{name}" if name else f"iac://{file}",
        "type": f"iac.{check_type}",
        "name": name or file,
        "account": "",
        "region": _namespace(check_type, name),
        "tags": tags,
        "scope": cde,
        "scope_reason": reason,
        "tenant": tenant,
        "location": {"file": display_path(staged.root, file), "line": max(line, 1)},
        "source": [f"file:{display_path(staged.root, file)}:{max(line, 1)}"],
    }


def _skips_for(markers: list[SkipMarker], staged_rel: str, lines: tuple[int, int], check_id: str) -> list[str]:
    """The suppressions written inside this record's lines that name its check (or name none)."""
    start, end = lines
    return [
        m.comment
        for m in markers
        if m.staged == staged_rel and start <= m.staged_line <= end and (not m.ids or check_id in m.ids)
    ]


def convert(
    run: CheckovRun,
    staged: Staged,
    mapping: CheckovMapping,
    scope: ScopeConfig,
    namespaces: NamespaceScopes | None = None,
) -> Converted:
    """Checkov's reports as results; `namespaces` gives Kubernetes objects the scope of the namespace
    they are declared in, as pcicheck's own controls see it."""
    out = Converted()
    best: dict[tuple[str, str], Result] = {}

    def add(result: Result) -> None:
        result = redacted(result)  # before keying: the uid kept is the redacted one
        key = (result.control.id, str(result.resource["uid"]))
        held = best.get(key)
        if held is None or _RANK[result.status] > _RANK[held.status]:  # one verdict per pair: the worst
            best[key] = result

    for report in run.reports:
        check_type = str(report.get("check_type", ""))
        results = report["results"]
        for bucket, status in (
            ("failed_checks", Status.FAIL),
            ("passed_checks", Status.PASS),
            ("skipped_checks", None),
        ):
            for record in results.get(bucket) or []:
                result = _record_result(record, check_type, status, staged, mapping, scope, namespaces or {}, out)
                if result is not None:
                    add(result)
        for path in results.get("parsing_errors") or []:
            rel = staged.staged_rel(str(path))
            origin = staged.origins.get(rel)
            file, line = origin.locate(1) if origin else (rel, 1)
            add(
                problem_result(
                    staged,
                    mapping.guard,
                    SourceProblem(
                        file, line, f"Checkov ({check_type}) could not parse it: its checks were not evaluated"
                    ),
                    scope,
                )
            )
    for problem in staged.problems:
        add(problem_result(staged, mapping.guard, problem, scope))
    if run.failure:
        add(
            problem_result(
                staged,
                mapping.guard,
                SourceProblem("", 1, f"{run.failure}: no Checkov result can be trusted for this path"),
                scope,
            )
        )
    out.results = sorted(best.values(), key=lambda r: (r.control.id, str(r.resource["uid"])))
    return out


def problem_result(staged: Staged, guard: Control, problem: SourceProblem, scope: ScopeConfig) -> Result:
    resource = _resource(staged, "file", problem.file, problem.line, "", {}, scope)
    return redacted(Result(guard, resource, Status.ERROR, problem.message, {"file": resource["location"]["file"]}))


@dataclass(frozen=True)
class _Place:
    """Where a Checkov record points: the staged file and lines, and the original file and line."""

    rel: str  # the staged file, relative to the staging directory
    origin: Origin | None
    lines: tuple[int, int]  # first and last line in the staged file
    file: str  # the original file, relative to the scan root
    line: int


def _place(record: dict[str, Any], staged: Staged) -> _Place:
    rel = staged.staged_rel(str(record.get("file_path") or ""))
    origin = staged.origins.get(rel)
    lines_raw = record.get("file_line_range") or [1, 1]
    lines = (int(lines_raw[0]), int(lines_raw[-1]))
    file, line = origin.locate(lines[0]) if origin else (rel, lines[0])
    return _Place(rel, origin, lines, file, line)


def _unmapped(
    unmapped: Unmapped,
    record: dict[str, Any],
    check_type: str,
    status: Status | None,
    staged: Staged,
    place: _Place,
    excluded: dict[str, str],
) -> None:
    """A record of a check with no mapping: passes are counted, anything else is kept as a finding that
    points into the original file, as a mapped result would."""
    if status == Status.PASS:
        unmapped.passed += 1
        return
    if _unknown(record):
        unmapped.unknown += 1  # undecided on a check that judges no requirement: counted, not a failure
        return
    unmapped.fail(
        UnmappedFinding(
            check=redact_text(str(record.get("check_id", ""))),
            file=redact_text(display_path(staged.root, place.file)),
            line=max(place.line, 1),
            resource=redact_text(_record_name(record, check_type, place.line)),
            title=redact_text(str(record.get("check_name") or "")),
            check_type=check_type,
            skipped=status is None,
            excluded_because=excluded.get(str(record.get("check_id", "")), ""),
        )
    )


def _unknown(record: dict[str, Any]) -> bool:
    """A verdict Checkov could not reach, kept by checkov_shim.py as a record skipped with its mark."""
    check_result = record.get("check_result") or {}
    return isinstance(check_result, dict) and check_result.get("suppress_comment") == UNKNOWN_MARK


# An expression whose value is not in the source: a Terraform reference or interpolation, or a CloudFormation
# intrinsic function (long and short form).
_UNRESOLVED = re.compile(
    r"\b(?:var|local|module|data)\.[A-Za-z_]|\$\{|\bRef\s*:|\bFn::|!(?:Ref|GetAtt|Sub|If|Select|ImportValue|FindInMap|Join)\b"
)


def _unresolved_value(record: dict[str, Any]) -> bool:
    """Whether an UNKNOWN verdict is Checkov failing to read a value (an `error`), not Checkov finding nothing
    to judge: Checkov also answers UNKNOWN when the attribute is absent (a bucket with no inline policy, an
    engine without a version), and those stay out of the results as Checkov leaves them.

    The evaluated attributes' own lines are read from the record's code block only to find an unresolved
    expression; nothing of the code block is kept."""
    keys = {
        part
        for k in ((record.get("check_result") or {}).get("evaluated_keys") or [])
        for part in [next((p for p in reversed(str(k).split("/")) if p and not p.startswith("[")), "")]
        if part
    }
    for entry in record.get("code_block") or []:
        text = str(entry[1]) if isinstance(entry, list | tuple) and len(entry) > 1 else ""
        if not _UNRESOLVED.search(text):
            continue
        key = re.match(r"\s*-?\s*['\"]?([A-Za-z0-9_]+)['\"]?\s*[=:]", text)
        if key is not None and key.group(1) in keys:
            return True
    # No evaluated attribute named (Checkov's Python checks answer UNKNOWN for a record they do not apply to,
    # such as an egress rule under an ingress check): nothing is known to have been read, so nothing to report.
    return False


def _record_name(record: dict[str, Any], check_type: str, line: int) -> str:
    """Checkov's resource address; for a secret, Checkov names it by a hash of the secret's value, which
    is kept out of every output: the secret is named by its kind and line instead."""
    if check_type == "secrets":
        return f"{record.get('check_name') or 'secret'} (line {max(line, 1)})"
    return str(record.get("resource") or "")


def _record_result(
    record: dict[str, Any],
    check_type: str,
    status: Status | None,
    staged: Staged,
    mapping: CheckovMapping,
    scope: ScopeConfig,
    namespaces: NamespaceScopes,
    out: Converted,
) -> Result | None:
    check_id = str(record.get("check_id", ""))
    control = mapping.checks.get(check_id)
    if status is None and _unknown(record) and not _unresolved_value(record):
        out.unknown_not_applicable += 1  # nothing to judge (see _unresolved_value): as Checkov leaves it
        return None
    place = _place(record, staged)
    if control is None:
        _unmapped(out.unmapped, record, check_type, status, staged, place, mapping.excluded)
        return None
    origin = place.origin
    name = _record_name(record, check_type, place.line)
    tags = _tags(record.get("entity_tags"))
    in_namespace = namespaces.get((place.rel, _namespace(check_type, name)))
    resource = _resource(staged, check_type, place.file, place.line, name, tags, scope, in_namespace)
    check_result = record.get("check_result") or {}
    evaluated = [str(k) for k in (check_result.get("evaluated_keys") or [])]
    evidence: dict[str, Any] = {
        "checkov_check": check_id,
        "checkov_check_name": str(record.get("check_name") or ""),
        "framework": check_type,
        "evaluated_keys": evaluated,
        "lines": list(place.lines) if origin is None or origin.rendered_by is None else None,
    }
    if origin is not None and origin.rendered_by:
        evidence["rendered_by"] = origin.rendered_by
    skips = _skips_for(staged.markers, place.rel, place.lines, check_id)
    if skips:
        evidence["inline_skip"] = "; ".join(skips)
    evidence = {k: v for k, v in evidence.items() if v is not None}
    if status is None and _unknown(record):
        return Result(
            control,
            resource,
            Status.ERROR,
            f"Checkov could not decide {check_id} on {name or place.file}: a value the check needs is not known "
            "from the source (an unresolved variable, reference or function), so it was not evaluated",
            evidence,
        )
    if status is None:
        comment = str(check_result.get("suppress_comment") or "")
        return Result(
            control,
            resource,
            Status.ERROR,
            f"Checkov skipped this check ({comment or 'no reason given'}) through a suppression pcicheck did not "
            "recognise, so it was not evaluated",
            evidence,
        )
    suffix = (
        " (an inline checkov:skip asked to suppress this; pcicheck ignores inline suppressions)"
        if skips and status == Status.FAIL
        else ""
    )
    keys = _key_policy_of(record, check_id, staged, place) if status == Status.FAIL else None
    if keys:
        evidence["key_policy_of"] = keys
        return Result(
            control,
            resource,
            Status.NOT_APPLICABLE,
            f'not applicable: {name} is used only as the key policy of {", ".join(keys)}, where Resource "*" '
            f"means that key; {check_id} reads it as every resource",
            evidence,
        )
    verdict = "met" if status == Status.PASS else "not met"
    return Result(control, resource, status, f"{verdict}: {control.title}{suffix}", evidence)


def _key_policy_of(record: dict[str, Any], check_id: str, staged: Staged, place: _Place) -> list[str] | None:
    """The KMS keys checkov_shim.py found a policy document to be the key policy of, and of nothing else
    (CKV_AWS_109/111/356 misjudge "*" there); None unless every Terraform file of its module was staged
    for Checkov unchanged in number, so the shim read every use of it."""
    keys = (record.get("check_result") or {}).get(KEY_POLICY_MARK)
    if check_id not in KEY_POLICY_CHECKS or not isinstance(keys, list) or not keys:
        return None
    module = PurePosixPath(place.file).parent
    original, copy = staged.root / module, staged.stage / PurePosixPath(place.rel).parent

    def terraform_files(directory: Path) -> set[str] | None:
        try:
            return {n for n in os.listdir(directory) if n.endswith((".tf", ".tf.json"))}
        except OSError:
            return None

    found = terraform_files(original)
    if found is None or found != terraform_files(copy):
        return None
    if any(PurePosixPath(p.file).parent == module for p in staged.problems):
        return None  # a file of the module could not be staged: a use of the document may be there
    return [str(k) for k in keys[:10]]

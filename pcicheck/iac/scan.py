"""`pcicheck iac PATH`: Terraform, CloudFormation, Kubernetes, Helm and Kustomize sources staged and
rendered, judged by Checkov under pcicheck's PCI DSS mapping; the Kubernetes objects among them are read
by pcicheck's manifest reader so its own controls judge them too. The outcome is a snapshot (what was
scanned, and those objects) plus Checkov's verdicts as external results, for the same evaluation,
outputs and exit codes as a live scan."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcicheck import __version__
from pcicheck.collect.k8s.manifests import manifest_snapshot
from pcicheck.config import ScopeConfig
from pcicheck.errors import InputError
from pcicheck.iac.checkov_env import CheckovTool
from pcicheck.iac.launch import Launched
from pcicheck.iac.mapping import CheckovMapping, load_mapping
from pcicheck.iac.results import Converted, convert, display_path, problem_result
from pcicheck.iac.runner import CheckovRun
from pcicheck.iac.sources import SourceProblem, Staged
from pcicheck.iac.unmapped import unmapped_line
from pcicheck.model import Control, ExternalResults, Result, Snapshot, Status
from pcicheck.redact import redact_snapshot
from pcicheck.snapshot import merge


def _manifest_snapshot(staged: Staged, guard: Control, scope: ScopeConfig) -> tuple[Snapshot | None, list[Result]]:
    """The Kubernetes objects under PATH read by pcicheck's manifest reader, one deploy unit (directory,
    chart or Kustomization) at a time, with every source pointing back at the original files."""

    parts: list[Snapshot] = []
    problems: list[Result] = []
    for unit, files in sorted(staged.manifests.items()):
        try:
            snap, _read = manifest_snapshot(files, cluster=unit)
        except InputError as exc:
            rel = staged.staged_rel(exc.path) if exc.path else ""
            origin = staged.origins.get(rel)
            file, line = origin.locate(exc.line or 1) if origin else (rel, exc.line or 1)
            problem = SourceProblem(file, line, f"pcicheck's manifest reader could not read it: {exc.message}")
            problems.append(problem_result(staged, guard, problem, scope))
            continue
        parts.append(snap)
    if not parts:
        return None, problems

    def where(source: str) -> str:
        if not source.startswith("file:"):
            return source
        path, _, line = source[5:].rpartition(":")
        rel = staged.staged_rel(path)
        origin = staged.origins.get(rel)
        if origin is None:
            return source
        file, number = origin.locate(int(line) if line.isdigit() else 1)
        return f"file:{display_path(staged.root, file)}:{number}"

    merged = merge(parts)
    resources = tuple(dataclasses.replace(r, source=tuple(where(s) for s in r.source)) for r in merged.resources)
    read_files = sorted(
        {
            display_path(staged.root, staged.origins[staged.staged_rel(f)].file)
            for fs in staged.manifests.values()
            for f in fs
        }
    )
    skipped: dict[str, int] = {}
    for p in parts:
        for kind, n in p.request["manifests"]["skipped_kinds"].items():
            skipped[kind] = skipped.get(kind, 0) + n
    request = {"paths": [display_path(staged.root, "")], "files": read_files, "skipped_kinds": skipped}
    return dataclasses.replace(merged, resources=resources, request={"manifests": request}), problems


def _namespace_scopes(
    staged: Staged, k8s: Snapshot | None, scope: ScopeConfig
) -> dict[tuple[str, str], tuple[str, str, str | None]]:
    """(staged file, namespace) -> (scope, reason, tenant) for the namespaces a deploy unit declares, so a
    Checkov finding on a Deployment in a CDE namespace is in CDE scope as pcicheck's own results are."""
    if k8s is None:
        return {}
    out: dict[tuple[str, str], tuple[str, str, str | None]] = {}
    for r in k8s.resources:
        if r.type != "k8s.namespace":
            continue
        labels = r.tags
        name = labels.get("kubernetes.io/metadata.name", r.name)
        tenant = labels.get(scope.tenant_tag)
        if labels.get(scope.cde_tag) == scope.cde_value:
            verdict = ("cde", f"namespace {name} (label {scope.cde_tag}={scope.cde_value})", tenant)
        elif tenant is not None:
            verdict = ("non-cde", "", tenant)
        else:
            continue
        for f in staged.manifests.get(r.account, []):
            out[(staged.staged_rel(f), name)] = verdict
    return out


def _iac_request(
    path: Path,
    staged: Staged,
    tool: CheckovTool | None,
    run: CheckovRun,
    mapping: CheckovMapping,
    converted: Converted,
) -> dict[str, Any]:
    """What the IaC scan looked at and with which Checkov, for the snapshot's request (and so the results
    document and the evidence pack)."""

    return {
        "paths": [display_path(staged.root, "") if path.is_dir() else display_path(staged.root, path.name)],
        "checkov": {
            "path": tool.path,
            "version": run.version or "unknown",
            "source": tool.source,
            # Checkov drops the verdicts it cannot reach; checkov_shim.py keeps them (as `error` results).
            "unknown_verdicts": "reported as error"
            if run.unknown_kept
            else "not observable: this checkov is not a Python script pcicheck can start under its shim",
        }
        if tool
        else None,
        "mapping": {"file": "controls/checkov/mapping.yaml", "reviewed_with": mapping.checkov_version},
        "files": staged.files,
        "renderers": staged.renderers,
        "inline_suppressions": {
            "policy": "ignored: every check is evaluated; each suppression is reported as evidence inline_skip",
            "found": [
                {"file": display_path(staged.root, m.file), "line": m.line, "checks": list(m.ids), "comment": m.comment}
                for m in staged.markers
            ],
        },
        "unmapped": converted.unmapped.request(),
        "unknown_verdicts_on_absent_attributes": converted.unknown_not_applicable,
    }


def scan_iac(launched: Launched, scope: ScopeConfig, say: Callable[[str], None]) -> tuple[Snapshot, ExternalResults]:
    """The rest of the scan launch.py began: the mapping and the Kubernetes objects read while Checkov
    runs, then its verdicts converted. The snapshot (Kubernetes objects for pcicheck's own controls, and
    what was scanned) plus Checkov's verdicts as external results."""
    mapping = load_mapping()
    staged = launched.staged
    k8s, k8s_problems = _manifest_snapshot(staged, mapping.guard, scope)
    tool, run = launched.checkov()
    converted = convert(run, staged, mapping, scope, _namespace_scopes(staged, k8s, scope))
    path = launched.path
    if tool is not None:
        say(f"Checkov {run.version or 'unknown'} ({tool.source}: {tool.path}), {run.seconds:.1f} s")
    if converted.unmapped.failed:
        say(unmapped_line(converted.unmapped))
    if staged.markers:
        say(f"{len(staged.markers)} inline Checkov suppressions ignored: each check was evaluated anyway")
    results = (*converted.results, *k8s_problems)
    errors = sum(1 for r in results if r.status == Status.ERROR)
    if errors:
        say(f"{errors} sources or checks could not be evaluated (status error: the scan is incomplete)")
    snapshot = Snapshot(
        tool_version=__version__,
        created_at=k8s.created_at if k8s else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        request={
            "providers": ["iac", *(["manifests"] if k8s else [])],
            "iac": _iac_request(path, staged, tool, run, mapping, converted),
            **(k8s.request if k8s else {}),
        },
        identity={
            "iac": {"checkov": f"{run.version or 'unknown'} ({tool.source})" if tool else "not run"},
            **({"manifests": {"cluster": ", ".join(sorted(staged.manifests))}} if k8s else {}),
        },
        resources=k8s.resources if k8s else (),
        errors=(),
        calls={},
    )
    # Redacted like a collected snapshot: the request quotes file names and suppression comments.
    return redact_snapshot(snapshot), ExternalResults(controls=mapping.controls(), results=results)

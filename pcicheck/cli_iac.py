"""`pcicheck iac PATH`: Terraform, CloudFormation, Kubernetes, Helm and Kustomize sources judged by
Checkov under pcicheck's PCI DSS mapping, and Kubernetes manifests also by pcicheck's own controls,
all through the same results document, evidence pack and exit codes as a live scan."""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pcicheck import __version__
from pcicheck.cli import (
    EXIT_CODES_HELP,
    BaselineOpt,
    ConfigOpt,
    ControlsOpt,
    FailOnOpt,
    FormatOpt,
    Framework,
    FrameworkOpt,
    IncompleteOpt,
    OutputFormat,
    OutputOpt,
    PackOpt,
    QuietOpt,
    Report,
    SignKeyOpt,
    WaiversOpt,
    ZipOpt,
    _evaluate_and_report,
    _load_baseline,
    _load_rules,
)
from pcicheck.errors import InputError
from pcicheck.model import Control, Result, Severity, Snapshot, Status

if TYPE_CHECKING:  # the pipeline pulls in the CEL engine: keep `pcicheck --help` instant
    from pcicheck.config import ScopeConfig
    from pcicheck.iac.checkov_env import CheckovTool
    from pcicheck.iac.mapping import CheckovMapping
    from pcicheck.iac.results import Converted
    from pcicheck.iac.runner import CheckovRun
    from pcicheck.iac.sources import Staged
    from pcicheck.model import ExternalResults

CheckovOpt = Annotated[
    Path | None,
    typer.Option(
        "--checkov",
        envvar="PCICHECK_CHECKOV",
        help="The checkov program to run (default: pcicheck's own install in its cache, else `checkov` on PATH, "
        "else installed into the cache on first use).",
    ),
]


def _manifest_snapshot(staged: Staged, guard: Control, scope: ScopeConfig) -> tuple[Snapshot | None, list[Result]]:
    """The Kubernetes objects under PATH read by pcicheck's manifest reader, one deploy unit (directory,
    chart or Kustomization) at a time, with every source pointing back at the original files."""
    from pcicheck.collect.k8s.manifests import manifest_snapshot
    from pcicheck.iac.results import display_path, problem_result
    from pcicheck.iac.sources import SourceProblem
    from pcicheck.snapshot import merge

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
    files = sorted(
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
    request = {"paths": [display_path(staged.root, "")], "files": files, "skipped_kinds": skipped}
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
    from pcicheck.iac.results import display_path

    return {
        "paths": [display_path(staged.root, "") if path.is_dir() else display_path(staged.root, path.name)],
        "checkov": {"path": tool.path, "version": run.version or "unknown", "source": tool.source} if tool else None,
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
        "unmapped": {
            "failed": dict(sorted(converted.unmapped_failed.items())),
            "passed": converted.unmapped_passed,
        },
    }


def scan_iac(
    path: Path,
    checkov: Path | None,
    scope: ScopeConfig,
    say: Callable[[str], None],
    announce: Callable[[str], None],
) -> tuple[Snapshot, ExternalResults]:
    """Stage, render, run Checkov, and read the Kubernetes objects: the snapshot (Kubernetes objects for
    pcicheck's own controls, and what was scanned) plus Checkov's verdicts as external results."""
    from pcicheck.iac.checkov_env import find_checkov
    from pcicheck.iac.mapping import load_mapping, policies_dir
    from pcicheck.iac.results import convert
    from pcicheck.iac.runner import CheckovRun, run_checkov
    from pcicheck.iac.sources import stage_sources
    from pcicheck.model import ExternalResults

    if not path.exists():
        raise InputError("no such file or directory", path=str(path), fix="pass the directory of IaC sources")
    mapping = load_mapping()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="pcicheck-iac-") as tmp:
        staged = stage_sources(path.resolve(), Path(tmp), env)
        if staged.files == 0 and not staged.problems:
            raise InputError(
                "nothing to scan: no Terraform, CloudFormation, Kubernetes, Helm or Kustomize sources",
                path=str(path),
                fix="pass the directory that holds them",
            )
        tool = None
        run = CheckovRun((), None, None, 0.0)
        if staged.files:
            tool = find_checkov(checkov, env, announce)
            run = run_checkov(tool, staged.stage, policies_dir(), env)
        k8s, k8s_problems = _manifest_snapshot(staged, mapping.guard, scope)
        converted = convert(run, staged, mapping, scope, _namespace_scopes(staged, k8s, scope))
    if tool is not None:
        say(f"Checkov {run.version or 'unknown'} ({tool.source}: {tool.path}), {run.seconds:.1f} s")
    if converted.unmapped_failed:
        failed = converted.unmapped_failed
        say(
            f"{sum(failed.values())} failures of {len(failed)} Checkov checks with no PCI DSS mapping were not "
            "reported (counted under snapshot.request.iac.unmapped)"
        )
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
    return snapshot, ExternalResults(controls=mapping.controls(), results=results)


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXIT_CODES_HELP)
    def iac(
        path: Annotated[
            Path,
            typer.Argument(
                help="A directory (or file) of Terraform, CloudFormation, Kubernetes, Helm or Kustomize sources."
            ),
        ],
        framework: FrameworkOpt = Framework.v321,
        fail_on: FailOnOpt = Severity.LOW,
        output_format: FormatOpt = OutputFormat.console,
        output: OutputOpt = None,
        pack: PackOpt = None,
        as_zip: ZipOpt = False,
        sign_key: SignKeyOpt = None,
        waivers: WaiversOpt = None,
        baseline: BaselineOpt = None,
        allow_incomplete: IncompleteOpt = False,
        controls: ControlsOpt = None,
        config: ConfigOpt = None,
        quiet: QuietOpt = False,
        checkov: CheckovOpt = None,
    ) -> None:
        """Scan infrastructure as code with Checkov, mapped to PCI DSS; Kubernetes manifests are also judged
        by pcicheck's own controls. Inline checkov:skip suppressions are ignored (reported as evidence)."""
        rules = _load_rules(controls, config, waivers)
        previous = _load_baseline(baseline)

        def announce(line: str) -> None:  # plain and unwrapped: paths stay greppable in CI logs
            sys.stderr.write(line + "\n")

        def say(line: str) -> None:
            if not quiet:
                announce(line)

        # A first-use install takes a minute: announced even with --quiet, or a CI log just stalls.
        snapshot, external = scan_iac(path, checkov, rules[1].scope, say, announce)
        raise typer.Exit(
            _evaluate_and_report(
                snapshot,
                rules,
                Report(framework, fail_on, output_format, output, quiet, pack, as_zip, sign_key, allow_incomplete),
                external=external,
                baseline=previous,
            )
        )

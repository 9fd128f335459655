"""The command line. Thin: parse options, call the pipeline, choose the exit code.

Exit codes: 0 clean; 1 findings at or above --fail-on; 2 invalid input or usage;
3 scan incomplete (errors, and no finding at or above --fail-on).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.exceptions import TyperException

from pcicheck import __version__
from pcicheck.errors import ExitCode, InputError, PcicheckError
from pcicheck.model import DOMAINS, Severity

EXIT_CODES_HELP = (
    "Exit codes: 0 clean; 1 a failed control at or above --fail-on; 2 invalid input or usage; "
    "3 scan incomplete (something could not be read or evaluated, and no finding reached --fail-on)."
)

app = typer.Typer(
    name="pcicheck",
    help="Prove or disprove that a cloud payments platform meets PCI DSS, with evidence an auditor can accept.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
controls_app = typer.Typer(help="List, show, validate and test controls.", no_args_is_help=True)
app.add_typer(controls_app, name="controls")
waivers_app = typer.Typer(help="Check waiver files.", no_args_is_help=True)
app.add_typer(waivers_app, name="waivers")
segmentation_app = typer.Typer(help="Segmentation: which flows NetworkPolicies allow.", no_args_is_help=True)
app.add_typer(segmentation_app, name="segmentation")


class Framework(StrEnum):
    v321 = "pci-dss-3.2.1"
    v401 = "pci-dss-4.0.1"


class OutputFormat(StrEnum):
    console = "console"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    csv = "csv"
    markdown = "markdown"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def _say(line: str) -> None:
    """One plain line on stderr: never wrapped, never markup (file:line problems must stay greppable)."""
    sys.stderr.write(" ".join(line.split()) + "\n")


def _say_error(message: str) -> None:
    _say(f"pcicheck: error: {message}")


def _stdout() -> Console:
    from pcicheck.report.console import make_console

    return make_console(stderr=False)


def _stderr(quiet: bool = False) -> Console:
    from pcicheck.report.console import make_console

    return make_console(quiet=quiet)


# --- shared options ---------------------------------------------------------------------------

FrameworkOpt = Annotated[Framework, typer.Option("--framework", help="Requirement tree to report against.")]
FailOnOpt = Annotated[
    Severity, typer.Option("--fail-on", help="Exit 1 when a control of this severity or higher fails.")
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="console: summary on stderr only; json (results document), sarif, junit, csv (findings) or markdown "
        "(summary): raw on stdout, or to --output.",
    ),
]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the --format output here.")]
PackOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write the evidence pack here: index.html, results.json, SARIF, JUnit, CSV, summary.md, "
        "snapshot and manifest.json.",
    ),
]
ZipOpt = Annotated[bool, typer.Option("--zip", help="Write the evidence pack as one zip (OUT.zip).")]
WaiversOpt = Annotated[
    Path | None,
    typer.Option(
        "--waivers", help="YAML file of waivers (accepted risk with approver and expiry), added to pcicheck.yaml's."
    ),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option("--baseline", help="A previous results.json: the gate then fails only on findings new since it."),
]
IncompleteOpt = Annotated[
    bool,
    typer.Option(
        "--allow-incomplete/--fail-on-error",
        help="Exit 0 instead of 3 when something could not be read or evaluated (default: fail, exit 3).",
    ),
]
SignKeyOpt = Annotated[
    Path | None, typer.Option("--sign-key", help="Sign the pack's manifest with this Ed25519 private key (PEM).")
]
ControlsOpt = Annotated[
    list[Path] | None, typer.Option("--controls", help="Add a directory of your own controls (repeatable).")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="pcicheck.yaml with scope and params (default: ./pcicheck.yaml)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No summary or progress on stderr.")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS named profile (default: standard chain).")]
RoleArnOpt = Annotated[
    str | None,
    typer.Option("--role-arn", help="Assume this role first (with --accounts/--org-role: the hub role)."),
]
ExternalIdOpt = Annotated[str | None, typer.Option("--external-id", help="External id for --role-arn.")]
SessionNameOpt = Annotated[
    str | None, typer.Option("--session-name", help="Role session name (default: pcicheck), seen in CloudTrail.")
]
AccountsOpt = Annotated[
    Path | None,
    typer.Option("--accounts", help="YAML list of accounts: role ARNs, or {account, role, external_id}."),
]
OrgRoleOpt = Annotated[
    str | None,
    typer.Option("--org-role", help="Scan every AWS Organizations account, assuming this role name in each."),
]
MaxAccountsOpt = Annotated[
    int, typer.Option("--max-accounts-parallel", min=1, help="Accounts collected at the same time.")
]
ManifestsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--manifests",
        help="Kubernetes manifests: a file or folder (YAML, multi-document, kind: List, rendered Helm). Repeatable.",
    ),
]
K8sOpt = Annotated[
    bool, typer.Option("--k8s", help="Collect from a live Kubernetes cluster (kubeconfig, or in-cluster).")
]
KubeconfigOpt = Annotated[str | None, typer.Option("--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG).")]
ContextOpt = Annotated[str | None, typer.Option("--context", help="Kubeconfig context (default: the current one).")]
RegionsOpt = Annotated[
    str | None,
    typer.Option("--regions", help="Comma-separated, e.g. eu-west-2,us-east-1 (default: all enabled)."),
]


def _regions(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    regions = tuple(r.strip() for r in value.split(",") if r.strip())
    for r in regions:
        if not r.replace("-", "").isalnum() or r.count("-") < 2:
            raise InputError(f"--regions: {r!r} is not a region name", fix="e.g. --regions eu-west-2,us-east-1")
    if not regions:
        raise InputError("--regions is empty", fix="e.g. --regions eu-west-2,us-east-1")
    return regions


def _collect(profile: str | None, regions: str | None, quiet: bool, accounts: Any = None, services: Any = None) -> Any:
    import functools
    import threading

    from pcicheck.collect.aws.accounts import AccountSelection, collect_selected

    selection = accounts or AccountSelection()
    run = functools.partial(collect_selected, selection, profile=profile, regions=_regions(regions), services=services)
    console = _stderr(quiet)
    if quiet or not console.is_terminal:
        return run()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("AWS {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[found]} resources"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        # One row per service; with many accounts a row sums that service's regions over accounts.
        rows: dict[str, Any] = {}
        totals: dict[str, dict[str, int]] = {}
        lock = threading.Lock()

        def hook(event: Any) -> None:
            with lock:
                if event.service not in rows:
                    rows[event.service] = progress.add_task(Text(event.service).plain, total=None, found=0)
                totals.setdefault(event.service, {})[event.account] = event.total
                row = rows[event.service]
                progress.update(row, total=sum(totals[event.service].values()), advance=1 if event.done else 0)
                found = progress.tasks[progress.task_ids.index(row)].fields["found"] + event.resources
                progress.update(row, found=found)

        return run(progress=hook)


def _accounts(
    role_arn: str | None,
    external_id: str | None,
    session_name: str | None,
    accounts_file: Path | None,
    org_role: str | None,
    max_parallel: int,
) -> Any:
    from pcicheck.collect.aws.accounts import AccountSelection

    return AccountSelection(
        role_arn=role_arn,
        external_id=external_id,
        session_name=session_name,
        accounts_file=accounts_file,
        org_role=org_role,
        max_parallel=max_parallel,
    )


def _planned_services(catalog: Any) -> tuple[str, ...]:
    """The AWS collectors the loaded controls need (a scan reads nothing no control judges)."""
    from pcicheck.collect.aws.plan import plan_collection
    from pcicheck.collect.aws.runner import service_specs

    return plan_collection(catalog.controls, service_specs()).services


def _gather(
    aws: bool,
    manifests: list[Path] | None,
    profile: str | None,
    regions: str | None,
    quiet: bool,
    *,
    k8s: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
    accounts: Any = None,
    services: Any = None,
) -> Any:
    """Everything asked for, as one snapshot. Manifests are read first: a bad file fails in a second.
    `accounts` is an AccountSelection (default: the caller's account); `services` the planned AWS
    collectors (default: all)."""
    from pcicheck.snapshot import merge

    parts = []
    if manifests:
        from pcicheck.collect.k8s.manifests import manifest_snapshot

        snap, read = manifest_snapshot(list(manifests))
        if read.skipped_kinds:
            skipped = ", ".join(f"{kind} ({n})" for kind, n in sorted(read.skipped_kinds.items()))
            _stderr(quiet).print(Text(f"manifests: not evaluated, kinds pcicheck does not know: {skipped}"))
        parts.append(snap)
    if k8s:
        from pcicheck.collect.k8s.live import K8sOptions, collect_k8s

        parts.append(collect_k8s(K8sOptions(kubeconfig=kubeconfig, context=context)))
    if aws:
        parts.append(_collect(profile, regions, quiet, accounts, services))
    return merge(parts)


def _load_rules(controls: list[Path] | None, config: Path | None, waivers: Path | None = None) -> tuple[Any, Any]:
    """Catalog and config (with the waivers file's waivers added), loaded before any collection so a
    typo fails in a second, not after a scan."""
    import dataclasses

    from pcicheck.catalog import load_catalog
    from pcicheck.config import load_config
    from pcicheck.waivers import load_waivers

    cfg = load_config(config)
    if waivers is not None:
        cfg = dataclasses.replace(cfg, waivers=(*cfg.waivers, *load_waivers(waivers)))
    return load_catalog(controls or ()), cfg


def _load_baseline(path: Path | None) -> Any:
    """The findings of a previous results document, read before any collection."""
    if path is None:
        return None
    from pcicheck.evaluate.baseline import findings_of_document
    from pcicheck.report.pack import load_results

    return path, findings_of_document(load_results(path)[1])


@dataclass(frozen=True)
class Report:
    """What scan, evaluate and iac were asked to write and how to gate: the options they share."""

    framework: Framework
    fail_on: Severity
    output_format: OutputFormat
    output: Path | None
    quiet: bool
    pack: Path | None = None
    as_zip: bool = False
    sign_key: Path | None = None
    allow_incomplete: bool = False


def _evaluate_and_report(
    snapshot: Any, rules: tuple[Any, Any], report: Report, *, baseline: Any = None, external: Any = None
) -> ExitCode:
    from pcicheck.evaluate.evaluation import evaluate_snapshot
    from pcicheck.gate import exit_code
    from pcicheck.report import console as console_report
    from pcicheck.report import results_json

    catalog, cfg = rules
    ev = evaluate_snapshot(snapshot, catalog, cfg, report.framework.value, external)
    if baseline is not None:
        import dataclasses

        from pcicheck.evaluate.baseline import diff, findings_of_results

        ev = dataclasses.replace(ev, baseline=diff(baseline[1], findings_of_results(ev.results), baseline[0]))
    console_report.render(ev, _stderr(report.quiet))
    fmt = (
        OutputFormat.json
        if report.output_format == OutputFormat.console and report.output is not None
        else report.output_format
    )
    if fmt == OutputFormat.json and report.pack is None:  # streamed: a 300,000-result document never sits in memory
        if report.output is None:
            results_json.write(ev, sys.stdout)
        else:
            report.output.parent.mkdir(parents=True, exist_ok=True)
            with report.output.open("w", encoding="utf-8") as fp:
                results_json.write(ev, fp)
            _stderr(report.quiet).print(Text(f"results written to {report.output}"))
    elif fmt != OutputFormat.console or report.pack is not None:
        raw = results_json.render(ev).encode()
        doc = json.loads(raw) if fmt != OutputFormat.json or report.pack is not None else {}
        if fmt != OutputFormat.console:
            data = raw if fmt == OutputFormat.json else _machine_format(fmt, doc)
            if report.output is None:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            else:
                report.output.parent.mkdir(parents=True, exist_ok=True)
                report.output.write_bytes(data)
                _stderr(report.quiet).print(Text(f"{fmt.value} written to {report.output}"))
        if report.pack is not None:
            from pcicheck.report.pack import write_pack
            from pcicheck.snapshot import snapshot_bytes

            written = write_pack(
                report.pack, raw, doc, snapshot_bytes(snapshot), sign_key=report.sign_key, as_zip=report.as_zip
            )
            _stderr(report.quiet).print(Text(f"evidence pack: {len(written.files)} files in {written.where}"))
    new_only = None
    if ev.baseline is not None:
        d = ev.baseline
        new_only = d.new_ids()
        err = _stderr(report.quiet)
        err.print(
            Text(
                f"baseline {d.old}: {len(d.new)} new, {len(d.fixed)} fixed, {len(d.unchanged)} unchanged "
                f"findings; the gate judges only the new ones"
            )
        )
        for f in d.new[:10]:
            waived = " (waived)" if f.status == "waived" else ""
            err.print(Text(f"  new: {f.severity} {f.control} {f.resource} [{f.id}]{waived}"))
    code = exit_code(
        ev.results, report.fail_on, len(snapshot.errors), new_only=new_only, allow_incomplete=report.allow_incomplete
    )
    _stderr(report.quiet).print(Text(f"exit {int(code)}: {_EXPLAIN[code]}"))
    return code


_EXPLAIN = {
    ExitCode.OK: "no failing control at or above --fail-on, nothing left unproven",
    ExitCode.FINDINGS: "a control at or above --fail-on failed",
    ExitCode.INCOMPLETE: "something could not be read or evaluated (see the errors above); no finding reached "
    "--fail-on",
}


def _machine_format(fmt: OutputFormat, doc: dict[str, Any]) -> bytes:
    """SARIF, JUnit, CSV or markdown of one results document: the same document every format uses."""
    import io

    buffer = io.StringIO()
    if fmt == OutputFormat.sarif:
        from pcicheck.report.sarif import sarif_document

        buffer.write(json.dumps(sarif_document(doc), indent=1, ensure_ascii=False) + "\n")
    elif fmt == OutputFormat.junit:
        from pcicheck.report.junit import write_junit

        write_junit(doc, buffer)
    elif fmt == OutputFormat.csv:
        from pcicheck.report.findings_csv import write_csv

        write_csv(doc, buffer)
    else:
        from pcicheck.report.summary_md import render_summary

        buffer.write(render_summary(doc))
    return buffer.getvalue().encode()


# --- commands ---------------------------------------------------------------------------------


@app.command(epilog=EXIT_CODES_HELP)
def scan(
    aws: Annotated[bool, typer.Option("--aws", help="Collect from AWS (boto3 standard credential chain).")] = False,
    manifests: ManifestsOpt = None,
    k8s: K8sOpt = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    profile: ProfileOpt = None,
    regions: RegionsOpt = None,
    role_arn: RoleArnOpt = None,
    external_id: ExternalIdOpt = None,
    session_name: SessionNameOpt = None,
    accounts_file: AccountsOpt = None,
    org_role: OrgRoleOpt = None,
    max_accounts_parallel: MaxAccountsOpt = 4,
    framework: FrameworkOpt = Framework.v321,
    fail_on: FailOnOpt = Severity.LOW,
    output_format: FormatOpt = OutputFormat.console,
    output: OutputOpt = None,
    snapshot_out: Annotated[
        Path | None, typer.Option("--snapshot", help="Also keep the raw snapshot (.json or .json.gz).")
    ] = None,
    pack: PackOpt = None,
    as_zip: ZipOpt = False,
    sign_key: SignKeyOpt = None,
    waivers: WaiversOpt = None,
    baseline: BaselineOpt = None,
    allow_incomplete: IncompleteOpt = False,
    controls: ControlsOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Collect and evaluate in one go."""
    if not (aws or k8s or manifests):
        raise InputError("nothing to scan", fix="pass --aws, --k8s and/or --manifests PATH")
    rules = _load_rules(controls, config, waivers)
    previous = _load_baseline(baseline)
    accounts = _accounts(role_arn, external_id, session_name, accounts_file, org_role, max_accounts_parallel)
    snap = _gather(
        aws,
        manifests,
        profile,
        regions,
        quiet,
        k8s=k8s,
        kubeconfig=kubeconfig,
        context=context,
        accounts=accounts,
        services=_planned_services(rules[0]) if aws else None,
    )
    if snapshot_out:
        from pcicheck.snapshot import write_snapshot

        write_snapshot(snap, snapshot_out)
    raise typer.Exit(
        _evaluate_and_report(
            snap,
            rules,
            Report(framework, fail_on, output_format, output, quiet, pack, as_zip, sign_key, allow_incomplete),
            baseline=previous,
        )
    )


@app.command(epilog=EXIT_CODES_HELP)
def collect(
    output: Annotated[Path, typer.Option("--output", "-o", help="Snapshot file (.json, or .json.gz to gzip).")],
    aws: Annotated[bool, typer.Option("--aws", help="Collect from AWS.")] = False,
    manifests: ManifestsOpt = None,
    k8s: K8sOpt = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    profile: ProfileOpt = None,
    regions: RegionsOpt = None,
    role_arn: RoleArnOpt = None,
    external_id: ExternalIdOpt = None,
    session_name: SessionNameOpt = None,
    accounts_file: AccountsOpt = None,
    org_role: OrgRoleOpt = None,
    max_accounts_parallel: MaxAccountsOpt = 4,
    quiet: QuietOpt = False,
) -> None:
    """Collect a snapshot to evaluate later (read-only API calls; every collector, for any controls)."""
    from pcicheck.snapshot import write_snapshot

    if not (aws or k8s or manifests):
        raise InputError("nothing to collect", fix="pass --aws, --k8s and/or --manifests PATH")
    accounts = _accounts(role_arn, external_id, session_name, accounts_file, org_role, max_accounts_parallel)
    snap = _gather(
        aws, manifests, profile, regions, quiet, k8s=k8s, kubeconfig=kubeconfig, context=context, accounts=accounts
    )
    write_snapshot(snap, output)
    _stderr(quiet).print(Text(f"{len(snap.resources)} resources, {len(snap.errors)} collection errors → {output}"))
    raise typer.Exit(ExitCode.INCOMPLETE if snap.errors else ExitCode.OK)


@app.command(epilog=EXIT_CODES_HELP)
def evaluate(
    snapshot: Annotated[Path, typer.Argument(help="A snapshot written by `pcicheck collect`.")],
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
) -> None:
    """Evaluate a saved snapshot (same snapshot, same results: `now` is the snapshot's time)."""
    from pcicheck.snapshot import read_snapshot

    rules = _load_rules(controls, config, waivers)
    previous = _load_baseline(baseline)
    snap = read_snapshot(snapshot)
    raise typer.Exit(
        _evaluate_and_report(
            snap,
            rules,
            Report(framework, fail_on, output_format, output, quiet, pack, as_zip, sign_key, allow_incomplete),
            baseline=previous,
        )
    )


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A results.json written by `pcicheck scan` or `evaluate`.")],
    pack: Annotated[Path, typer.Option("--out", help="Where to write the evidence pack.")],
    snapshot: Annotated[
        Path | None, typer.Option("--snapshot", help="The snapshot the results came from, to include in the pack.")
    ] = None,
    as_zip: ZipOpt = False,
    sign_key: SignKeyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the evidence pack from a saved results document (no new scan)."""
    from pcicheck.report.pack import load_results, write_pack
    from pcicheck.snapshot import read_snapshot

    raw, doc = load_results(results)
    snapshot_raw = None
    if snapshot is not None:
        read_snapshot(snapshot)  # a corrupt or foreign file fails here, not in the auditor's hands
        snapshot_raw = snapshot.read_bytes()
        if snapshot_raw[:2] != b"\x1f\x8b":
            import gzip

            snapshot_raw = gzip.compress(snapshot_raw, mtime=0)
    written = write_pack(pack, raw, doc, snapshot_raw, sign_key=sign_key, as_zip=as_zip)
    _stderr(quiet).print(Text(f"evidence pack: {len(written.files)} files in {written.where}"))


@waivers_app.command("validate")
def waivers_validate(
    files: Annotated[list[Path], typer.Argument(help="Waiver files (or a pcicheck.yaml with a waivers section).")],
    controls: ControlsOpt = None,
    warn_days: Annotated[int, typer.Option("--warn-days", help="Flag waivers expiring within this many days.")] = 30,
) -> None:
    """Check waiver files offline (fields, dates, known controls) and list which have expired or expire
    soon: exit 1 when one has expired, 2 when a file is invalid."""
    import datetime as dt

    from pcicheck.catalog import load_catalog
    from pcicheck.config import load_config
    from pcicheck.evaluate.waiving import check_controls
    from pcicheck.waivers import load_waivers

    known = {c.id for c in load_catalog(controls or ()).controls}
    today = dt.datetime.now(dt.UTC).date()
    expired = 0
    for path in files:
        waivers = load_config(path).waivers if path.name == "pcicheck.yaml" else load_waivers(path)
        check_controls(waivers, known)
        for w in waivers:
            if w.expires < today:
                expired += 1
                _say(f"{w.where}: waiver {w.id} expired on {w.expires}")
            elif (w.expires - today).days <= warn_days:
                _say(f"{w.where}: waiver {w.id} expires on {w.expires} ({(w.expires - today).days} days)")
        _say(f"{path}: {len(waivers)} waivers valid")
    raise typer.Exit(ExitCode.FINDINGS if expired else ExitCode.OK)


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command("diff")
def diff_results(
    old: Annotated[Path, typer.Argument(help="The earlier results.json.")],
    new: Annotated[Path, typer.Argument(help="The later results.json.")],
    output_format: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.table,
) -> None:
    """Findings new since OLD, fixed since OLD, and unchanged (matched by evidence id). Exits 1 when
    there is a new finding."""
    from pcicheck.evaluate.baseline import diff, findings_of_document, markdown
    from pcicheck.report.pack import load_results

    d = diff(findings_of_document(load_results(old)[1]), findings_of_document(load_results(new)[1]), old)
    if output_format == DiffFormat.json:
        sys.stdout.write(json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n")
    elif output_format == DiffFormat.markdown:
        sys.stdout.write(markdown(d))
    else:
        table = Table(
            title=f"{len(d.new)} new, {len(d.fixed)} fixed, {len(d.unchanged)} unchanged findings",
            title_justify="left",
        )
        for col in ("change", "severity", "control", "resource", "evidence id"):
            table.add_column(col, overflow="fold")
        for change, items, style in (("new", d.new, "red"), ("fixed", d.fixed, "green")):
            for f in items:
                table.add_row(Text(change, style=style), f.severity, Text(f.control), Text(f.resource), f.id)
        _stdout().print(table)
    raise typer.Exit(ExitCode.FINDINGS if d.new else ExitCode.OK)


@app.command()
def verify(
    pack: Annotated[Path, typer.Argument(help="An evidence pack: its directory or .zip.")],
    pub_key: Annotated[
        Path | None, typer.Option("--pub-key", help="Ed25519 public key (PEM) to check manifest.sig with.")
    ] = None,
) -> None:
    """Check every file of an evidence pack against its manifest (and the signature): exit 0 when
    nothing was changed, added or removed, 1 naming each file that was."""
    from pcicheck.report.integrity import verify as verify_pack

    result = verify_pack(pack, pub_key)
    for line in result.problems:
        _say(f"{pack}: {line}")
    for line in result.notes:
        _say(f"{pack}: {line}")
    if result.ok:
        _say(f"{pack}: {result.checked} files match manifest.json")
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where results.json and snapshot.json.gz go.")] = Path("out"),
    framework: FrameworkOpt = Framework.v321,
    quiet: QuietOpt = False,
) -> None:
    """Scan the built-in demo estate, served by a local AWS emulator (needs pcicheck[demo])."""
    from pcicheck.demo.run import run_demo

    run_demo(out, framework.value, quiet)


@app.command("iam-policy")
def iam_policy() -> None:
    """Print the IAM policy pcicheck needs for --aws: read-only configuration calls, no data, no secrets."""
    from pcicheck.collect.aws.policy import iam_policy_json

    sys.stdout.write(iam_policy_json())


@app.command("k8s-clusterrole")
def k8s_clusterrole() -> None:
    """Print the read-only ClusterRole the live Kubernetes collector needs (get/list only)."""
    from pcicheck.collect.k8s.rbac import cluster_role_yaml

    sys.stdout.write(cluster_role_yaml())


@app.command()
def version() -> None:
    """Print the version."""
    print(__version__)


# --- controls ---------------------------------------------------------------------------------


@controls_app.command("list")
def controls_list(
    domain: Annotated[str | None, typer.Option(help=f"One of: {', '.join(DOMAINS)}.")] = None,
    requirement: Annotated[
        str | None, typer.Option(help="A requirement id (e.g. 3.6.4); matches it and everything under it.")
    ] = None,
    resource: Annotated[str | None, typer.Option(help="A resource type, e.g. aws.kms.key.")] = None,
    framework: FrameworkOpt = Framework.v321,
    output_format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    controls: ControlsOpt = None,
) -> None:
    """List controls, optionally filtered."""
    from pcicheck.catalog import load_catalog

    if domain is not None and domain not in DOMAINS:
        raise InputError(f"--domain: unknown domain {domain!r}", fix=f"use one of: {', '.join(DOMAINS)}")
    catalog = load_catalog(controls or ())
    selected = [
        c
        for c in catalog.controls
        if (domain is None or c.domain == domain)
        and (resource is None or c.resource == resource)
        and (
            requirement is None
            or any(r == requirement or r.startswith(requirement + ".") for r in c.requirements[framework.value])
        )
    ]
    if output_format == ListFormat.json:
        sys.stdout.write(json.dumps([_control_summary(c) for c in selected], indent=2) + "\n")
        return
    table = Table(title=f"{len(selected)} controls", title_justify="left")
    for col in ("id", "severity", "domain", "resource", framework.value):
        table.add_column(col, overflow="fold")
    for c in selected:
        table.add_row(
            Text(c.id),
            c.severity.value,
            c.domain,
            Text(c.resource),
            Text(", ".join(c.requirements[framework.value])),
        )
    _stdout().print(table)


def _control_summary(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "domain": c.domain,
        "severity": c.severity.value,
        "resource": c.resource,
        "scope": c.scope,
        "requirements": {k: list(v) for k, v in c.requirements.items()},
        "path": c.path,
    }


@controls_app.command("coverage")
def controls_coverage(
    framework: FrameworkOpt = Framework.v401,
    output_format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    controls: ControlsOpt = None,
) -> None:
    """Count controls by domain and provider, and by principal PCI requirement; list the testable
    requirements no control maps to (what the auditor must test by other means)."""
    from pcicheck.catalog import load_catalog
    from pcicheck.catalog_coverage import PROVIDERS, catalog_coverage

    catalog = load_catalog(controls or ())
    coverage = catalog_coverage(catalog.controls, catalog.framework(framework.value))
    if output_format == ListFormat.json:
        sys.stdout.write(json.dumps(coverage.as_json(), indent=2) + "\n")
        return
    console = _stdout()
    by_domain = Table(title=f"{len(catalog.controls)} controls by domain", title_justify="left")
    for col in ("domain", *PROVIDERS, "total"):
        by_domain.add_column(col, justify="left" if col == "domain" else "right")
    for domain, counts in coverage.by_domain.items():
        by_domain.add_row(domain, *(str(counts[p]) for p in PROVIDERS), str(sum(counts.values())))
    console.print(by_domain)
    by_req = Table(title=f"{framework.value}: controls by principal requirement", title_justify="left")
    for col in ("req", "title", "controls", "testable requirements covered"):
        by_req.add_column(col, overflow="fold", justify="right" if col in ("controls", "req") else "left")
    for row in coverage.principals:
        by_req.add_row(row.id, Text(row.title), str(row.controls), f"{row.covered} of {row.testable}")
    console.print(by_req)
    console.print(
        Text(f"testable requirements with no control ({len(coverage.uncovered)}): {', '.join(coverage.uncovered)}")
    )


@controls_app.command("show")
def controls_show(
    control_id: Annotated[str, typer.Argument(metavar="ID")],
    controls: ControlsOpt = None,
) -> None:
    """Show one control in full."""
    from pcicheck.catalog import load_catalog

    c = load_catalog(controls or ()).control(control_id)
    console = _stdout()
    fields = [
        ("id", c.id),
        ("title", c.title),
        ("domain", c.domain),
        ("severity", c.severity.value),
        ("resource", c.resource),
        ("scope", c.scope),
        ("where", c.where),
        ("assert", c.assertion),
        ("params", json.dumps(c.params)),
        *((f"requirements {fw}", ", ".join(ids)) for fw, ids in c.requirements.items()),
        ("evidence", ", ".join(c.evidence)),
        ("rationale", c.rationale),
        ("remediation", c.remediation),
        ("tests", ", ".join(f"{t.name} → {t.expect.value}" for t in c.tests)),
        ("file", c.path),
    ]
    for key, value in fields:
        console.print(Text(f"{key}: ", style="bold") + Text(str(value)))


def _catalog_dirs(directory: Path | None) -> tuple[list[Path], bool]:
    """(directories, include the built-in catalog). A user dir is checked on its own."""
    return ([directory], False) if directory else ([], True)


def _checked_catalog(directory: Path | None) -> tuple[Any, list[Any]]:
    """Load a catalog (every problem printed as file:line, then exit 2) and run its embedded cases."""
    from pcicheck.catalog import CatalogInvalid, load_catalog
    from pcicheck.evaluate.controltests import run_control_tests

    dirs, builtin = _catalog_dirs(directory)
    try:
        catalog = load_catalog(dirs, builtin=builtin)
    except CatalogInvalid as exc:
        for p in exc.problems:
            _say(str(p))
        raise typer.Exit(ExitCode.INVALID) from None
    return catalog, run_control_tests(catalog.controls)


def _case_failure(o: Any) -> str:
    return (
        f"{o.control.path}:{o.case.line}: {o.control.id} / test {o.case.name!r} expected {o.case.expect.value}, "
        f"got {o.status.value} ({o.message})"
    )


@controls_app.command("validate")
def controls_validate(
    directory: Annotated[
        Path | None, typer.Argument(help="A directory of controls (default: the built-in catalog).")
    ] = None,
) -> None:
    """Check every control file and run its embedded tests; print each problem as file:line."""
    catalog, outcomes = _checked_catalog(directory)
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        _say(_case_failure(o))
    if failed:
        raise typer.Exit(ExitCode.INVALID)
    _say(f"{len(catalog.controls)} controls valid")
    if directory is None:
        from pcicheck.iac.mapping import load_mapping

        mapping = load_mapping()
        _say(f"{len(mapping.checks)} Checkov checks mapped to PCI DSS ({mapping.path})")


@controls_app.command("test")
def controls_test(
    directory: Annotated[
        Path | None, typer.Argument(help="A directory of controls (default: the built-in catalog).")
    ] = None,
) -> None:
    """Run each control's embedded pass/fail cases and count them."""
    catalog, outcomes = _checked_catalog(directory)
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        _say("FAIL " + _case_failure(o))
    _say(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed ({len(catalog.controls)} controls)")
    raise typer.Exit(ExitCode.INVALID if failed else ExitCode.OK)


SegSnapshotOpt = Annotated[
    Path | None, typer.Option("--snapshot", help="Analyse a snapshot written by `pcicheck collect` or `scan`.")
]
SegAwsOpt = Annotated[bool, typer.Option("--aws", help="Collect the AWS account's networks too.")]


def _segmentation_source(
    manifests: list[Path] | None,
    k8s: bool,
    kubeconfig: str | None,
    context: str | None,
    quiet: bool,
    *,
    snapshot: Path | None = None,
    aws: bool = False,
    profile: str | None = None,
    regions: str | None = None,
) -> Any:
    """What the segmentation commands analyse: a snapshot, manifest files, a live cluster, an AWS
    account, or several of them merged."""
    from pcicheck.snapshot import merge, read_snapshot

    if not (manifests or k8s or snapshot or aws):
        raise InputError("nothing to analyse", fix="pass --manifests PATH, --k8s, --aws or --snapshot FILE")
    parts = [read_snapshot(snapshot)] if snapshot else []
    if manifests or k8s or aws:
        parts.append(_gather(aws, manifests, profile, regions, quiet, k8s=k8s, kubeconfig=kubeconfig, context=context))
    return merge(parts)


def _flow_table(title: str, answers: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    expect = any("expect" in a for a in answers)
    for col in ("from", "to", "port", "allowed", *(("expected",) if expect else ()), "reason"):
        table.add_column(col, overflow="fold")
    for a in answers:
        verdict = {True: "allowed", False: "denied"}.get(a["allowed"], "possible")
        style = {"allowed": "red", "denied": "green", "possible": "yellow"}[verdict]
        cells = [Text(a["from"]), Text(a["to"]), f"{a['port']}/{a['protocol']}", Text(verdict, style=style)]
        if expect:
            wanted = a.get("expect")
            cells.append(Text(wanted or "–", style="bold red" if wanted and wanted != verdict else ""))
        table.add_row(*cells, Text(a["reason"]))
    return table


@segmentation_app.command("query")
def segmentation_query(
    manifests: ManifestsOpt = None,
    k8s: K8sOpt = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    snapshot: SegSnapshotOpt = None,
    aws: SegAwsOpt = False,
    profile: ProfileOpt = None,
    regions: RegionsOpt = None,
    source: Annotated[str | None, typer.Option("--from", help="NS/POD, node:NAME or cidr:IP.")] = None,
    destination: Annotated[
        str | None, typer.Option("--to", help="NS/POD, node:NAME, cidr:IP or svc:NS/NAME (a Service's backends).")
    ] = None,
    port: Annotated[str | None, typer.Option("--port", help="PORT[/TCP|UDP|SCTP], e.g. 5432/TCP.")] = None,
    flows: Annotated[
        Path | None,
        typer.Option("--flows", help="YAML list of {from, to, port, protocol, expect?} (a segmentation test plan)."),
    ] = None,
    output_format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """Is a flow allowed, denied, or possibly allowed (plugin-defined)? And which policies decide it.
    With a flows file whose entries state `expect`, exits 1 when the configuration disagrees."""
    from pcicheck.segmentation import Flow, answer, check_expectations, parse_port, read_flows

    if flows is not None:
        wanted = read_flows(flows)
    elif source and destination and port:
        number, protocol = parse_port(port)
        wanted = [Flow(source, destination, number, protocol)]
    else:
        raise InputError("say which flow", fix="pass --from, --to and --port, or --flows FILE")
    snap = _segmentation_source(
        manifests, k8s, kubeconfig, context, quiet, snapshot=snapshot, aws=aws, profile=profile, regions=regions
    )
    answers = answer(snap, wanted)
    for a, f in zip(answers, wanted, strict=True):
        if f.expect is not None:
            a["expect"] = f.expect
    misses = check_expectations(answers, wanted)
    if output_format == ListFormat.json:
        sys.stdout.write(json.dumps(answers, indent=2) + "\n")
    else:
        _stdout().print(_flow_table(f"{len(answers)} flows", answers))
    for line in misses:
        _say(line)  # file:line first, unwrapped: greppable in CI logs
    if misses:
        raise typer.Exit(ExitCode.FINDINGS)


class MatrixBy(StrEnum):
    namespace = "namespace"
    tenant = "tenant"


@segmentation_app.command("matrix")
def segmentation_matrix(
    manifests: ManifestsOpt = None,
    k8s: K8sOpt = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    snapshot: SegSnapshotOpt = None,
    config: ConfigOpt = None,
    by: Annotated[
        MatrixBy, typer.Option("--by", help="Rows and columns: namespaces, or tenants (the scope's tenant label).")
    ] = MatrixBy.namespace,
    output_format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """Namespace-to-namespace (or tenant-to-tenant) reachability: can some pod of a row reach a
    different pod of a column on some port?"""
    from pcicheck.analyze.k8s_classes import Reach, namespace_tenants, tenant_matrix
    from pcicheck.analyze.k8s_reach import Cluster
    from pcicheck.config import load_config

    scope = load_config(config).scope
    snap = _segmentation_source(manifests, k8s, kubeconfig, context, quiet, snapshot=snapshot)
    cluster = Cluster.from_resources(snap.resources)
    matrix = Reach.compute(cluster).namespace_matrix()
    if by == MatrixBy.tenant:
        matrix = tenant_matrix(matrix, namespace_tenants(cluster, scope.tenant_tag))
    names = sorted(matrix)
    if output_format == ListFormat.json:
        key = "namespaces" if by == MatrixBy.namespace else "tenants"
        sys.stdout.write(json.dumps({key: names, "matrix": matrix}, indent=2) + "\n")
        return
    table = Table(
        title=f"Reachability by {by.value}, from (rows) to (columns)",
        title_justify="left",
        caption="✓ allowed · denied ? possible – no pod pair",
        caption_justify="left",
    )
    table.add_column("from \\ to")
    for n in names:
        table.add_column(Text(n), justify="center")
    mark = {
        "allowed": Text("✓", style="red"),
        "denied": Text("·", style="green"),
        "possible": Text("?", style="yellow"),
        None: Text("–", style="dim"),
    }
    for a in names:
        table.add_row(Text(a), *(mark[matrix[a][b]] for b in names))
    _stdout().print(table)


@segmentation_app.command("exposure")
def segmentation_exposure(
    manifests: ManifestsOpt = None,
    k8s: K8sOpt = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    snapshot: SegSnapshotOpt = None,
    config: ConfigOpt = None,
    output_format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """Who may connect to CDE pods: the selectors, namespaces and CIDRs the policies admit."""
    from pcicheck.analyze.estate import analyze
    from pcicheck.analyze.k8s_reach import Cluster, exposure
    from pcicheck.config import load_config

    scope = load_config(config).scope
    snap = _segmentation_source(manifests, k8s, kubeconfig, context, quiet, snapshot=snapshot)
    facts = analyze(snap.resources, scope).facts
    cde_namespaces = {
        r.region for r in snap.resources if r.type in ("k8s.pod", "k8s.workload") and facts[r.uid]["scope"] == "cde"
    }
    cluster = Cluster.from_resources(snap.resources)
    report = exposure(cluster, [p for p in cluster.pods.values() if p.namespace in cde_namespaces])
    if output_format == ListFormat.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    table = Table(title=f"Exposure of {len(report)} CDE pods", title_justify="left")
    for col in ("pod", "may be reached from", "ports", "policy", "warnings"):
        table.add_column(col, overflow="fold")
    for item in report:
        for e in item["exposed_to"]:
            table.add_row(
                Text(item["pod"]),
                Text(e["source"]),
                Text(e["ports"]),
                Text(e["policy"] or "–"),
                Text("; ".join(e["warnings"]), style="yellow"),
            )
    _stdout().print(table)


@segmentation_app.command("plan")
def segmentation_plan(
    manifests: ManifestsOpt = None,
    k8s: K8sOpt = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    snapshot: SegSnapshotOpt = None,
    aws: SegAwsOpt = False,
    profile: ProfileOpt = None,
    regions: RegionsOpt = None,
    config: ConfigOpt = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the plan as a flows file for `segmentation query --flows`."),
    ] = None,
    output_format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """The flows that must be denied for the CDE to be isolated, as a segmentation test plan
    (PCI DSS 3.2.1 11.3.4, 4.0.1 11.4.5), each with today's configured verdict. Exits 1 when the
    configuration already leaves one open."""
    from pcicheck.config import load_config
    from pcicheck.segmentation import plan

    scope = load_config(config).scope
    snap = _segmentation_source(
        manifests, k8s, kubeconfig, context, quiet, snapshot=snapshot, aws=aws, profile=profile, regions=regions
    )
    flows = plan(snap, scope)
    if output is not None:
        import yaml

        header = (
            f"# CDE segmentation test plan (PCI DSS 3.2.1 11.3.4 / 4.0.1 11.4.5), {len(flows)} flows that must be\n"
            f"# denied, written by pcicheck {__version__} from the snapshot of {snap.created_at}.\n"
            "# Check it again any time: pcicheck segmentation query --flows THIS_FILE ...\n"
        )
        body = [{k: f[k] for k in ("from", "to", "port", "protocol", "expect")} for f in flows]
        output.write_text(header + yaml.safe_dump(body, sort_keys=False, width=200))
    if output_format == ListFormat.json:
        sys.stdout.write(json.dumps(flows, indent=2) + "\n")
    else:
        _stdout().print(_flow_table(f"{len(flows)} flows must be denied for CDE isolation", flows))
    open_flows = [f for f in flows if f["allowed"] is not False]
    _stderr(quiet).print(
        Text(f"{len(flows)} flows in the plan; {len(open_flows)} not denied by the configuration today")
    )
    if open_flows:
        raise typer.Exit(ExitCode.FINDINGS)


# --- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    try:
        result = app(args=argv, prog_name="pcicheck", standalone_mode=False)
    except PcicheckError as exc:
        _say_error(str(exc))
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        _stderr().print(Text("pcicheck: aborted"))
        return 130
    except TyperException as exc:  # usage errors: bad flag, bad value, missing argument
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx else "pcicheck"
        _say_error(f"{exc.format_message()} (see `{command} --help`)")
        return int(ExitCode.INVALID)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in pcicheck, not the user's input: still one line, unless asked
        if os.environ.get("PCICHECK_DEBUG"):
            raise
        _say_error(f"internal error: {type(exc).__name__}: {exc} (PCICHECK_DEBUG=1 shows the traceback)")
        return int(ExitCode.INVALID)
    return int(result) if isinstance(result, int) else 0


# `pcicheck iac` lives in its own module; registered last, once every option alias it imports exists.
from pcicheck import cli_iac  # noqa: E402

cli_iac.register(app)

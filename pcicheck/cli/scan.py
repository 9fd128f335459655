"""`pcicheck scan`, `collect` and `evaluate`: collect a snapshot, judge one, or both in one go."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from pcicheck.cli.invocation import invocation
from pcicheck.cli.options import (
    AwsAccess,
    Judging,
    KubernetesSources,
    Outputs,
    Pack,
    QuietOpt,
    SnapshotKmsKeyOpt,
    grouped,
)
from pcicheck.cli.output import stderr
from pcicheck.cli.progress import aws_progress
from pcicheck.errors import ExitCode, InputError

if TYPE_CHECKING:  # the workflow pulls in boto3 and the CEL engine: keep `pcicheck --help` instant
    from pcicheck.evaluate.evaluation import Evaluation
    from pcicheck.model import ExternalResults, Snapshot
    from pcicheck.workflow.gather import Sources
    from pcicheck.workflow.rules import Baseline, Rules


def sources(
    aws: bool,
    kubernetes: KubernetesSources,
    access: AwsAccess | None = None,
    services: tuple[str, ...] | None = None,
    shard: str | None = None,
) -> Sources:
    """The source options as the workflow takes them (AccountSelection checks the account options)."""
    from pcicheck.collect.aws.accounts import AccountSelection
    from pcicheck.collect.aws.shard import Shard
    from pcicheck.workflow.gather import Sources

    access = access or AwsAccess()
    return Sources(
        aws=aws,
        manifests=tuple(kubernetes.manifests or ()),
        k8s=kubernetes.k8s,
        kubeconfig=kubernetes.kubeconfig,
        context=kubernetes.context,
        profile=access.profile,
        regions=access.regions,
        accounts=AccountSelection(
            role_arn=access.role_arn,
            external_id=access.external_id,
            session_name=access.session_name,
            accounts_file=access.accounts_file,
            org_role=access.org_role,
            max_parallel=access.max_accounts_parallel,
        ),
        services=services,
        shard=Shard.parse(shard) if shard is not None else None,
    )


def gather(wanted: Sources, quiet: bool) -> Snapshot:
    from pcicheck.workflow.gather import gather as gather_sources

    return gather_sources(
        wanted,
        notice=lambda line: stderr(quiet).print(Text(line)),
        aws_progress=functools.partial(aws_progress, quiet),
    )


def load_rules(judging: Judging) -> Rules:
    from pcicheck.workflow.rules import load_rules as load

    return load(judging.controls, judging.config, judging.waivers)


def load_baseline(judging: Judging) -> Baseline | None:
    from pcicheck.workflow.rules import load_baseline as load

    return load(judging.baseline)


def evaluate_and_report(
    ctx: typer.Context,
    snapshot: Snapshot,
    rules: Rules,
    outputs: Outputs,
    pack: Pack,
    judging: Judging,
    quiet: bool,
    *,
    baseline: Baseline | None,
    external: ExternalResults | None = None,
) -> ExitCode:
    """Evaluate, write what was asked for, print how the gate decided; the exit code."""
    from pcicheck.workflow.deliver import EXPLAIN, Delivery, deliver, evaluate

    run = invocation(ctx)
    ev = evaluate(snapshot, rules, outputs.framework.ids, baseline=baseline, external=external, run=run)
    delivery = Delivery(
        fail_on=outputs.fail_on,
        output_format=outputs.output_format.value,
        output=outputs.output,
        pack=pack.target(),
        as_zip=pack.as_zip,
        sign_key=pack.sign_key,
        kms_key=pack.out_kms_key,
        allow_incomplete=judging.allow_incomplete,
    )
    err = stderr(quiet)
    done = deliver(ev, delivery, err, lambda line: err.print(Text(line)))
    _explain_baseline(done.evaluation, quiet)
    err.print(Text(f"exit {int(done.code)}: {EXPLAIN[done.code]}"))
    return done.code


def _explain_baseline(ev: Evaluation, quiet: bool) -> None:
    if ev.baseline is None:
        return
    d = ev.baseline
    err = stderr(quiet)
    err.print(
        Text(
            f"baseline {d.old}: {len(d.new)} new, {len(d.fixed)} fixed, {len(d.unchanged)} unchanged "
            f"findings; the gate judges only the new ones"
        )
    )
    for f in d.new[:10]:
        waived = " (waived)" if f.status == "waived" else ""
        err.print(Text(f"  new: {f.severity} {f.control} {f.resource} [{f.id}]{waived}"))


def _planned(rules: Rules) -> tuple[str, ...]:
    from pcicheck.workflow.plan import planned_services

    return planned_services(rules.catalog.controls)


@grouped
def scan(
    ctx: typer.Context,
    aws: Annotated[bool, typer.Option("--aws", help="Collect from AWS (boto3 standard credential chain).")] = False,
    kubernetes: KubernetesSources = KubernetesSources(),
    access: AwsAccess = AwsAccess(),
    outputs: Outputs = Outputs(),
    snapshot_out: Annotated[
        Path | None, typer.Option("--snapshot", help="Also keep the raw snapshot (.json or .json.gz).")
    ] = None,
    pack: Pack = Pack(),
    judging: Judging = Judging(),
    quiet: QuietOpt = False,
) -> None:
    """Collect and evaluate in one go."""
    if not (aws or kubernetes.k8s or kubernetes.manifests):
        raise InputError("nothing to scan", fix="pass --aws, --k8s and/or --manifests PATH")
    rules = load_rules(judging)
    previous = load_baseline(judging)
    snap = gather(sources(aws, kubernetes, access, _planned(rules) if aws else None), quiet)
    if snapshot_out:
        from pcicheck.snapshot import write_snapshot

        write_snapshot(snap, snapshot_out)
    raise typer.Exit(evaluate_and_report(ctx, snap, rules, outputs, pack, judging, quiet, baseline=previous))


@grouped
def collect(
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Snapshot file or s3://bucket/prefix/NAME (.json, or .json.gz to gzip); with --shard, a folder "
            "or s3:// prefix (ending in /) takes shard-K-of-N.json.gz.",
        ),
    ],
    aws: Annotated[bool, typer.Option("--aws", help="Collect from AWS.")] = False,
    kubernetes: KubernetesSources = KubernetesSources(),
    access: AwsAccess = AwsAccess(),
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="K/N",
            help="Collect only shard K (from 0) of N of the accounts × regions, for `pcicheck merge` to join "
            "(a Kubernetes Indexed Job passes $(JOB_COMPLETION_INDEX)/N).",
        ),
    ] = None,
    allow_incomplete: Annotated[
        bool,
        typer.Option(
            "--allow-incomplete/--fail-on-error",
            help="Exit 0 instead of 3 when something could not be read: it is recorded in the snapshot, and "
            "evaluation reports it (a Job's shard then counts as done).",
        ),
    ] = False,
    services: Annotated[
        str | None,
        typer.Option(
            "--services",
            metavar="NAME,...",
            help="Run only these AWS collectors (default: every one). The others are recorded as not collected: "
            "controls on what they collect are `error` when the snapshot is evaluated, and collect exits 3.",
        ),
    ] = None,
    out_kms_key: SnapshotKmsKeyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Collect a snapshot to evaluate later (read-only API calls; every collector, for any controls)."""
    from pcicheck.workflow.gather import parse_services
    from pcicheck.workflow.shards import deliver_snapshot
    from pcicheck.workflow.stored import check_destination

    if not (aws or kubernetes.k8s or kubernetes.manifests):
        raise InputError("nothing to collect", fix="pass --aws, --k8s and/or --manifests PATH")
    if shard is not None and (not aws or kubernetes.k8s or kubernetes.manifests):
        raise InputError(
            "--shard splits AWS accounts × regions only", fix="pass --aws alone; collect Kubernetes in its own run"
        )
    check_destination(output, out_kms_key)  # a bad -o fails now, not after the collection
    snap = gather(sources(aws, kubernetes, access, parse_services(services), shard=shard), quiet)
    written = deliver_snapshot(snap, output, kms_key=out_kms_key)
    stderr(quiet).print(Text(f"{len(snap.resources)} resources, {len(snap.errors)} collection errors → {written}"))
    raise typer.Exit(ExitCode.INCOMPLETE if snap.errors and not allow_incomplete else ExitCode.OK)


@grouped
def merge(
    snapshots: Annotated[
        list[str],
        typer.Argument(
            metavar="SNAPSHOT...",
            help="The shard snapshots of one `collect --shard K/N` run: files or s3:// objects, or folders or "
            "s3://bucket/prefix/ holding shard-K-of-N files.",
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="The merged snapshot, a file or s3://bucket/prefix/NAME (.json, or .json.gz to gzip).",
        ),
    ],
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            metavar="SECONDS",
            help="Wait up to this long for a folder or S3 prefix to hold every shard (default: not at all).",
        ),
    ] = 0.0,
    out_kms_key: SnapshotKmsKeyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Join the shard snapshots of one run into one snapshot, for `pcicheck evaluate` to judge as a whole."""
    from pcicheck.workflow.shards import deliver_snapshot, merge_files, shard_paths
    from pcicheck.workflow.stored import check_destination

    check_destination(output, out_kms_key)
    snap = merge_files(shard_paths(snapshots, wait=wait))
    written = deliver_snapshot(snap, output, kms_key=out_kms_key)
    count = snap.request["aws"]["partition"]["count"]
    stderr(quiet).print(
        Text(
            f"{count} shards, {len(snap.resources)} resources, {len(snap.errors)} collection errors → {written}"
            f" (judge it with `pcicheck evaluate {written}`)"
        )
    )
    raise typer.Exit(ExitCode.OK)


@grouped
def evaluate(
    ctx: typer.Context,
    snapshot: Annotated[
        str, typer.Argument(help="A snapshot written by `pcicheck collect`: a file or s3://bucket/prefix/NAME.")
    ],
    outputs: Outputs = Outputs(),
    pack: Pack = Pack(),
    judging: Judging = Judging(),
    quiet: QuietOpt = False,
) -> None:
    """Evaluate a saved snapshot (same snapshot, same results: `now` is the snapshot's time)."""
    from pcicheck.snapshot import judging_file
    from pcicheck.workflow.stored import read_snapshot_at

    rules = load_rules(judging)
    previous = load_baseline(judging)
    snap = read_snapshot_at(snapshot)
    shard = (snap.request.get("aws") or {}).get("shard")
    if isinstance(shard, dict):
        # Part of an estate judged as if whole would miss what crosses shards (peering, reachability, tenancy).
        raise InputError(
            f"this snapshot is shard {shard.get('index')}/{shard.get('count')} of one collection, not the whole of it",
            path=str(snapshot),
            fix="join the shards first: pcicheck merge SHARDS... -o merged.json.gz, then evaluate that",
        )
    with judging_file(snapshot):
        code = evaluate_and_report(ctx, snap, rules, outputs, pack, judging, quiet, baseline=previous)
    raise typer.Exit(code)

"""`pcicheck segmentation`: which flows the network configuration allows — a question, a test plan, a
matrix of namespaces or tenants, and who may reach the CDE."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from pcicheck import __version__
from pcicheck.cli.options import (
    AwsAccess,
    ConfigOpt,
    KubernetesSources,
    ListFormat,
    ListFormatOpt,
    ProfileOpt,
    QuietOpt,
    RegionsOpt,
    grouped,
)
from pcicheck.cli.output import say, stderr, stdout
from pcicheck.cli.scan import gather, sources
from pcicheck.errors import ExitCode, InputError
from pcicheck.outputfile import writing

if TYPE_CHECKING:
    from pcicheck.model import Snapshot

app = typer.Typer(help="Segmentation: which flows NetworkPolicies allow.", no_args_is_help=True)


SegSnapshotOpt = Annotated[
    Path | None, typer.Option("--snapshot", help="Analyse a snapshot written by `pcicheck collect` or `scan`.")
]
SegAwsOpt = Annotated[bool, typer.Option("--aws", help="Collect the AWS account's networks too.")]


def _segmentation_source(
    kubernetes: KubernetesSources,
    quiet: bool,
    *,
    snapshot: Path | None = None,
    aws: bool = False,
    profile: str | None = None,
    regions: str | None = None,
) -> Snapshot:
    """What the segmentation commands analyse: a snapshot, manifest files, a live cluster, an AWS
    account, or several of them merged."""
    from pcicheck.snapshot import merge, read_snapshot

    if not (kubernetes.manifests or kubernetes.k8s or snapshot or aws):
        raise InputError("nothing to analyse", fix="pass --manifests PATH, --k8s, --aws or --snapshot FILE")
    parts = [read_snapshot(snapshot)] if snapshot else []
    if kubernetes.manifests or kubernetes.k8s or aws:
        parts.append(gather(sources(aws, kubernetes, AwsAccess(profile=profile, regions=regions)), quiet))
    return merge(parts)


def _judged(snapshot: Path | None) -> AbstractContextManager[None]:
    """A snapshot file's records the analysis trips over are the file's fault (snapshot.judging_file)."""
    from pcicheck.snapshot import judging_file

    return judging_file(snapshot) if snapshot else nullcontext()


def _flow_table(title: str, answers: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    expect = any("expect" in a for a in answers)
    for col in ("from", "to", "port", "allowed", *(("expected",) if expect else ()), "reason"):
        table.add_column(col, overflow="fold")
    for a in answers:
        verdict = {True: "allowed", False: "denied"}.get(a["allowed"], "possible")
        style = {"allowed": "red", "denied": "green", "possible": "yellow"}[verdict]
        cells: list[Text | str] = [
            Text(a["from"]),
            Text(a["to"]),
            f"{a['port']}/{a['protocol']}",
            Text(verdict, style=style),
        ]
        if expect:
            wanted = a.get("expect")
            cells.append(Text(wanted or "–", style="bold red" if wanted and wanted != verdict else ""))
        table.add_row(*cells, Text(a["reason"]))
    return table


@app.command("query")
@grouped
def segmentation_query(
    kubernetes: KubernetesSources = KubernetesSources(),
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
    output_format: ListFormatOpt = ListFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """Is a flow allowed, denied, or possibly allowed (plugin-defined)? And which policies decide it.
    With a flows file whose entries state `expect`, exits 1 when the configuration disagrees."""
    from pcicheck.segmentation.flows import Flow, answer, check_expectations, parse_port, read_flows

    if flows is not None:
        wanted = read_flows(flows)
    elif source and destination and port:
        number, protocol = parse_port(port)
        wanted = [Flow(source, destination, number, protocol)]
    else:
        raise InputError("say which flow", fix="pass --from, --to and --port, or --flows FILE")
    snap = _segmentation_source(kubernetes, quiet, snapshot=snapshot, aws=aws, profile=profile, regions=regions)
    with _judged(snapshot):
        answers = answer(snap, wanted)
    for a, f in zip(answers, wanted, strict=True):
        if f.expect is not None:
            a["expect"] = f.expect
    misses = check_expectations(answers, wanted)
    if output_format == ListFormat.json:
        sys.stdout.write(json.dumps(answers, indent=2) + "\n")
    else:
        stdout().print(_flow_table(f"{len(answers)} flows", answers))
    for line in misses:
        say(line)  # file:line first, unwrapped: greppable in CI logs
    if misses:
        raise typer.Exit(ExitCode.FINDINGS)


class MatrixBy(StrEnum):
    namespace = "namespace"
    tenant = "tenant"


@app.command("matrix")
@grouped
def segmentation_matrix(
    kubernetes: KubernetesSources = KubernetesSources(),
    snapshot: SegSnapshotOpt = None,
    config: ConfigOpt = None,
    by: Annotated[
        MatrixBy, typer.Option("--by", help="Rows and columns: namespaces, or tenants (the scope's tenant label).")
    ] = MatrixBy.namespace,
    output_format: ListFormatOpt = ListFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """Namespace-to-namespace (or tenant-to-tenant) reachability: can some pod of a row reach a
    different pod of a column on some port?"""
    from pcicheck.analyze.k8s_classes import Reach, namespace_tenants, tenant_matrix
    from pcicheck.analyze.k8s_reach import Cluster
    from pcicheck.config import load_config

    scope = load_config(config).scope
    snap = _segmentation_source(kubernetes, quiet, snapshot=snapshot)
    with _judged(snapshot):
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
    stdout().print(table)


@app.command("exposure")
@grouped
def segmentation_exposure(
    kubernetes: KubernetesSources = KubernetesSources(),
    snapshot: SegSnapshotOpt = None,
    config: ConfigOpt = None,
    output_format: ListFormatOpt = ListFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """Who may connect to CDE pods: the selectors, namespaces and CIDRs the policies admit."""
    from pcicheck.analyze.estate import analyze
    from pcicheck.analyze.k8s_reach import Cluster, exposure
    from pcicheck.config import load_config

    scope = load_config(config).scope
    snap = _segmentation_source(kubernetes, quiet, snapshot=snapshot)
    with _judged(snapshot):
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
    stdout().print(table)


@app.command("plan")
@grouped
def segmentation_plan(
    kubernetes: KubernetesSources = KubernetesSources(),
    snapshot: SegSnapshotOpt = None,
    aws: SegAwsOpt = False,
    profile: ProfileOpt = None,
    regions: RegionsOpt = None,
    config: ConfigOpt = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the plan as a flows file for `segmentation query --flows`."),
    ] = None,
    output_format: ListFormatOpt = ListFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """The flows that must be denied for the CDE to be isolated, as a segmentation test plan
    (PCI DSS 3.2.1 11.3.4, 4.0.1 11.4.5), each with today's configured verdict. Exits 1 when the
    configuration already leaves one open."""
    from pcicheck.config import load_config
    from pcicheck.segmentation.plan import plan

    scope = load_config(config).scope
    snap = _segmentation_source(kubernetes, quiet, snapshot=snapshot, aws=aws, profile=profile, regions=regions)
    with _judged(snapshot):
        flows = plan(snap, scope)
    if output is not None:
        import yaml

        header = (
            f"# CDE segmentation test plan (PCI DSS 3.2.1 11.3.4 / 4.0.1 11.4.5), {len(flows)} flows that must be\n"
            f"# denied, written by pcicheck {__version__} from the snapshot of {snap.created_at}.\n"
            "# Check it again any time: pcicheck segmentation query --flows THIS_FILE ...\n"
        )
        body = [{k: f[k] for k in ("from", "to", "port", "protocol", "expect")} for f in flows]
        with writing(output, "the test plan"):
            output.write_text(header + yaml.safe_dump(body, sort_keys=False, width=200))
    if output_format == ListFormat.json:
        sys.stdout.write(json.dumps(flows, indent=2) + "\n")
    else:
        stdout().print(_flow_table(f"{len(flows)} flows must be denied for CDE isolation", flows))
    open_flows = [f for f in flows if f["allowed"] is not False]
    stderr(quiet).print(
        Text(f"{len(flows)} flows in the plan; {len(open_flows)} not denied by the configuration today")
    )
    if open_flows:
        raise typer.Exit(ExitCode.FINDINGS)

"""`pcicheck iac PATH`: infrastructure as code judged by Checkov under pcicheck's PCI DSS mapping (and its
Kubernetes manifests by pcicheck's own controls), through the same outputs and exit codes as a scan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pcicheck.cli import output
from pcicheck.cli.options import Judging, Outputs, Pack, QuietOpt, grouped
from pcicheck.cli.scan import evaluate_and_report, load_baseline, load_rules

CheckovOpt = Annotated[
    Path | None,
    typer.Option(
        "--checkov",
        envvar="PCICHECK_CHECKOV",
        help="The checkov program to run (default: pcicheck's own install in its cache, else `checkov` on PATH, "
        "else installed into the cache on first use).",
    ),
]


@grouped
def iac(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="A directory (or file) of Terraform, CloudFormation, Kubernetes, Helm or Kustomize sources."
        ),
    ],
    outputs: Outputs = Outputs(),
    pack: Pack = Pack(),
    judging: Judging = Judging(),
    quiet: QuietOpt = False,
    checkov: CheckovOpt = None,
) -> None:
    """Scan infrastructure as code with Checkov, mapped to PCI DSS; Kubernetes manifests are also judged
    by pcicheck's own controls. Inline checkov:skip suppressions are ignored (reported as evidence)."""
    from pcicheck.iac.launch import launched_iac

    def announce(line: str) -> None:  # plain and unwrapped: paths stay greppable in CI logs
        output.say(line)

    def say(line: str) -> None:
        if not quiet:
            announce(line)

    # A first-use install takes a minute: announced even with --quiet, or a CI log just stalls.
    with launched_iac(path, checkov, announce) as launched:
        # Checkov works in the background meanwhile: the rules, then the rest of the scan.
        rules = load_rules(judging)
        previous = load_baseline(judging)
        from pcicheck.iac.scan import scan_iac
        from pcicheck.workflow import deliver  # noqa: F401 - imported while Checkov runs, used below

        snapshot, external = scan_iac(launched, rules.config.scope, say)
    raise typer.Exit(
        evaluate_and_report(ctx, snapshot, rules, outputs, pack, judging, quiet, baseline=previous, external=external)
    )

"""Small commands: the demo, the permissions pcicheck needs, its version."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pcicheck import __version__
from pcicheck.cli.invocation import invocation
from pcicheck.cli.options import Frameworks, FrameworksOpt, QuietOpt


def demo(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Where results.json and snapshot.json.gz go.")] = Path("out"),
    framework: FrameworksOpt = Frameworks.all,
    quiet: QuietOpt = False,
) -> None:
    """Scan the built-in demo estate, served by a local AWS emulator (needs pcicheck[demo])."""
    from pcicheck.demo.run import run_demo

    run_demo(out, framework.ids, quiet, invocation(ctx))


def iam_policy() -> None:
    """Print the IAM policy pcicheck needs for --aws: read-only configuration calls, no data, no secrets."""
    from pcicheck.collect.aws.policy import iam_policy_json

    sys.stdout.write(iam_policy_json())


def k8s_clusterrole() -> None:
    """Print the read-only ClusterRole the live Kubernetes collector needs (get/list only)."""
    from pcicheck.collect.k8s.rbac import cluster_role_yaml

    sys.stdout.write(cluster_role_yaml())


def version() -> None:
    """Print the version."""
    print(__version__)

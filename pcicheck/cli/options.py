"""Options and arguments more than one command takes, defined once.

Typer reads a command's options from its signature. Blocks of options that several commands share
are option groups: a frozen dataclass whose fields are the options. A command parameter annotated with
a group stands for its fields, spliced into the signature at that place by `@grouped`, and the command
receives the filled-in dataclass, so `scan` and `evaluate` list the same output options without
repeating them and `--help` shows them in the same order.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

import typer

from pcicheck.errors import InputError
from pcicheck.model import Severity
from pcicheck.objectstore import S3Location, local_or_s3

EXIT_CODES_HELP = (
    "Exit codes: 0 clean; 1 a failed control at or above --fail-on; 2 invalid input or usage; "
    "3 scan incomplete (something could not be read or evaluated, and no finding reached --fail-on)."
)


class Framework(StrEnum):
    v321 = "pci-dss-3.2.1"
    v401 = "pci-dss-4.0.1"


class Frameworks(StrEnum):
    """What a report judges against: by default PCI DSS v4.0.1, then v3.2.1 (retired, for continuity)."""

    all = "all"
    v401 = "pci-dss-4.0.1"
    v321 = "pci-dss-3.2.1"

    @property
    def ids(self) -> tuple[str, ...]:
        return (Frameworks.v401.value, Frameworks.v321.value) if self is Frameworks.all else (self.value,)


class OutputFormat(StrEnum):
    console = "console"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    csv = "csv"
    evidence = "evidence"
    resources = "resources"
    markdown = "markdown"
    ocsf = "ocsf"
    asff = "asff"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


FrameworkOpt = Annotated[Framework, typer.Option("--framework", help="Requirement tree to report against.")]
FrameworksOpt = Annotated[
    Frameworks,
    typer.Option(
        "--framework",
        help="Requirement tree(s) to report against: all (PCI DSS v4.0.1, then v3.2.1, which PCI SSC retired on "
        "31 March 2024, for continuity with earlier assessments), or one of them.",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No summary or progress on stderr.")]
ControlsOpt = Annotated[
    list[Path] | None, typer.Option("--controls", help="Add a directory of your own controls (repeatable).")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="pcicheck.yaml with scope and params (default: ./pcicheck.yaml)."),
]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS named profile (default: standard chain).")]
RegionsOpt = Annotated[
    str | None,
    typer.Option("--regions", help="Comma-separated, e.g. eu-west-2,us-east-1 (default: all enabled)."),
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
ZipOpt = Annotated[bool, typer.Option("--zip", help="Write the evidence pack as one zip (OUT.zip).")]
SignKeyOpt = Annotated[
    Path | None, typer.Option("--sign-key", help="Sign the pack's manifest with this Ed25519 private key (PEM).")
]
ListFormatOpt = Annotated[ListFormat, typer.Option("--format")]


class OptionGroup:
    """Marks a dataclass of options that `@grouped` splices into a command's signature."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class KubernetesSources(OptionGroup):
    manifests: ManifestsOpt = None
    k8s: K8sOpt = False
    kubeconfig: KubeconfigOpt = None
    context: ContextOpt = None


@dataclasses.dataclass(frozen=True)
class AwsAccess(OptionGroup):
    profile: ProfileOpt = None
    regions: RegionsOpt = None
    role_arn: Annotated[
        str | None,
        typer.Option("--role-arn", help="Assume this role first (with --accounts/--org-role: the hub role)."),
    ] = None
    external_id: Annotated[str | None, typer.Option("--external-id", help="External id for --role-arn.")] = None
    session_name: Annotated[
        str | None, typer.Option("--session-name", help="Role session name (default: pcicheck), seen in CloudTrail.")
    ] = None
    accounts_file: Annotated[
        Path | None,
        typer.Option("--accounts", help="YAML list of accounts: role ARNs, or {account, role, external_id}."),
    ] = None
    org_role: Annotated[
        str | None,
        typer.Option("--org-role", help="Scan every AWS Organizations account, assuming this role name in each."),
    ] = None
    max_accounts_parallel: Annotated[
        int, typer.Option("--max-accounts-parallel", min=1, help="Accounts collected at the same time.")
    ] = 4


@dataclasses.dataclass(frozen=True)
class Outputs(OptionGroup):
    framework: FrameworksOpt = Frameworks.all
    fail_on: Annotated[
        Severity, typer.Option("--fail-on", help="Exit 1 when a control of this severity or higher fails.")
    ] = Severity.LOW
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="console: summary on stderr only; json (results document), sarif, junit, csv (findings), "
            "evidence (every result: the evidence index), resources (every resource, once), markdown (summary), "
            "ocsf (OCSF Compliance Findings) or asff (Security Hub findings): raw on stdout, or to --output.",
        ),
    ] = OutputFormat.console
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the --format output here.")] = None


PackOutOpt = Annotated[
    str | None,
    typer.Option(
        "--out",
        help="Write the evidence pack here (a directory, or s3://bucket/prefix/): index.html, results.json, "
        "evidence.csv (every result), resources.csv, summary.md, snapshot and manifest.json.",
    ),
]
OutKmsKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--out-kms-key",
        help="With --out s3://…: have S3 encrypt every object of the pack with this KMS key (SSE-KMS; key id, "
        "ARN or alias/NAME). Without it the bucket's default encryption applies.",
    ),
]

SnapshotKmsKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--out-kms-key",
        help="With -o s3://…: have S3 encrypt the snapshot with this KMS key (SSE-KMS; key id, ARN or "
        "alias/NAME), as --out-kms-key does for a pack. Without it the bucket's default encryption applies.",
    ),
]


@dataclasses.dataclass(frozen=True)
class Pack(OptionGroup):
    pack: PackOutOpt = None
    as_zip: ZipOpt = False
    sign_key: SignKeyOpt = None
    out_kms_key: OutKmsKeyOpt = None

    def target(self) -> Path | S3Location | None:
        """Where --out names: a local path, or the S3 prefix of an s3:// URL."""
        target = None if self.pack is None else local_or_s3(self.pack)
        if self.out_kms_key is not None and not isinstance(target, S3Location):
            raise InputError("--out-kms-key applies to a pack written to S3", fix="pass --out s3://bucket/prefix/")
        if self.as_zip and isinstance(target, S3Location):
            raise InputError(
                "--zip writes one file; a pack in S3 is stored as its files", path=str(target), fix="drop --zip"
            )
        return target


@dataclasses.dataclass(frozen=True)
class Judging(OptionGroup):
    waivers: Annotated[
        Path | None,
        typer.Option(
            "--waivers",
            help="YAML file of waivers (accepted risk with approver and expiry), added to pcicheck.yaml's.",
        ),
    ] = None
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="A previous results.json: the gate then fails only on findings new since it."),
    ] = None
    allow_incomplete: Annotated[
        bool,
        typer.Option(
            "--allow-incomplete/--fail-on-error",
            help="Exit 0 instead of 3 when something could not be read or evaluated (default: fail, exit 3).",
        ),
    ] = False
    controls: ControlsOpt = None
    config: ConfigOpt = None


F = TypeVar("F", bound=Callable[..., Any])


def grouped(command: F) -> F:
    """Splice each option group's fields into `command`'s signature, where the group's parameter is;
    the command is called with the group filled in from them."""
    signature = inspect.signature(command, eval_str=True)
    groups: dict[str, type[OptionGroup]] = {}
    parameters: list[inspect.Parameter] = []
    for p in signature.parameters.values():
        if isinstance(p.annotation, type) and issubclass(p.annotation, OptionGroup):
            groups[p.name] = p.annotation
            hints = typing.get_type_hints(p.annotation, include_extras=True)
            for f in dataclasses.fields(p.annotation):
                parameters.append(
                    inspect.Parameter(
                        f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name]
                    )
                )
        else:
            parameters.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY))

    @functools.wraps(command)
    def run(**values: Any) -> Any:
        for name, group in groups.items():
            values[name] = group(**{f.name: values.pop(f.name) for f in dataclasses.fields(group)})
        return command(**values)

    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return typing.cast(F, run)

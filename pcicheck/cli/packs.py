"""Commands on what a scan wrote: `report` (a pack from saved results), `diff`, `verify` and `security-hub`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from pcicheck.cli.options import OutKmsKeyOpt, OutputFormat, Pack, QuietOpt, SignKeyOpt, ZipOpt
from pcicheck.cli.output import say, stderr, stdout
from pcicheck.errors import ExitCode, InputError
from pcicheck.inert import json_text
from pcicheck.objectstore import local_or_s3


def report(
    results: Annotated[
        str,
        typer.Argument(
            help="A results.json written by `pcicheck scan` or `evaluate`, or an evidence pack (directory, .zip "
            "or s3://bucket/prefix/)."
        ),
    ],
    pack: Annotated[
        str | None, typer.Option("--out", help="Where to write the evidence pack (or s3://bucket/prefix/).")
    ] = None,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help="Also (or only) render one format of the saved results: json, sarif, junit, csv, evidence, "
            "resources, markdown, ocsf or asff, raw on stdout or to --output; the same bytes a scan writes.",
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the --format output here.")] = None,
    snapshot: Annotated[
        Path | None, typer.Option("--snapshot", help="The snapshot the results came from, to include in the pack.")
    ] = None,
    as_zip: ZipOpt = False,
    sign_key: SignKeyOpt = None,
    out_kms_key: OutKmsKeyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the evidence pack, or one format, from a saved results document (no new scan)."""
    from pcicheck.report.formats import render
    from pcicheck.report.pack import load_results, write_pack
    from pcicheck.snapshot import read_snapshot, snapshot_bytes
    from pcicheck.workflow.deliver import JSON, emit

    if output_format is None and output is not None:
        raise InputError("--output names where --format's output goes", fix="add --format (e.g. --format sarif)")
    if output_format == OutputFormat.console:
        raise InputError(
            "--format console has nothing to render from saved results", fix="pass a file format, e.g. --format sarif"
        )
    if pack is None and output_format is None:
        raise InputError(
            "nothing to write", fix="pass --out DIR for the evidence pack, or --format sarif|junit|… for one format"
        )
    target = Pack(pack=pack, as_zip=as_zip, sign_key=sign_key, out_kms_key=out_kms_key).target()
    if target is None and (as_zip or sign_key is not None or snapshot is not None):
        raise InputError("--zip, --sign-key and --snapshot apply to the evidence pack", fix="add --out DIR")
    raw, doc = load_results(local_or_s3(results))
    if output_format is not None:
        fmt = output_format.value
        emit(fmt, raw if fmt == JSON else render(fmt, doc), output, lambda line: stderr(quiet).print(Text(line)))
    if target is None:
        return
    snapshot_raw = None
    if snapshot is not None:
        # A corrupt or foreign file fails here, not in the auditor's hands; what is packed is what was
        # read, redacted as every snapshot pcicheck reads is (the file's own bytes may hold credentials).
        snapshot_raw = snapshot_bytes(read_snapshot(snapshot))
    written = write_pack(target, raw, doc, snapshot_raw, sign_key=sign_key, as_zip=as_zip, kms_key=out_kms_key)
    stderr(quiet).print(Text(f"evidence pack: {len(written.files)} files in {written.where}"))


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def diff_results(
    old: Annotated[
        str, typer.Argument(help="The earlier results.json (or the evidence pack holding it: directory, .zip, s3://).")
    ],
    new: Annotated[
        str, typer.Argument(help="The later results.json (or the evidence pack holding it: directory, .zip, s3://).")
    ],
    output_format: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.table,
) -> None:
    """Findings new since OLD, fixed since OLD, and unchanged (matched by evidence id). Exits 1 when
    there is a new finding."""
    from pcicheck.evaluate.baseline import diff, findings_of_document, markdown
    from pcicheck.report.pack import load_results

    before, after = load_results(local_or_s3(old))[1], load_results(local_or_s3(new))[1]
    d = diff(findings_of_document(before), findings_of_document(after), old)
    if output_format == DiffFormat.json:
        sys.stdout.write(json_text(json.dumps(d.to_dict(), indent=2, ensure_ascii=False)) + "\n")
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
        stdout().print(table)
    raise typer.Exit(ExitCode.FINDINGS if d.new else ExitCode.OK)


def verify(
    pack: Annotated[str, typer.Argument(help="An evidence pack: its directory, .zip or s3://bucket/prefix/.")],
    pub_key: Annotated[
        Path | None, typer.Option("--pub-key", help="Ed25519 public key (PEM) to check manifest.sig with.")
    ] = None,
    require_signature: Annotated[
        bool,
        typer.Option(
            "--require-signature",
            help="Exit 1 unless the pack is signed and the signature is valid under --pub-key.",
        ),
    ] = False,
) -> None:
    """Check every file of an evidence pack against its manifest (and the signature): exit 0 when
    nothing was changed, added or removed, 1 naming each file that was (and any entry that is not a
    regular file: a symlink, a FIFO, a device). An unsigned pack's manifest detects accidental change
    only; --require-signature makes anything less than a valid signature fail. Exit 2 when the pack
    cannot be read unambiguously: a zip naming a file twice or outside the pack, damaged, encrypted or
    foreign-compressed entries, or more than 1 GiB inflated."""
    from pcicheck.report.integrity import verify as verify_pack

    result = verify_pack(local_or_s3(pack), pub_key, require_signature=require_signature)
    for line in result.problems:
        say(f"{pack}: {line}")
    for line in result.notes:
        say(f"{pack}: {line}")
    if result.ok:
        proven = "signed manifest.json" if result.signed else "manifest.json"
        say(f"{pack}: {result.checked} files match {proven}")
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)


def security_hub(
    results: Annotated[
        Path, typer.Argument(help="A results.json written by `pcicheck scan` or `evaluate`, or an evidence pack.")
    ],
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile of the importing account.")] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="Security Hub region for Kubernetes and global resources (default: the session's)."
        ),
    ] = None,
) -> None:
    """Import the findings into AWS Security Hub (BatchImportFindings, ASFF, passes included), in batches
    of 100, each in its resource's region. Ids are stable evidence ids: importing again updates the
    findings, never duplicates them. Needs securityhub:BatchImportFindings, never granted to the scan.
    Exits 1 naming how many findings were not imported (refused by Security Hub, or of another account)."""
    from pcicheck.report.pack import load_results
    from pcicheck.report.securityhub import import_findings

    _, doc = load_results(results)
    done = import_findings(doc, profile=profile, region=region, progress=say)
    for miss in done.failed[:10]:
        say(f"not imported: {miss.id or '(unnamed)'}: {miss.code}: {miss.message}")
    say(
        f"security hub: {done.succeeded} of {done.findings} findings imported into account {done.account} "
        f"({', '.join(done.regions) or 'no region'}; {done.batches} batches, {done.seconds:.2f} s)"
    )
    if done.failed:
        say(f"{len(done.failed)} findings were not imported")
        raise typer.Exit(ExitCode.FINDINGS)
    raise typer.Exit(ExitCode.OK)

"""`pcicheck history`: period evidence from a folder or S3 prefix of evidence packs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pcicheck.cli.options import OutKmsKeyOpt, Pack, QuietOpt, SignKeyOpt, ZipOpt
from pcicheck.cli.output import say
from pcicheck.objectstore import local_or_s3


def history(
    source: Annotated[
        str,
        typer.Argument(
            help="A folder of evidence packs (directories or .zip files), or an s3://bucket/prefix/ whose "
            "sub-prefixes are packs."
        ),
    ],
    out: Annotated[
        str, typer.Option("--out", help="Where to write the history pack (a directory, or s3://bucket/prefix/).")
    ],
    interval: Annotated[
        str,
        typer.Option(
            "--interval",
            help="How often scans are expected (1d, 12h, 1w…): two scans further apart than this plus "
            "--grace leave a gap, which breaks 'continuously supported'.",
        ),
    ] = "1d",
    grace: Annotated[
        str | None,
        typer.Option("--grace", help="How late a scan may be before it is a gap (default: half the interval)."),
    ] = None,
    pub_key: Annotated[
        Path | None,
        typer.Option("--pub-key", help="Ed25519 public key (PEM): each pack's signature is checked with it."),
    ] = None,
    require_signature: Annotated[
        bool,
        typer.Option("--require-signature", help="Refuse any pack not signed validly under --pub-key."),
    ] = False,
    as_zip: ZipOpt = False,
    sign_key: SignKeyOpt = None,
    out_kms_key: OutKmsKeyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Status over time of every requirement (each framework), testing procedure and control: first failed,
    fixed, time to remediate, gaps between scans and 'continuously supported since', as history.json and
    one offline index.html. Each pack is verified against its manifest (and its signature with --pub-key)
    before use; a pack that fails is refused, naming it (exit 2)."""
    from pcicheck.history.pack import write_history
    from pcicheck.history.period import parse_duration
    from pcicheck.history.read import read_packs
    from pcicheck.history.timeline import compute

    every = parse_duration(interval, option="--interval")
    late = parse_duration(grace, option="--grace") if grace is not None else None
    target = Pack(pack=out, as_zip=as_zip, sign_key=sign_key, out_kms_key=out_kms_key).target()
    assert target is not None  # --out is required
    where = local_or_s3(source)
    packs = read_packs(where, public_key=pub_key, require_signature=require_signature)
    for skipped in packs.skipped:  # named even with --quiet: what was left out of period evidence matters
        say(f"{skipped.where}: skipped: {skipped.why}")
    h = compute(packs.scans, every, late)
    written = write_history(target, h, str(where), packs.skipped, sign_key=sign_key, as_zip=as_zip, kms_key=out_kms_key)
    if not quiet:  # plain lines, never wrapped: paths stay greppable in CI logs
        counts = f"{len(h.scans)} scans ({len(h.gaps)} gaps)"
        say(f"history of {counts} from {source}: {len(written.files)} files in {written.where}")

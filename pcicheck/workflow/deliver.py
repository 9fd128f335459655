"""Evaluate a snapshot, write what was asked for (console summary, one format, the evidence pack) and
choose the exit code: the same flow for scan, evaluate, iac and the demo."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, cast

from rich.console import Console

from pcicheck import inert, paths
from pcicheck.catalog import Catalog
from pcicheck.errors import ExitCode
from pcicheck.evaluate.baseline import diff, findings_of_results
from pcicheck.evaluate.evaluation import Evaluation, evaluate_snapshot
from pcicheck.gate import exit_code
from pcicheck.model import ExternalResults, Severity, Snapshot
from pcicheck.objectstore import S3Location
from pcicheck.outputfile import writing
from pcicheck.report import console as console_report
from pcicheck.report import results_json
from pcicheck.report.formats import FORMATS, render
from pcicheck.report.pack import PackWritten, write_pack
from pcicheck.segmentation.pack import segmentation_evidence
from pcicheck.snapshot import snapshot_bytes
from pcicheck.workflow.rules import Baseline, Rules

CONSOLE = "console"  # the --format that writes no file: the summary on stderr only
JSON = "json"  # the results document itself

EXPLAIN = {
    ExitCode.OK: "no failing control at or above --fail-on, nothing left unproven",
    ExitCode.FINDINGS: "a control at or above --fail-on failed",
    ExitCode.INCOMPLETE: "something could not be read or evaluated (see the errors above); no finding reached "
    "--fail-on",
}


@dataclass(frozen=True)
class Delivery:
    """What to write and how to gate: the options scan, evaluate and iac share."""

    fail_on: Severity = Severity.LOW
    output_format: str = CONSOLE  # console, json, or a name in the renderer map
    output: Path | None = None
    pack: Path | S3Location | None = None
    as_zip: bool = False
    sign_key: Path | None = None
    kms_key: str | None = None  # SSE-KMS for a pack written to S3
    allow_incomplete: bool = False


@dataclass(frozen=True)
class Delivered:
    evaluation: Evaluation
    pack: PackWritten | None
    code: ExitCode


def evaluate(
    snapshot: Snapshot,
    rules: Rules,
    frameworks: str | tuple[str, ...],
    *,
    baseline: Baseline | None = None,
    external: ExternalResults | None = None,
    run: dict[str, str] | None = None,
) -> Evaluation:
    """The evaluation (with `run`: who ran it, where and how), and what changed since the baseline when
    one was given."""
    ev = evaluate_snapshot(snapshot, rules.catalog, rules.config, frameworks, external)
    segmentation = segmentation_evidence(snapshot, rules.config.scope, ev.estate.facts)
    ev = dataclasses.replace(ev, run=run or {}, segmentation=segmentation)
    if baseline is None:
        return ev
    changes = diff(dict(baseline.findings), findings_of_results(ev.results), baseline.path)
    return dataclasses.replace(ev, baseline=changes)


def custom_controls(catalog: Catalog) -> dict[str, bytes]:
    """The user's own control files the run judged with, as the pack keeps them (controls/<id>.yaml),
    so the run can be re-performed. Built-in controls are named by the pcicheck version instead."""
    builtin = paths.controls_dir().resolve()
    out = {}
    for c in catalog.controls:
        path = Path(c.path).resolve()
        if builtin not in path.parents and path.is_file():
            out[f"controls/{c.id}.yaml"] = path.read_bytes()
    return out


class _InertJsonOut(io.TextIOBase):
    """Standard output for the streamed results document: each piece as inert.json_text (the same JSON,
    with the characters a terminal would obey written as \\u escapes)."""

    def write(self, s: str, /) -> int:
        return sys.stdout.write(inert.json_text(s))


def emit(fmt: str, data: bytes, output: Path | None, notify: Callable[[str], None]) -> None:
    """One rendered format: raw on standard output (made safe for a terminal there), or to `output`."""
    if output is None:
        is_json = fmt == JSON or FORMATS[fmt].is_json
        text = inert.stdout_text(data.decode(), is_json=is_json, is_terminal=sys.stdout.isatty())
        sys.stdout.buffer.write(text.encode())
        sys.stdout.flush()
        return
    with writing(output, f"the {fmt} output"):
        output.write_bytes(data)
    notify(f"{fmt} written to {output}")


def deliver(ev: Evaluation, delivery: Delivery, console: Console, notify: Callable[[str], None]) -> Delivered:
    """Print the summary to `console`, write the asked-for format and pack (`notify` hears where each
    went), and choose the exit code (explained by EXPLAIN)."""
    if not console.quiet:  # --quiet: the summary's tables are not even built (0.2 s of a small iac run)
        console_report.render(ev, console)
    fmt = JSON if delivery.output_format == CONSOLE and delivery.output is not None else delivery.output_format
    written = None
    if fmt == JSON and delivery.pack is None:  # streamed: a 300,000-result document never sits in memory
        if delivery.output is None:
            results_json.write(ev, cast(TextIO, _InertJsonOut()))  # it only calls write()
        else:
            with writing(delivery.output, "the results"), delivery.output.open("w", encoding="utf-8") as fp:
                results_json.write(ev, fp)
            notify(f"results written to {delivery.output}")
    elif fmt != CONSOLE or delivery.pack is not None:
        raw = results_json.render(ev).encode()
        doc = json.loads(raw) if fmt != JSON or delivery.pack is not None else {}
        if fmt != CONSOLE:
            emit(fmt, raw if fmt == JSON else render(fmt, doc), delivery.output, notify)
        if delivery.pack is not None:
            written = write_pack(
                delivery.pack,
                raw,
                doc,
                snapshot_bytes(ev.snapshot),
                sign_key=delivery.sign_key,
                as_zip=delivery.as_zip,
                extra=custom_controls(ev.catalog),
                kms_key=delivery.kms_key,
            )
            notify(f"evidence pack: {len(written.files)} files in {written.where}")
    new_only = ev.baseline.new_ids() if ev.baseline is not None else None
    code = exit_code(
        ev.results,
        delivery.fail_on,
        len(ev.snapshot.errors),
        new_only=new_only,
        allow_incomplete=delivery.allow_incomplete,
    )
    return Delivered(ev, written, code)

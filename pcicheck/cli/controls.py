"""`pcicheck controls`: list, show, validate and test the control catalog, and its coverage of PCI DSS."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from pcicheck.cli.options import ControlsOpt, Framework, FrameworkOpt, ListFormat, ListFormatOpt
from pcicheck.cli.output import say, stdout
from pcicheck.errors import ExitCode, InputError
from pcicheck.model import DOMAINS

if TYPE_CHECKING:
    from pcicheck.catalog import Catalog
    from pcicheck.evaluate.controltests import CaseOutcome
    from pcicheck.model import Control

app = typer.Typer(help="List, show, validate and test controls.", no_args_is_help=True)


@app.command("list")
def controls_list(
    domain: Annotated[str | None, typer.Option(help=f"One of: {', '.join(DOMAINS)}.")] = None,
    requirement: Annotated[
        str | None, typer.Option(help="A requirement id (e.g. 3.6.4); matches it and everything under it.")
    ] = None,
    resource: Annotated[str | None, typer.Option(help="A resource type, e.g. aws.kms.key.")] = None,
    framework: FrameworkOpt = Framework.v321,
    output_format: ListFormatOpt = ListFormat.table,
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
    stdout().print(table)


def _control_summary(c: Control) -> dict[str, Any]:
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


@app.command("coverage")
def controls_coverage(
    framework: FrameworkOpt = Framework.v401,
    output_format: ListFormatOpt = ListFormat.table,
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
    console = stdout()
    by_domain = Table(title=f"{len(catalog.controls)} controls by domain", title_justify="left")
    for col in ("domain", *PROVIDERS, "total"):
        by_domain.add_column(col, justify="left" if col == "domain" else "right")
    for domain, counts in coverage.by_domain.items():
        by_domain.add_row(domain, *(str(counts[p]) for p in PROVIDERS), str(sum(counts.values())))
    console.print(by_domain)
    by_req = Table(title=f"{framework.value}: controls by principal requirement", title_justify="left")
    for col in ("req", "title", "controls", "testable requirements covered", "configuration procedures covered"):
        by_req.add_column(col, overflow="fold", justify="right" if col in ("controls", "req") else "left")
    for row in coverage.principals:
        by_req.add_row(
            row.id,
            Text(row.title),
            str(row.controls),
            f"{row.covered} of {row.testable}",
            f"{row.procedures_covered} of {row.procedures}",
        )
    console.print(by_req)
    console.print(
        Text(
            "where the mappings come from: "
            + ", ".join(f"{source} {n}" for source, n in coverage.basis.items())
            + " (pci-ssc: PCI SSC documents; aws: AWS-published mappings; peer: a named peer's; inferred: ours)"
        )
    )
    console.print(
        Text(f"testable requirements with no control ({len(coverage.uncovered)}): {', '.join(coverage.uncovered)}")
    )


@app.command("show")
def controls_show(
    control_id: Annotated[str, typer.Argument(metavar="ID")],
    controls: ControlsOpt = None,
) -> None:
    """Show one control in full."""
    from pcicheck.catalog import load_catalog

    c = load_catalog(controls or ()).control(control_id)
    console = stdout()
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
        *(
            (("site params", ", ".join(c.site_params) + " (no default: set in pcicheck.yaml)"),)
            if c.site_params
            else ()
        ),
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


def _checked_catalog(directory: Path | None) -> tuple[Catalog, list[CaseOutcome]]:
    """Load a catalog (every problem printed as file:line, then exit 2) and run its embedded cases."""
    from pcicheck.catalog import CatalogInvalid, load_catalog
    from pcicheck.evaluate.controltests import run_control_tests

    dirs, builtin = _catalog_dirs(directory)
    try:
        catalog = load_catalog(dirs, builtin=builtin)
    except CatalogInvalid as exc:
        for p in exc.problems:
            say(str(p))
        raise typer.Exit(ExitCode.INVALID) from None
    return catalog, run_control_tests(catalog.controls)


def _case_failure(o: CaseOutcome) -> str:
    return (
        f"{o.control.path}:{o.case.line}: {o.control.id} / test {o.case.name!r} expected {o.case.expect.value}, "
        f"got {o.status.value} ({o.message})"
    )


@app.command("validate")
def controls_validate(
    directory: Annotated[
        Path | None, typer.Argument(help="A directory of controls (default: the built-in catalog).")
    ] = None,
) -> None:
    """Check every control file and run its embedded tests; print each problem as file:line."""
    catalog, outcomes = _checked_catalog(directory)
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        say(_case_failure(o))
    if failed:
        raise typer.Exit(ExitCode.INVALID)
    say(f"{len(catalog.controls)} controls valid")
    if directory is None:
        from pcicheck.iac.mapping import load_mapping

        mapping = load_mapping()
        say(f"{len(mapping.checks)} Checkov checks mapped to PCI DSS ({mapping.path})")


@app.command("test")
def controls_test(
    directory: Annotated[
        Path | None, typer.Argument(help="A directory of controls (default: the built-in catalog).")
    ] = None,
) -> None:
    """Run each control's embedded pass/fail cases and count them."""
    catalog, outcomes = _checked_catalog(directory)
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        say("FAIL " + _case_failure(o))
    say(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed ({len(catalog.controls)} controls)")
    raise typer.Exit(ExitCode.INVALID if failed else ExitCode.OK)

"""`pcicheck waivers validate`: waiver files checked offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pcicheck.cli.options import ControlsOpt
from pcicheck.cli.output import say
from pcicheck.errors import ExitCode

app = typer.Typer(help="Check waiver files.", no_args_is_help=True)


@app.command("validate")
def waivers_validate(
    files: Annotated[list[Path], typer.Argument(help="Waiver files (or a pcicheck.yaml with a waivers section).")],
    controls: ControlsOpt = None,
    warn_days: Annotated[int, typer.Option("--warn-days", help="Flag waivers expiring within this many days.")] = 30,
) -> None:
    """Check waiver files offline (fields, dates, known controls) and list which have expired or expire
    soon: exit 1 when one has expired, 2 when a file is invalid."""
    import datetime as dt

    from pcicheck.catalog import load_catalog
    from pcicheck.config import check_params, load_config
    from pcicheck.evaluate.waiving import check_controls
    from pcicheck.waivers import load_waivers

    catalog = load_catalog(controls or ())
    known = {c.id for c in catalog.controls}
    today = dt.datetime.now(dt.UTC).date()
    expired = 0
    for path in files:
        if path.name == "pcicheck.yaml":
            config = load_config(path)
            check_params(config, {c.id: c.params for c in catalog.controls})  # the whole file is checked
            waivers = config.waivers
        else:
            waivers = load_waivers(path)
        check_controls(waivers, known)
        for w in waivers:
            if w.expires < today:
                expired += 1
                say(f"{w.where}: waiver {w.id} expired on {w.expires}")
            elif (w.expires - today).days <= warn_days:
                say(f"{w.where}: waiver {w.id} expires on {w.expires} ({(w.expires - today).days} days)")
        say(f"{path}: {len(waivers)} waivers valid")
    raise typer.Exit(ExitCode.FINDINGS if expired else ExitCode.OK)

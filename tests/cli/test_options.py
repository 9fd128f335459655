"""Option groups: a command parameter annotated with a group stands for the group's options, spliced
into the command's signature where it stands, and the command receives the group filled in."""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.testing import CliRunner

from pcicheck.cli.main import app as pcicheck_app
from pcicheck.cli.options import Judging, Outputs, Pack, QuietOpt, grouped
from pcicheck.model import Severity


def test_a_group_is_spliced_in_place_and_arrives_filled() -> None:
    seen: dict[str, Any] = {}
    app = typer.Typer()

    @app.command()
    @grouped
    def command(first: QuietOpt = False, outputs: Outputs = Outputs(), pack: Pack = Pack()) -> None:
        seen.update(first=first, outputs=outputs, pack=pack)

    @app.command()
    def other() -> None:  # two commands, so `command` is a subcommand as in pcicheck
        pass

    result = CliRunner().invoke(app, ["command", "-q", "--fail-on", "high", "--out", "pack", "--zip"])
    assert result.exit_code == 0, result.output
    assert seen["first"] is True
    assert seen["outputs"] == Outputs(fail_on=Severity.HIGH)
    assert seen["pack"] == Pack(pack="pack", as_zip=True)


def test_every_option_of_a_group_is_listed_in_order_in_help() -> None:
    result = CliRunner().invoke(pcicheck_app, ["evaluate", "--help"], env={"COLUMNS": "200"})
    flags = ["--framework", "--fail-on", "--format", "--output", "--out", "--zip", "--sign-key", "--waivers"]
    flags += ["--baseline", "--allow-incomplete", "--controls", "--config", "--quiet"]
    positions = [re.search(rf" {flag}(?=[\s,/])", result.output).start() for flag in flags]
    assert positions == sorted(positions)
    assert {f.name for f in Judging.__dataclass_fields__.values()} == {
        "waivers",
        "baseline",
        "allow_incomplete",
        "controls",
        "config",
    }

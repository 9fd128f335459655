"""The `pcicheck` program: every command registered on one Typer app, and the one place errors become
exit codes and one-line messages.

Exit codes: 0 clean; 1 findings at or above --fail-on; 2 invalid input or usage;
3 scan incomplete (errors, and no finding at or above --fail-on).
"""

from __future__ import annotations

import os
import sys

import typer
from rich.text import Text
from typer.exceptions import TyperException

from pcicheck.cli import controls, history, packs, scan, segmentation, tools, waivers
from pcicheck.cli import iac as iac_command
from pcicheck.cli.options import EXIT_CODES_HELP
from pcicheck.cli.output import say_error, stderr
from pcicheck.errors import ExitCode, PcicheckError

app = typer.Typer(
    name="pcicheck",
    help="Prove or disprove that a cloud payments platform meets PCI DSS, with evidence an auditor can accept.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(controls.app, name="controls")
app.add_typer(waivers.app, name="waivers")
app.add_typer(segmentation.app, name="segmentation")
# In the order `pcicheck --help` lists them.
app.command(epilog=EXIT_CODES_HELP)(scan.scan)
app.command(epilog=EXIT_CODES_HELP)(scan.collect)
app.command()(scan.merge)
app.command(epilog=EXIT_CODES_HELP)(scan.evaluate)
app.command()(packs.report)
app.command("diff")(packs.diff_results)
app.command()(packs.verify)
app.command()(history.history)
app.command("security-hub")(packs.security_hub)
app.command()(tools.demo)
app.command("iam-policy")(tools.iam_policy)
app.command("k8s-clusterrole")(tools.k8s_clusterrole)
app.command()(tools.version)
app.command(epilog=EXIT_CODES_HELP)(iac_command.iac)


def main(argv: list[str] | None = None) -> int:
    try:
        # The arguments travel with the run, for the report's record of how it was invoked (invocation.py).
        args = list(sys.argv[1:] if argv is None else argv)
        result = app(args=args, prog_name="pcicheck", standalone_mode=False, obj={"argv": args})
    except PcicheckError as exc:
        say_error(str(exc))
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        stderr().print(Text("pcicheck: aborted"))
        return 130
    except TyperException as exc:  # usage errors: bad flag, bad value, missing argument
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx else "pcicheck"
        say_error(f"{exc.format_message()} (see `{command} --help`)")
        return int(ExitCode.INVALID)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in pcicheck, not the user's input: still one line, unless asked
        if os.environ.get("PCICHECK_DEBUG"):
            raise
        say_error(f"internal error: {type(exc).__name__}: {exc} (PCICHECK_DEBUG=1 shows the traceback)")
        return int(ExitCode.INVALID)
    return int(result) if isinstance(result, int) else 0

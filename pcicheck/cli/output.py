"""What the CLI prints: plain one-line messages on stderr, and rich consoles for tables and summaries."""

from __future__ import annotations

import sys

from rich.console import Console


def say(line: str) -> None:
    """One plain line on stderr: never wrapped, never markup (file:line problems must stay greppable)."""
    sys.stderr.write(" ".join(line.split()) + "\n")


def say_error(message: str) -> None:
    say(f"pcicheck: error: {message}")


def stdout() -> Console:
    from pcicheck.report.console import make_console

    return make_console(stderr=False)


def stderr(quiet: bool = False) -> Console:
    from pcicheck.report.console import make_console

    return make_console(quiet=quiet)

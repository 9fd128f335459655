"""What the CLI prints: plain one-line messages on stderr, and rich consoles for tables and summaries.

Every line reaches the terminal through one of the two, and both make untrusted text inert
(pcicheck.inert.terminal): a name cannot set the window title, draw a hyperlink or clear the screen.
"""

from __future__ import annotations

import sys

from rich.console import Console

from pcicheck.inert import terminal
from pcicheck.redact import redact_text


def say(line: str) -> None:
    """One plain line on stderr: never wrapped, never markup (file:line problems must stay greppable),
    its control characters shown as escapes (a carriage return too: it would let a name overwrite the line),
    and credentials redacted (an error may quote the input it could not read)."""
    sys.stderr.write(" ".join(terminal(redact_text(line)).split()) + "\n")


def say_error(message: str) -> None:
    say(f"pcicheck: error: {message}")


def stdout() -> Console:
    from pcicheck.report.console import make_console

    return make_console(stderr=False)


def stderr(quiet: bool = False) -> Console:
    from pcicheck.report.console import make_console

    return make_console(quiet=quiet)

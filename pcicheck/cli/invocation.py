"""Who ran pcicheck, where and how: the operator, host, command line and time zone a report records, so
an assessor knows whose run the evidence comes from and can run it again."""

from __future__ import annotations

import datetime as dt
import getpass
import shlex
import socket
import sys

import typer

# Options whose value is not for a report to repeat: an external id guards a role as a shared secret does.
_SECRET_OPTIONS = ("--external-id",)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): say so rather than guess
        return "unknown"


def _command(argv: list[str]) -> str:
    shown = []
    hide_next = False
    for arg in argv:
        if hide_next:
            shown.append("REDACTED")
            hide_next = False
            continue
        name, eq, _ = arg.partition("=")
        if name in _SECRET_OPTIONS:
            shown.append(f"{name}=REDACTED" if eq else arg)
            hide_next = not eq
            continue
        shown.append(arg)
    return shlex.join(["pcicheck", *shown])


def invocation(ctx: typer.Context) -> dict[str, str]:
    """This run: the arguments `main` was given (else the process's), the user, the host, the time zone."""
    root = ctx.find_root().obj
    given = root.get("argv") if isinstance(root, dict) else None
    argv = [str(a) for a in (given if given is not None else sys.argv[1:])]
    now = dt.datetime.now().astimezone()
    return {
        "operator": _operator(),
        "host": socket.gethostname(),
        "command": _command(argv),
        "time_zone": f"{now.tzname()} (UTC{now.strftime('%z')})",
    }

"""Exit codes and the one error class the CLI catches."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # a failed control at or above --fail-on
    INVALID = 2  # bad input or usage: nothing was evaluated
    INCOMPLETE = 3  # some results are `error` and no finding reached the threshold


class PcicheckError(Exception):
    """An error the user can fix: printed as one line, never a traceback."""

    exit_code: ExitCode = ExitCode.INVALID

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, fix: str | None = None
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        tail = f" ({self.fix})" if self.fix else ""
        return f"{where}{self.message}{tail}"


class InputError(PcicheckError):
    """A file, flag or value pcicheck was given is malformed."""


class CollectionFailed(PcicheckError):
    """Nothing at all could be collected (no credentials, endpoint unreachable)."""

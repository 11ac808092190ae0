"""Domain errors.

They know nothing of HTTP or terminals: the CLI turns any :class:`GapwatchError` into one red line and
exit code 1, the web layer into a GOV.UK-styled error page or the JSON error shape. Anything else that
escapes is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Conflict",
    "Forbidden",
    "GapwatchError",
    "InsufficientData",
    "InvalidInput",
    "NotFound",
    "Problem",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input, located as precisely as we can (file, line, row, field)."""

    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class GapwatchError(Exception):
    """Base class of every error a user may see. ``hint`` says what to do about it."""

    status_code = 400
    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(GapwatchError):
    """Input (a file, a form, an argument) is wrong. Carries every problem found, not just the first."""

    code = "invalid_input"
    status_code = 422

    def __init__(self, message: str, *, problems: list[Problem] | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems: list[Problem] = list(problems or [])


class NotFound(GapwatchError):
    """Something named by the user does not exist."""

    code = "not_found"
    status_code = 404


class Conflict(GapwatchError):
    """The change clashes with the current state (an edit made by someone else, a cycle closed twice)."""

    code = "conflict"
    status_code = 409

    def __init__(self, message: str, *, hint: str | None = None, current: object | None = None) -> None:
        super().__init__(message, hint=hint)
        self.current = current


class Forbidden(GapwatchError):
    """The user is known but may not do this."""

    code = "forbidden"
    status_code = 403


class InsufficientData(GapwatchError):
    """A statistic or answer cannot honestly be given from the data available."""

    code = "insufficient_data"
    status_code = 422

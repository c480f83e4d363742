"""The one error type users see: it names the file, the field and the reason."""

from __future__ import annotations


class ScenarioError(Exception):
    """Bad user input: a scenario, a sweep file, an override or an output folder.

    The CLI prints it as ``file: field: reason`` and exits with status ``exit_status`` (2).
    """

    exit_status = 2

    def __init__(self, reason: str, *, file: str | None = None, field: str | None = None):
        self.reason = reason
        self.file = file
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.field) if p]
        return ": ".join([*parts, self.reason])


class OutputError(ScenarioError):
    """Writing the results failed (disk full, I/O fault): nothing was left behind; exit status 1."""

    exit_status = 1

"""What can go wrong with an input, and the exit codes the command line answers with.

Kept free of heavy imports (no pandas, no solver) so the CLI can classify any failure without
loading the engine. ``validate`` and ``scenario`` re-export their error classes from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: exit codes of every command (README, "Exit codes"); each is tested in tests/test_cli_contracts.py
EXIT_OK = 0  # solved: optimal, or a time limit with an incumbent
EXIT_INTERNAL = 1  # an unexpected internal error (a bug: please report it)
EXIT_INPUT = 2  # bad model, scenario, file or command-line usage
EXIT_INFEASIBLE = 3  # infeasible or unbounded
EXIT_NO_SOLUTION = 4  # the time limit came before any solution
EXIT_SIGINT = 130  # interrupted by Ctrl-C (SIGINT)
EXIT_SIGTERM = 143  # stopped by SIGTERM


@dataclass(frozen=True)
class Problem:
    """One finding of validation: ``table:row:column: found, expected ...``.

    ``row`` is the CSV line or sheet row (header = 1), ``-`` for a whole table or column.
    """

    table: str
    row: int | str
    column: str
    found: str
    expected: str

    def __post_init__(self) -> None:
        if not isinstance(self.row, str):  # numpy integers from a frame index
            object.__setattr__(self, "row", int(self.row))

    def __str__(self) -> str:
        return f"{self.table}:{self.row}:{self.column}: {self.found}, expected {self.expected}"


class ModelValidationError(ValueError):
    """All problems found in a model; ``problems`` lists them in file order."""

    def __init__(self, source: Any, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


class ScenarioError(ValueError):
    """A scenario that cannot be applied; the message names the file, the key and the reason."""


class InputError(ValueError):
    """A file or argument that cannot be used at all (not a study folder, unknown run id, ...)."""


class Interrupted(KeyboardInterrupt):
    """A command stopped by a signal (``signum``: SIGINT or SIGTERM) after keeping what it had
    finished; the message is the one line the command line prints."""

    def __init__(self, signum: int, message: str):
        self.signum = signum
        super().__init__(message)

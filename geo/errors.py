"""User-facing errors: one clear line naming the file, column or value."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: reported as one line, exit code 2 in the CLI, never a traceback."""

    def __init__(self, message: str, *, path: object | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path is not None else message)

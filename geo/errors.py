"""User-facing errors: one clear line naming the file, column or value.

:class:`InputError` is a :class:`ValueError`; catch one of its subclasses to handle only one
kind of bad input:

* :class:`ConfigError`: the place config (TOML) or a setting;
* :class:`DataError`: a source file's rows, columns, values or geometry;
* :class:`NetworkError`: a road network (OSM file, download) or a travel mode.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "InputError", "NetworkError"]


class InputError(ValueError):
    """Bad input from the user: reported as one line, exit code 2 in the CLI, never a traceback."""

    def __init__(self, message: str, *, path: object | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path is not None else message)


class ConfigError(InputError):
    """A place config or setting is wrong (unknown key, bad value, impossible CRS...)."""


class DataError(InputError):
    """A source file's contents are wrong (missing column, bad value, broken geometry...)."""


class NetworkError(InputError):
    """A road network or travel mode cannot be used (unreadable OSM, unknown mode...)."""

"""Storage failures (disk full, read-only, permission denied) as one line naming the path."""

from __future__ import annotations

import errno
import sqlite3

__all__ = ["storage_problem"]

_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "the path is a folder, not a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENAMETOOLONG: "the file name is too long",
}
_TEXTS = (
    ("database or disk is full", "the disk is full"),
    ("no space left on device", "the disk is full"),
    ("disk quota exceeded", "the disk quota is exceeded"),
    ("read-only file system", "the file system is read-only"),
    ("attempt to write a readonly database", "the file system is read-only"),
    ("permission denied", "permission denied"),
)


def storage_problem(exc: BaseException) -> str | None:
    """What went wrong when ``exc`` is a storage failure (``"the disk is full"``), else None.

    Recognises ``OSError`` numbers and the messages SQLite and GDAL give for the same
    conditions (they often carry no errno), following ``__cause__``/``__context__``.
    """
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        exc = current
        if isinstance(exc, OSError) and exc.errno in _ERRNOS:
            return _ERRNOS[exc.errno]
        if isinstance(exc, OSError | sqlite3.Error) or type(exc).__module__.startswith("pyogrio"):
            text = str(exc).lower()
            for needle, problem in _TEXTS:
                if needle in text:
                    return problem
        current = exc.__cause__ or exc.__context__
        seen += 1
    return None


def storage_path(exc: BaseException, default: object | None = None) -> object | None:
    """The file an ``OSError`` names, else ``default``.

    A failed rename names the temporary file first and the user's file second
    (``filename2``): the user's file is the one to show.
    """
    return getattr(exc, "filename2", None) or getattr(exc, "filename", None) or default

"""One small SQL store over SQLite (a file, WAL mode) or PostgreSQL (psycopg 3).

Saved scenarios (:mod:`geo.siting.scenarios`) and shared edits (:mod:`geo.place.edits`) keep
their rows through :class:`SqlStore`: a write is one transaction (SQLite ``BEGIN IMMEDIATE``
with a busy timeout, so several processes can write at once without losing anything;
PostgreSQL one transaction, the schema created under an advisory lock), and reading never
creates a database that does not exist yet.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from geo.errors import ConfigError, InputError

ENV_URL = "HUBPLAN_DATABASE_URL"
_BUSY_SECONDS = 60.0
_SCHEMA_LOCK = 7_314_027_001  # advisory lock id for schema creation


def open_sqlite(path: Path, *, what: str) -> sqlite3.Connection:
    """Open ``path`` in WAL mode, waiting out other writers.

    Switching the journal mode (and recovering a WAL another process is opening) can
    return ``SQLITE_BUSY`` at once, without consulting the busy handler, so opening is
    retried with a short back-off until ``_BUSY_SECONDS`` have passed.
    """
    deadline = time.monotonic() + _BUSY_SECONDS
    pause = 0.01
    while True:
        con = None
        try:
            con = sqlite3.connect(path, timeout=_BUSY_SECONDS, isolation_level=None)
            con.execute(f"PRAGMA busy_timeout = {int(_BUSY_SECONDS * 1000)}")
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = NORMAL")
            return con
        except sqlite3.Error as exc:
            if con is not None:
                con.close()
            busy = isinstance(exc, sqlite3.OperationalError) and (
                "locked" in str(exc) or "busy" in str(exc)
            )
            if not busy and out_of_space(Path(path).parent):
                # SQLite says "disk I/O error" when WAL files cannot be made on a full disk.
                raise InputError(
                    f"cannot open the {what} database: the disk is full ({exc})", path=path
                ) from None
            if not busy or time.monotonic() > deadline:
                raise InputError(f"cannot open the {what} database: {exc}", path=path) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


#: Less free space than this, after a write failed, means the write failed for want of space.
NEARLY_FULL_BYTES = 1 << 20


def out_of_space(folder: Path) -> bool:
    """Whether the file system holding ``folder`` is (all but) full.

    SQLite and GDAL do not always say so when they run out of space ("disk I/O error", "no
    such table: gpkg_contents"); asked right after a failed write, this tells the two apart.
    """
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def short(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters."""
    return " ".join(str(exc).split())[:200]


class SqlStore:
    """Rows in one table set, in SQLite (``path``) or PostgreSQL (``url``).

    Subclasses set :attr:`WHAT` (a word for messages), :attr:`SCHEMA` (``CREATE TABLE IF NOT
    EXISTS`` statements separated by ``;``) and :attr:`TABLE` (a table whose presence means the
    schema exists). SQL is written with ``?`` placeholders; :meth:`q` adapts it.
    """

    WHAT = "database"
    SCHEMA = ""
    TABLE = ""

    def __init__(self, *, path: str | Path | None = None, url: str | None = None) -> None:
        if not url and path is None:
            raise ConfigError(f"a {self.WHAT} store needs a SQLite path or a database URL")
        self.url = url or None
        self.path = None if self.url or path is None else Path(path).expanduser().resolve()
        self._ready = False

    @property
    def backend(self) -> str:
        return "postgresql" if self.url else "sqlite"

    def describe(self) -> str:
        """Where the rows are kept, without any password or local path."""
        if self.url:
            parts = urlsplit(self.url)
            host = parts.hostname or "local socket"
            return f"PostgreSQL {host}:{parts.port or 5432}{parts.path}"
        assert self.path is not None
        return f"SQLite {self.path.name}"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A connection (closed afterwards); a failure to connect is one clear line."""
        if self.url:
            import psycopg

            try:
                con = psycopg.connect(self.url, connect_timeout=10)
            except psycopg.Error as exc:
                raise InputError(
                    f"cannot connect to the {self.WHAT} database: {short(exc)}"
                ) from None
            try:
                yield con
            finally:
                con.close()
            return
        assert self.path is not None
        folder = self.path.parent
        if not folder.is_dir():
            raise InputError(f"folder for the {self.WHAT} database does not exist", path=folder)
        lite = open_sqlite(self.path, what=self.WHAT)
        try:
            yield lite
        finally:
            lite.close()

    def q(self, sql: str) -> str:
        """``sql`` with the backend's placeholders."""
        return sql.replace("?", "%s") if self.url else sql

    @contextmanager
    def transaction(self, *, lock: int | None = None) -> Iterator[Any]:
        """One write transaction, the schema ensured first.

        ``lock`` (PostgreSQL) takes that transaction-scoped advisory lock first, so writers of
        the same key wait for each other; SQLite's ``BEGIN IMMEDIATE`` already serialises them.
        """
        with self.connect() as con:
            if self.url:
                with con.transaction():
                    self._ensure(con)
                    if lock is not None:
                        con.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
                    yield con
                return
            con.execute("BEGIN IMMEDIATE")
            try:
                self._ensure(con)
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _ensure(self, con: Any) -> None:
        if self._ready:
            return
        if self.url:
            con.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        for statement in filter(str.strip, self.SCHEMA.split(";")):
            con.execute(statement)
        self._ready = True

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of a query; ``[]`` when the database or its table does not exist yet."""
        if self.path is not None and not self.path.exists():
            return []  # reading never creates the database file
        with self.connect() as con:
            if self.url:
                with con.transaction():
                    exists = con.execute("SELECT to_regclass(%s)", (self.TABLE,)).fetchone()[0]
                    return con.execute(self.q(sql), params).fetchall() if exists else []
            found = con.execute(
                "SELECT 1 FROM sqlite_master WHERE name = ?", (self.TABLE,)
            ).fetchone()
            return con.execute(sql, params).fetchall() if found else []

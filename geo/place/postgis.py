"""Places in PostgreSQL/PostGIS: one schema per place, replaced atomically.

A place URL is a PostgreSQL URL naming the schema that holds the place::

    postgresql://user@host:5432/db?schema=wigan

The schema holds the same tables as a GeoPackage bundle (:mod:`geo.place.bundle`): ``areas``,
``footprints`` and ``sites`` with PostGIS geometry in the working CRS (QGIS opens them
directly), ``catalogue``, ``attributions``, ``findings``, ``meta`` and the place's other tables.
This module moves those tables in and out (geopandas ``to_postgis``/``read_postgis`` over
SQLAlchemy and psycopg 3); :mod:`geo.place.bundle` turns them into a :class:`Place`.

Writing is atomic: every table goes into a temporary schema, then one transaction drops the
old place's tables and schema and renames the temporary schema (a temporary schema whose
writer died is dropped by the next writer: each writer holds a session advisory lock on its
own). Readers hold a shared advisory
lock for the place while they read, so a reader sees either the old place or the new one,
never a mixture. A password in a URL never appears in a message: places are described as
``schema@host/db`` (:func:`describe`).
"""

from __future__ import annotations

import re
import uuid
import warnings
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

from geo.errors import InputError

__all__ = ["PostgisPlace", "describe", "is_database_url", "parse_url"]

_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
_RESERVED = {"public", "information_schema", "topology", "tiger", "tiger_data"}
_TEMP_MARK = "__hubplan_tmp_"
_LOCK_BASE = 7_314_027_100  # advisory lock ids: this plus a digest of db/schema


def is_database_url(spec: object) -> bool:
    """Whether ``spec`` is a PostgreSQL URL (``postgresql://``, ``postgres://``,
    ``postgresql+psycopg://``) rather than a file path or place name."""
    if isinstance(spec, Path):
        return False
    text = str(spec).strip().lower()
    return any(text.startswith(f"{scheme}://") for scheme in _SCHEMES)


@dataclass(frozen=True)
class PostgisPlace:
    """Where a place lives in PostgreSQL: the server URL (for libpq) and the schema."""

    url: str
    schema: str
    host: str
    database: str

    @property
    def label(self) -> str:
        """``schema@host/db``: names the place without user or password."""
        return f"{self.schema}@{self.host}/{self.database}"

    @property
    def sqlalchemy_url(self) -> str:
        return "postgresql+psycopg://" + self.url.split("://", 1)[1]

    @property
    def lock_id(self) -> int:
        return _LOCK_BASE + zlib.crc32(f"{self.database}/{self.schema}".encode()) % 1_000_000


def parse_url(spec: str) -> PostgisPlace:
    """Split a place URL into the server URL and the schema, checking both.

    Raises
    ------
    geo.errors.InputError
        If the URL has no ``?schema=``, names a schema that cannot hold a place (``public``,
        a system schema, not a lower-case identifier of at most 40 characters) or is not a
        PostgreSQL URL (one line, without the password).
    """
    text = str(spec).strip()
    if not is_database_url(text):
        raise InputError(f"not a PostgreSQL URL: {text[:40]!r}")
    parts = urlsplit(text)
    host = parts.hostname or "localhost"
    database = parts.path.lstrip("/") or (parts.username or "postgres")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    where = f"{host}/{database}"
    if not schemas or not schemas[-1].strip():
        raise InputError(
            f"a PostGIS place URL needs ?schema=NAME (the schema holding the place): {where}"
        )
    schema = schemas[-1].strip()
    if not _SCHEMA_NAME.match(schema):
        raise InputError(
            f"schema {schema!r} is not a usable place name (lower-case letters, digits and _, "
            f"starting with a letter or _, at most 40 characters): {where}"
        )
    if schema in _RESERVED or schema.startswith("pg_") or _TEMP_MARK in schema:
        raise InputError(
            f"schema {schema!r} is reserved; choose another name for the place: {where}"
        )
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    url = urlunsplit(("postgresql", parts.netloc, parts.path, rest, ""))
    return PostgisPlace(url=url, schema=schema, host=host, database=database)


def describe(spec: object) -> str:
    """How to name a place in a message: ``schema@host/db`` for a URL, else the path."""
    if is_database_url(spec):
        try:
            return parse_url(str(spec)).label
        except InputError:
            return "PostgreSQL place (bad URL)"
    return str(spec)


def _short(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return text.split(" [SQL:")[0][:200]


@contextmanager
def _connection(place: PostgisPlace) -> Iterator[Any]:
    """A SQLAlchemy connection (one transaction; commit by the caller) or one clear line."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(
        place.sqlalchemy_url, poolclass=NullPool, connect_args={"connect_timeout": 10}
    )
    try:
        try:
            con = engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            raise InputError(
                f"cannot connect to PostgreSQL for {place.label}: {_short(exc)}"
            ) from None
        try:
            yield con
        finally:
            con.close()
    finally:
        engine.dispose()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(con: Any, schema: str) -> list[str]:
    from sqlalchemy import text

    rows = con.execute(
        text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
            "AND table_type = 'BASE TABLE' ORDER BY table_name"
        ),
        {"s": schema},
    ).fetchall()
    return [str(r[0]) for r in rows]


def _meta_format(con: Any, schema: str) -> str | None:
    from sqlalchemy import text

    try:
        row = con.execute(
            text(f"SELECT value FROM {_q(schema)}.meta WHERE key = 'format'")
        ).fetchone()
    except Exception:
        return None
    return None if row is None else str(row[0])


def place_exists(spec: str) -> bool:
    """Whether the schema of the place URL ``spec`` exists (holding a place or not)."""
    place = parse_url(spec)
    from sqlalchemy import text

    with _connection(place) as con:
        found = con.execute(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": place.schema}
        ).fetchone()
    return found is not None


def _ensure_postgis(con: Any, place: PostgisPlace) -> None:
    from sqlalchemy import text

    have = con.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).fetchone()
    if have:
        return
    try:
        con.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        con.commit()
    except Exception as exc:
        con.rollback()
        raise InputError(
            f"the database of {place.label} has no postgis extension and this role cannot "
            f"create it (ask an administrator to run CREATE EXTENSION postgis): {_short(exc)}"
        ) from None


def write_tables(spec: str, frames: Mapping[str, pd.DataFrame], *, fmt: str) -> str:
    """Write ``frames`` (table name -> frame) as the place at ``spec``, atomically.

    GeoDataFrames become PostGIS tables in their own CRS (with a spatial index); the others
    plain tables. ``fmt`` is the ``format`` a schema being replaced must have in its ``meta``
    table, so a schema holding anything but a place is never dropped. Returns ``spec``.

    Raises
    ------
    geo.errors.InputError
        If the server cannot be reached, the ``postgis`` extension is missing and cannot be
        created, the schema holds something that is not a place, or a write fails (the old
        place is then left as it was).
    """
    import geopandas as gpd
    from sqlalchemy import text

    place = parse_url(spec)
    tmp = f"{place.schema}{_TEMP_MARK}{uuid.uuid4().hex[:8]}"
    with _connection(place) as con:
        _ensure_postgis(con, place)
        existing = _tables(con, place.schema)
        if existing and _meta_format(con, place.schema) != fmt:
            raise InputError(
                f"schema {place.schema!r} already holds tables that are not a hubplan place; "
                f"choose another schema (nothing was changed): {place.label}"
            )
        con.rollback()
        # A session lock marks the temp schema as in use until this connection ends, so a
        # later writer can tell a dead writer's leftover from one still being written.
        con.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _temp_lock(tmp)})
        con.commit()
        _drop_stale_temps(con, place.schema)
        try:
            con.execute(text(f"CREATE SCHEMA {_q(tmp)}"))
            for name, frame in frames.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if isinstance(frame, gpd.GeoDataFrame):
                        frame.to_postgis(name, con, schema=tmp, index=False)
                    else:
                        pd.DataFrame(frame).to_sql(name, con, schema=tmp, index=False)
            if "areas" in frames and frames["areas"]["code"].is_unique:
                con.execute(text(f"ALTER TABLE {_q(tmp)}.areas ADD PRIMARY KEY (code)"))
            con.commit()
        except Exception as exc:
            con.rollback()
            _drop_quietly(con, tmp)
            if isinstance(exc, InputError):
                raise
            raise InputError(
                f"cannot write the place to {place.label} (the old place is unchanged): "
                f"{_short(exc)}"
            ) from None
        try:
            con.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": place.lock_id})
            for name in _tables(con, place.schema):
                con.execute(text(f"DROP TABLE {_q(place.schema)}.{_q(name)}"))
            if existing or place_exists_in(con, place.schema):
                con.execute(text(f"DROP SCHEMA {_q(place.schema)}"))
            con.execute(text(f"ALTER SCHEMA {_q(tmp)} RENAME TO {_q(place.schema)}"))
            con.commit()
        except Exception as exc:
            con.rollback()
            _drop_quietly(con, tmp)
            raise InputError(
                f"cannot replace the place in {place.label} (other objects depend on it or "
                f"live in its schema?; the old place is unchanged): {_short(exc)}"
            ) from None
    return spec


def place_exists_in(con: Any, schema: str) -> bool:
    from sqlalchemy import text

    row = con.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema})
    return row.fetchone() is not None


def _temp_lock(tmp: str) -> int:
    return _LOCK_BASE + 1_000_000 + zlib.crc32(tmp.encode()) % 1_000_000


def _drop_stale_temps(con: Any, schema: str) -> None:
    """Drop temp schemas of ``schema`` left by writers that died (their session lock is gone)."""
    from sqlalchemy import text

    rows = con.execute(
        text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :p)"),
        {"p": schema + _TEMP_MARK},
    ).fetchall()
    con.commit()
    for (name,) in rows:
        lock = _temp_lock(str(name))
        if con.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock}).scalar():
            _drop_quietly(con, str(name))
            con.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock})
            con.commit()


def _drop_quietly(con: Any, schema: str) -> None:
    from sqlalchemy import text

    try:
        con.execute(text(f"DROP SCHEMA IF EXISTS {_q(schema)} CASCADE"))
        con.commit()
    except Exception:  # the temp schema is named for its writer; a later look finds it
        con.rollback()


def read_tables(
    spec: str, *, only: tuple[str, ...] | None = None, required: tuple[str, ...] = ()
) -> dict[str, pd.DataFrame]:
    """The place's tables (or ``only`` those), read in one go under the place's read lock.

    Tables with a PostGIS geometry column come back as GeoDataFrames in their SRID's CRS;
    rows keep the order they were written in.

    Raises
    ------
    geo.errors.InputError
        If the server cannot be reached, the schema does not exist or lacks one of
        ``required`` (one line naming ``schema@host/db``).
    """
    import geopandas as gpd
    from sqlalchemy import text

    place = parse_url(spec)
    with _connection(place) as con:
        try:
            con.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": place.lock_id})
            names = _tables(con, place.schema)
            if not names:
                raise InputError(
                    f"no place in schema {place.schema!r} (the schema does not exist or is "
                    f"empty; build one with hubplan build CONFIG --out URL): {place.label}"
                )
            missing = [n for n in required if n not in names]
            if missing:
                raise InputError(
                    f"schema {place.schema!r} is not a complete place (missing "
                    f"{', '.join(missing)}): {place.label}"
                )
            geometry = _geometry_columns(con, place.schema)
            out: dict[str, pd.DataFrame] = {}
            for name in names if only is None else [n for n in only if n in names]:
                sql = text(f"SELECT * FROM {_q(place.schema)}.{_q(name)} ORDER BY ctid")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if name in geometry:
                        column, srid = geometry[name]
                        out[name] = gpd.read_postgis(
                            sql, con, geom_col=column, crs=f"EPSG:{srid}" if srid else None
                        )
                    else:
                        out[name] = pd.read_sql(sql, con)
            con.rollback()
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"cannot read the place in {place.label}: {_short(exc)}") from None
    return out


def _geometry_columns(con: Any, schema: str) -> dict[str, tuple[str, int]]:
    from sqlalchemy import text

    try:
        rows = con.execute(
            text(
                "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
                "WHERE f_table_schema = :s"
            ),
            {"s": schema},
        ).fetchall()
    except Exception as exc:
        raise InputError(f"the database has no PostGIS (geometry_columns): {_short(exc)}") from None
    return {str(t): (str(c), int(s or 0)) for t, c, s in rows}


def short_name(where: object) -> str:
    """A place's store in one short word for messages: ``schema@host/db`` or the file name."""
    if is_database_url(where):
        return describe(where)
    return Path(str(where)).name


def read_stamp(spec: str) -> tuple[str, str]:
    """The place's ``built_at`` and ``place_id`` from its ``meta`` table: one psycopg query,
    so callers can tell cheaply whether the place was rebuilt.

    Raises
    ------
    geo.errors.InputError
        If the server cannot be reached or the schema holds no place (one line).
    """
    import psycopg
    from psycopg import sql

    place = parse_url(spec)
    query = sql.SQL("SELECT key, value FROM {}.meta WHERE key IN ('built_at', 'place_id')").format(
        sql.Identifier(place.schema)
    )
    try:
        con = psycopg.connect(place.url, connect_timeout=10)
    except psycopg.Error as exc:
        raise InputError(f"cannot connect to PostgreSQL for {place.label}: {_short(exc)}") from None
    try:
        with con:
            rows: dict[str, str] = dict(con.execute(query).fetchall())
    except psycopg.errors.UndefinedTable:
        raise InputError(
            f"no place in schema {place.schema!r} (the schema does not exist or is empty; "
            f"build one with hubplan build CONFIG --out URL): {place.label}"
        ) from None
    except psycopg.Error as exc:
        raise InputError(f"cannot read the place in {place.label}: {_short(exc)}") from None
    return str(rows.get("built_at", "")), str(rows.get("place_id", ""))

"""A throwaway PostgreSQL cluster on loopback for tests.

``temporary_cluster()`` runs ``initdb`` into a temp folder and starts the server with
``pg_ctl`` on a free port on 127.0.0.1 (socket in the same folder), yields its URL, then stops
it and removes the folder. As root, the server runs as the ``postgres`` OS user (``runuser``).

The ``postgres_url`` fixture (session scope) skips when the PostgreSQL binaries are absent
(``/usr/lib/postgresql/*/bin`` or ``PATH``), and fails instead under ``REQUIRE_POSTGRES=1``
(``.ci/run`` installs the ``postgresql`` package and sets it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.net import free_port


def bin_dir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl`` (newest installed version), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version(p.parent.name))
    for folder in reversed(found):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextlib.contextmanager
def temporary_cluster() -> Iterator[str]:
    """Start a fresh cluster; yield ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
    folder = bin_dir()
    if folder is None:
        raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found")
    tmp = Path(tempfile.mkdtemp(prefix="hubplan-pg-"))
    data, log = tmp / "data", tmp / "server.log"
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(tmp, user.pw_uid, user.pw_gid)
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(folder / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            **run,
        )
        opts = (
            f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40"
        )
        subprocess.run(
            _as_server_user(
                [str(folder / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "start"]
            ),
            **run,
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                _as_server_user(
                    [str(folder / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
                ),
                check=False,
                capture_output=True,
                timeout=120,
            )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
        tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
        raise RuntimeError(f"PostgreSQL failed to start: {' '.join(detail)} {tail}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a throwaway PostgreSQL server for the test session."""
    if bin_dir() is None:
        msg = "PostgreSQL binaries (initdb, pg_ctl) not found (apt-get install postgresql)"
        if _required():
            pytest.fail(f"{msg}; REQUIRE_POSTGRES=1 so this is an error", pytrace=False)
        pytest.skip(msg)
    with temporary_cluster() as url:
        yield url

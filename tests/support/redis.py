"""A throwaway Redis server on loopback for tests (``redis-server`` from the OS packages).

The ``redis_url`` fixture (session scope) starts ``redis-server`` on a free port of 127.0.0.1
with persistence off, yields ``redis://127.0.0.1:PORT/0`` and stops it by PID. It skips when
``redis-server`` is absent and fails instead under ``REQUIRE_REDIS=1`` or ``CI`` (``.ci/run``
installs the ``redis-server`` package).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

from tests.support.net import free_port


def _required() -> bool:
    flags = (os.environ.get("REQUIRE_REDIS", ""), os.environ.get("CI", ""))
    return any(f.strip().lower() in {"1", "true", "yes", "on"} for f in flags)


def redis_server_path() -> str | None:
    """The ``redis-server`` executable, or ``None`` when it is not installed."""
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


@contextlib.contextmanager
def redis_server(server: str | None = None) -> Iterator[tuple[str, int]]:
    """Run a throwaway ``redis-server`` on a free loopback port; yield ``(url, pid)``.

    Persistence is off and its folder is temporary; the server is stopped by its PID on exit.
    Also used by ``benchmarks/load_test.py --redis``.

    Raises
    ------
    FileNotFoundError
        If ``redis-server`` is not installed.
    RuntimeError
        If it does not answer PING within 30 s.
    """
    server = server or redis_server_path()
    if server is None:
        raise FileNotFoundError("redis-server not found (Debian: apt-get install redis-server)")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="hubplan-redis-")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", folder, "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0", proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    server = redis_server_path()
    if server is None:
        msg = "redis-server not found (Debian: apt-get install redis-server)"
        if _required():
            pytest.fail(f"{msg}; required in CI", pytrace=False)
        pytest.skip(msg)
    with redis_server(server) as (url, _pid):
        yield url

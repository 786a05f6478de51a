"""Entry point: ``hubplan SUBCOMMAND ...``. Bad input -> one line on stderr, exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from geo._version import __version__
from geo.build.storage import storage_path, storage_problem
from geo.errors import InputError
from hubplan.cli import (
    cluster_cmds,
    edits_cmd,
    export_cmds,
    network_cmds,
    place_cmds,
    profile_cmds,
    serve_cmd,
    site_cmds,
)

COMMAND_MODULES = [
    place_cmds,
    profile_cmds,
    site_cmds,
    export_cmds,
    network_cmds,
    cluster_cmds,
    edits_cmd,
    serve_cmd,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubplan",
        description="Locality & Hub Planner: build places, profile footprints, plan hubs.",
    )
    parser.add_argument("--version", action="version", version=f"hubplan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def _written_path(args: argparse.Namespace) -> str | None:
    """The file a command writes (``--out``, else the place bundle it changes), if any."""
    for name in ("out", "place"):
        value = getattr(args, name, None)
        if value and value != "demo":
            return str(value)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"hubplan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hubplan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: never a traceback for users
        problem = storage_problem(exc)
        if problem is not None:  # disk full, read-only, permission: the user's to fix
            where = storage_path(exc) or _written_path(args)
            # A failed rename's text names the temporary file: show only the reason then.
            renamed = isinstance(exc, OSError) and exc.filename2 and exc.strerror
            detail = exc.strerror if renamed else " ".join(str(exc).split())[:200]
            prefix = f"{where}: " if where else ""
            print(f"hubplan: error: {prefix}{problem} ({detail})", file=sys.stderr)
            return 2
        if os.environ.get("HUBPLAN_DEBUG"):
            raise
        msg = " ".join(str(exc).split())[:300]
        print(
            f"hubplan: internal error: {type(exc).__name__}: {msg} (set HUBPLAN_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

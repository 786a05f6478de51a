"""Entry point: ``hubplan SUBCOMMAND ...``. Bad input -> one line on stderr, exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from geo._version import __version__
from geo.errors import InputError
from hubplan.cli import (
    cluster_cmds,
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

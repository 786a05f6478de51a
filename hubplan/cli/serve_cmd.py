"""``hubplan serve``: the dashboard on Flask's built-in server (one process, for one user).

For a team, run gunicorn on :mod:`hubplan.wsgi` instead (``make serve``, ``docs/deploy.md``).
"""

from __future__ import annotations

import argparse
import importlib

from hubplan.settings import add_serve_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the dashboard (default: the synthetic demo on 127.0.0.1:8050)",
        description="Serve the dashboard on Flask's built-in server. For several users use "
        "gunicorn with hubplan.wsgi:application (see docs/deploy.md).",
    )
    add_serve_arguments(p)
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    # The web app imports Dash: only this command pays for it (not a cycle: hubplan.web does
    # not import the CLI).
    web = importlib.import_module("hubplan.web")
    return int(web.serve(args))

"""The dashboard's web-app factory (Dash Pages from :mod:`hubplan.pages`).

Serve it::

    hubplan serve                                  # the synthetic demo on 127.0.0.1:8050
    hubplan serve --place wigan.gpkg --port 8060
    hubplan serve --place path/to/place.toml       # builds the bundle into the cache first
    python app.py ...                              # the same from a checkout

For a WSGI server use the factory (nothing is built at import time)::

    HUBPLAN_PLACE=wigan.gpkg gunicorn 'hubplan.web:create_server()'

or the production set-up in ``docs/deploy.md`` (``gunicorn -c gunicorn.conf.py
hubplan.wsgi:application``: several workers, 127.0.0.1, debug off, optional basic auth from
``$HUBPLAN_BASIC_AUTH``). ``hubplan.web:server`` also works: the module builds the app lazily
on first access of ``server``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets
import sys
import threading
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, dcc, html

from geo.build.places import DEMO, open_place
from geo.errors import InputError
from geo.place.postgis import describe
from hubplan.jobs import ForkGate, background_manager, fork_gate
from hubplan.settings import (
    AUTH_ENV,
    DEFAULT_MAX_REQUEST_MB,
    MAX_REQUEST_ENV,
    add_serve_arguments,
    basic_auth,
    cache_dir,
    default_place,
    max_request_bytes,
    parse_basic_auth,
    secret_key,
)

PACKAGE = Path(__file__).resolve().parent
APP_NAME = "Locality & Hub Planner"
PAGES_LOCATION = "_pages_location"


def assets_folder() -> Path:
    """The stylesheet and scripts: inside the installed package, or ``assets/`` in a checkout."""
    installed = PACKAGE / "assets"
    return installed if installed.is_dir() else PACKAGE.parent / "assets"


__all__ = [
    "APP_NAME",
    "AUTH_ENV",
    "DEFAULT_MAX_REQUEST_MB",
    "MAX_REQUEST_ENV",
    "add_basic_auth",
    "add_serve_arguments",
    "assets_folder",
    "create_app",
    "create_server",
    "main",
    "max_request_bytes",
    "parse_args",
    "parse_basic_auth",
    "prepare_place",
    "serve",
    "warm_up",
]


def prepare_place(spec: str | None) -> str:
    """Check a ``--place`` value and return the spec the app opens.

    No value means ``$HUBPLAN_PLACE`` (every entry point serves it when not told otherwise);
    ``demo``, or nothing at all, gives the demo; a ``.toml`` place config is built into ``data/cache`` (once
    per config content); a bundle path or a name in ``data/places`` is opened to check it.

    Raises
    ------
    geo.errors.InputError
        If the place cannot be found, built or opened (the message names the file).
    """
    spec = spec or default_place()
    if not spec or spec == DEMO:
        return DEMO
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".toml":
        from geo.build.pipeline import build_bundle

        if not path.is_file():
            raise InputError("place config not found", path=path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        out = cache_dir() / f"{path.stem}-{digest}.gpkg"
        if not out.exists():
            print(f"building {out} from {path} ...", file=sys.stderr)
            build_bundle(path, out)
        spec = str(out)
    try:
        place = open_place(spec)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot open place bundle: {exc}", path=describe(spec)) from None
    return str(place.path) if place.path else spec


def _nav_pages() -> list[dict]:
    pages = [p for p in dash.page_registry.values() if not p.get("path_template")]
    return sorted(pages, key=lambda p: (p.get("order") is None, p.get("order") or 0, p["name"]))


def _layout():
    from hubplan.pages._state import place_choices

    choices = place_choices()
    return html.Div(
        [
            html.A("Skip to main content", href="#main-content", className="skip-link"),
            html.Header(
                [
                    html.Div(
                        [
                            html.Span(APP_NAME, className="app-name"),
                            html.Span("children's and family services", className="app-tagline"),
                        ],
                        className="brand",
                    ),
                    html.Nav(
                        [
                            dcc.Link(
                                p["name"],
                                href=p["relative_path"],
                                id={"type": "nav-link", "path": p["relative_path"]},
                                className="nav-link",
                            )
                            for p in _nav_pages()
                        ],
                        id="app-nav",
                        className="app-nav",
                        **{"aria-label": "Pages"},
                    ),
                    html.Div(
                        [
                            html.Label(
                                "Place",
                                htmlFor="place-switcher",
                                className="control-label",
                                id="place-switcher-label",
                            ),
                            html.Div(
                                dcc.Dropdown(
                                    id="place-switcher",
                                    options=[
                                        {"label": c["label"], "value": c["value"]} for c in choices
                                    ],
                                    value=None,
                                    clearable=False,
                                    searchable=False,
                                    className="place-switcher",
                                ),
                                role="group",
                                **{"aria-labelledby": "place-switcher-label"},
                            ),
                        ],
                        className="place-control",
                    ),
                ],
                className="app-header",
            ),
            dcc.Location(id="app-nav-location", refresh="callback-nav"),
            html.Main(dash.page_container, id="main-content", tabIndex="-1"),
        ],
        className="app-shell",
    )


def _register_shell_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("place-switcher", "value"),
        Input(PAGES_LOCATION, "search"),
    )
    def sync_place_switcher(search):
        return switcher_value(search)

    @app.callback(
        Output("app-nav-location", "href"),
        Input("place-switcher", "value"),
        State(PAGES_LOCATION, "pathname"),
        State(PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )
    def switch_place(value, pathname, search):
        return place_switch_href(value, pathname, search)

    @app.callback(
        Output({"type": "nav-link", "path": ALL}, "href"),
        Input(PAGES_LOCATION, "search"),
        State({"type": "nav-link", "path": ALL}, "id"),
    )
    def nav_links(search, ids):
        return nav_hrefs(search, [i["path"] for i in ids])


def nav_hrefs(search: str | None, paths: list[str]) -> list[str]:
    """Nav link targets that keep the current place (omitted for the default place)."""
    from hubplan.pages._state import build_search

    key = switcher_value(search)
    suffix = build_search({"place": key}) if key and key != _default_key() else ""
    return [p + suffix for p in paths]


def _default_key() -> str:
    from hubplan.pages._state import default_place_spec, place_key

    return place_key(default_place_spec())


def switcher_value(search: str | None) -> str:
    """The place-switcher value for a query string (the default key when unknown/absent)."""
    from urllib.parse import parse_qs

    from hubplan.pages._state import place_choices

    asked = parse_qs((search or "").lstrip("?")).get("place", [None])[0]
    keys = {c["value"] for c in place_choices()}
    return asked if asked in keys else _default_key()


def place_switch_href(value: str | None, pathname: str | None, search: str | None):
    """Where choosing ``value`` in the place switcher navigates (``no_update`` if nowhere).

    Keeps the page, drops page state (a footprint in one place means nothing in another).
    """
    from hubplan.pages._state import build_search

    if not value or value == switcher_value(search):
        return dash.no_update
    path = pathname or "/"
    if dash.page_registry:
        # Pages with a path template (e.g. /profile/<footprint>) go to their index instead.
        for page in dash.page_registry.values():
            if page.get("path_template") and path.startswith(page["relative_path"].split("<")[0]):
                path = "/"
    return path + build_search({"place": value})


def create_app(*, place: str = DEMO) -> dash.Dash:
    """Build the Dash app (Dash Pages from ``pages/``) serving ``place`` by default.

    Parameters
    ----------
    place
        ``"demo"`` or a place bundle path (see :func:`prepare_place` for TOML configs).
    """
    from hubplan.pages._state import set_default_place

    set_default_place(place)  # pages read it while the app imports them
    gate = ForkGate()  # background jobs fork only while no other thread works (hubplan.jobs)
    app = dash.Dash(
        "hubplan",  # the package: Dash Pages then names the pages hubplan.pages.<name>
        use_pages=True,
        pages_folder=str(PACKAGE / "pages"),
        assets_folder=str(assets_folder()),
        suppress_callback_exceptions=True,
        background_callback_manager=background_manager(gate=gate),
        title=APP_NAME,
        update_title=None,
    )
    # WCAG 3.1.1: the page's language is announced (Dash's default <html> has none).
    app.index_string = app.index_string.replace("<html>", '<html lang="en-GB">', 1)
    set_default_place(place, app.server)
    app.server.config["MAX_CONTENT_LENGTH"] = max_request_bytes()
    check_environment()
    _refuse_component_traversal(app)
    gate.guard(app.server)
    app.layout = _layout
    _register_shell_callbacks(app)
    add_basic_auth(app, basic_auth())
    _refuse_malformed_callbacks(app)  # after auth: an unauthenticated body is never read
    return app


def check_environment() -> None:
    """Refuse, in one line at start, a ``HUBPLAN_*`` variable the pages would only trip on later.

    Raises
    ------
    geo.errors.ConfigError
        ``HUBPLAN_EDITS_TTL`` is not a number of seconds, ``HUBPLAN_PLACES`` is a file, or
        ``HUBPLAN_DATABASE_URL`` is not a PostgreSQL URL.
    """
    import os

    from geo.errors import ConfigError
    from geo.place._db import ENV_URL
    from geo.place.edits import edits_ttl
    from geo.place.postgis import is_database_url
    from geo.settings import PLACES_ENV, places_dir

    edits_ttl()
    folder = places_dir()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{PLACES_ENV} names a file, not a folder", path=folder)
    url = os.environ.get(ENV_URL, "").strip()
    if url and not is_database_url(url):
        scheme = url.split("://", 1)[0] if "://" in url else ""
        raise ConfigError(
            f"{ENV_URL} must be a PostgreSQL URL (postgresql://USER@HOST/DB)"
            + (f", not {scheme}://…" if scheme else "")
        )


CALLBACK_PATH = "/_dash-update-component"


def _malformed_callback(body: object, callbacks: dict) -> str | None:
    """Why a ``/_dash-update-component`` body is not one Dash's renderer sends, else None."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if not isinstance(body.get("output"), str):
        return "'output' is missing or not a string"
    if body["output"] not in callbacks:
        return "no such callback"
    if not isinstance(body.get("outputs", []), dict | list | None):
        return "'outputs' is not an object or list"
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list):
            return f"'{key}' is not a list"
        for item in items:
            group = item if isinstance(item, list) else [item]
            if not all(isinstance(i, dict) and "id" in i and "property" in i for i in group):
                return f"an item of '{key}' lacks 'id' or 'property'"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "'changedPropIds' is not a list of strings"
    return None


def _refuse_malformed_callbacks(app: dash.Dash) -> None:
    """Answer a malformed callback request with a one-sentence 400, not a 500 and a traceback.

    Dash indexes the body without checking it: ``{}``, a list or an unknown output raised
    KeyError or TypeError, logged as a traceback with status 500.
    """
    from flask import request

    @app.server.before_request
    def check_callback_body():
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        problem = _malformed_callback(body, app.callback_map)
        if problem is None:
            return None
        return (
            f"Bad callback request: {problem}.",
            400,
            {"Content-Type": "text/plain; charset=utf-8"},
        )


COMPONENT_SUITES = "/_dash-component-suites/"


def _refuse_component_traversal(app: dash.Dash) -> None:
    """Unknown or ``..`` component-suite paths answer a plain 404, never a listing.

    Dash answers an unregistered ``/_dash-component-suites/...`` path by raising an error whose
    text lists every registered package and file; in debug mode or a log that is an
    information leak, and the status was 500.
    """
    from urllib.parse import unquote

    from dash.exceptions import DependencyException
    from flask import request

    def not_found(_exc: Exception | None = None):
        return "Not found", 404, {"Content-Type": "text/plain; charset=utf-8"}

    @app.server.before_request
    def no_traversal():
        path = request.path
        if path.startswith(COMPONENT_SUITES):
            raw = unquote(unquote(request.environ.get("RAW_URI") or path))
            parts = raw.replace("\\", "/").split("/")
            if ".." in parts or ".." in unquote(path).split("/"):
                return not_found()
        return None

    app.server.register_error_handler(DependencyException, not_found)


def add_basic_auth(app: dash.Dash, value: str | None) -> bool:
    """Protect every route (pages, callbacks, assets) with HTTP basic auth when ``value`` is set.

    Uses the maintained ``dash-auth`` package; passwords are compared in constant time and a
    malformed ``Authorization`` header is a 401, never a server error. Use it behind HTTPS
    (a reverse proxy, see ``docs/deploy.md``): basic auth sends the password with every request.
    Returns whether auth was enabled.
    """
    if not value:
        return False
    user, password = parse_basic_auth(value)
    import dash_auth

    def check(given_user: str, given_password: str) -> bool:
        ok_user = hmac.compare_digest(given_user.encode(), user.encode())
        ok_password = hmac.compare_digest(given_password.encode(), password.encode())
        return ok_user and ok_password

    class _BasicAuth(dash_auth.BasicAuth):
        def _protect(self) -> None:
            """Check the credentials before anything else, the request body included.

            dash-auth's own check parses callback bodies first (to find public callbacks,
            which this app has none of): an unauthenticated ``POST /_dash-update-component``
            with body ``{}`` was then a 500 and a KeyError traceback instead of a 401.
            """

            @self.app.server.before_request
            def require_login():
                if not self.is_authorized():
                    return self.login_request()
                return None

        def is_authorized(self) -> bool:
            try:
                return super().is_authorized()
            except Exception:  # malformed header: not base64, no colon, not UTF-8
                return False

    secret = secret_key() or secrets.token_urlsafe(32)
    _BasicAuth(app, auth_func=check, secret_key=secret)
    return True


def warm_up(spec: str, *, gate: ForkGate | None = None) -> threading.Thread:
    """Build the map page's cached figure for ``spec`` in a background thread.

    The first page view then does not wait for the geometry, the profile table and the
    engines' overlays (hotspots, clusters) to be computed.
    """

    def run() -> None:
        import importlib

        if gate is not None:
            gate.enter()  # a job forked meanwhile waits (hubplan.jobs.ForkGate)
        try:
            home = importlib.import_module("hubplan.pages.home")
            home.warm(open_place(spec))
        except Exception as exc:  # the page reports problems itself when it is opened
            print(f"warm-up of {spec} failed: {exc}", file=sys.stderr)
        finally:
            if gate is not None:
                gate.leave()

    thread = threading.Thread(target=run, name="hubplan-warm-up", daemon=True)
    thread.start()
    return thread


def create_server(place: str | None = None, *, warm: str = "background"):
    """WSGI factory: ``gunicorn 'app:create_server()'`` (place from ``$HUBPLAN_PLACE``).

    ``warm`` is ``"background"`` (a thread builds the map page's caches), ``"now"`` (build them
    before returning: use it with ``gunicorn --preload`` so no thread is running when the
    workers fork and every worker shares the warmed caches) or ``"off"``.
    """
    spec = prepare_place(place)
    server = create_app(place=spec).server
    if warm == "background":
        warm_up(spec, gate=fork_gate(server))
    elif warm == "now":
        warm_up(spec, gate=fork_gate(server)).join()
    elif warm != "off":
        raise ValueError(f"warm must be 'background', 'now' or 'off', not {warm!r}")
    return server


_lazy: dict[str, object] = {}


def __getattr__(name: str):
    """``app.server`` / ``app.app``: built on first access (``$HUBPLAN_PLACE`` or the demo)."""
    if name in ("server", "app"):
        if "app" not in _lazy:
            spec = prepare_place(None)
            _lazy["app"] = create_app(place=spec)
        dash_app = _lazy["app"]
        return dash_app.server if name == "server" else dash_app
    raise AttributeError(name)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description=f"Serve the {APP_NAME} dashboard.")
    add_serve_arguments(parser)
    return parser.parse_args(argv)


def serve(args: argparse.Namespace) -> int:
    """Serve the dashboard with Flask's server (``hubplan serve``, ``python app.py``).

    Raises
    ------
    geo.errors.InputError
        If the place cannot be found, built or opened.
    """
    spec = prepare_place(args.place)
    app = create_app(place=spec)
    warm_up(spec, gate=fork_gate(app.server))
    print(f"{APP_NAME}: serving {spec} on http://{args.host}:{args.port}/", file=sys.stderr)
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python app.py [--place P] [--host H] [--port N] [--debug]``."""
    try:
        return serve(parse_args(argv))
    except InputError as exc:
        print(f"hubplan: error: {exc}", file=sys.stderr)
        return 2

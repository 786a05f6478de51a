"""State shared by every page: which place, and the query-string conventions.

Every page reads the same query parameters so a link works the same everywhere:

``?place=KEY`` (``demo``, a bundle name in ``data/places``, or the place the app was started
with: its file stem, or its schema name for a place in PostGIS), ``footprint=NAME``, ``indicator=KEY``, ``layers=a,b,c``, ``basemap=none|osm|carto``,
``lat=..&lon=..&zoom=..``. Unknown values never break a page: the helpers return a default
plus a friendly notice to show (see :func:`notice`).

The app's default place is kept in the Flask app config (``HUBPLAN_PLACE``) so several apps
(e.g. in tests) can run in one process; outside a request the last ``create_app`` wins.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from geo.build.places import (
    DEMO,
    cache_dir,
    list_places,
    open_place,
    place_name,
    resolve_place,
)
from geo.errors import InputError
from geo.place.model import Place
from geo.place.postgis import describe, is_database_url, parse_url

CONFIG_KEY = "HUBPLAN_PLACE"
_fallback_default = {"spec": DEMO}


# --------------------------------------------------------------------------- default place


def set_default_place(spec: str, server=None) -> None:
    """Record the app's default place spec (``demo`` or a bundle path)."""
    _fallback_default["spec"] = str(spec)
    if server is not None:
        server.config[CONFIG_KEY] = str(spec)


def default_place_spec() -> str:
    """The default place spec of the app serving the current request."""
    try:
        from flask import current_app, has_app_context

        if has_app_context() and CONFIG_KEY in current_app.config:
            return current_app.config[CONFIG_KEY]
    except ImportError:  # pragma: no cover
        pass
    return _fallback_default["spec"]


# --------------------------------------------------------------------------- place choices


def place_key(spec: str) -> str:
    """The short key a place has in URLs: ``demo``, the bundle's file stem, or a PostGIS
    place's schema name (a database URL never appears in a page or a link)."""
    if str(spec) == DEMO:
        return DEMO
    if is_database_url(spec):
        try:
            return parse_url(str(spec)).schema
        except InputError:
            return "postgis"
    return Path(spec).stem


def place_label(spec: str) -> str:
    """How the switcher names a place: the place name stored in the bundle (else its file
    stem), or ``schema@host/db`` for PostGIS."""
    return describe(spec) if is_database_url(spec) else place_name(spec)


def _same_place(a: str, b: str) -> bool:
    if is_database_url(a) or is_database_url(b):
        return str(a).strip() == str(b).strip()
    return Path(a).resolve() == Path(b).resolve()


def place_choices() -> list[dict[str, str]]:
    """Places the switcher offers: ``{"label", "value" (URL key), "spec"}``.

    The demo, every bundle in ``data/places`` and the app's default place (once each).
    """
    out: dict[str, dict[str, str]] = {}
    default = default_place_spec()
    for label, spec in list_places():
        out.setdefault(place_key(spec), {"label": label, "value": place_key(spec), "spec": spec})
    key = place_key(default)
    if key not in out:
        out[key] = {"label": place_label(default), "value": key, "spec": default}
    elif default != DEMO and not _same_place(out[key]["spec"], default):
        # Same stem as a bundle in data/places: the default wins the short key.
        out[key] = {"label": place_label(default), "value": key, "spec": default}
    return list(out.values())


def _spec_for(key: str) -> str | None:
    for choice in place_choices():
        if key in (choice["value"], choice["spec"]):
            return choice["spec"]
    return None


def open_place_safe(spec: str | None) -> tuple[Place, str | None]:
    """Open the place a URL asks for, falling back to the default place.

    Parameters
    ----------
    spec
        A place key from a URL (``demo``, a bundle name in ``data/places``, the default place's
        key or spec), or ``None`` / ``""`` for the default.

    Returns
    -------
    (place, notice)
        ``notice`` is ``None`` when the requested place opened, else a friendly sentence naming
        the place or file that failed. Only URL keys from :func:`place_choices` are opened (a
        URL cannot make the server open arbitrary files). Never raises, except when even the
        built-in demo cannot be opened.
    """
    default = default_place_spec()
    notice = None
    if spec:
        target = _spec_for(str(spec))
        if target is None:
            notice = public_text(f"Unknown place {spec!r}: showing the default place instead.")
        else:
            try:
                return open_place(target), None
            except Exception as exc:  # a corrupt bundle can raise anything from the drivers
                notice = (
                    f"Could not open place file {_public_place(target)}: {_short(exc)}. "
                    "Showing the default place."
                )
    try:
        place = open_place(default)
    except Exception as exc:
        extra = (
            f"Could not open the default place file {_public_place(default)}: {_short(exc)}. "
            "Showing the demo."
        )
        notice = f"{notice} {extra}" if notice else extra
        place = open_place(DEMO)
    return place, notice


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return public_text(text)[:300]


# An absolute path: a "/" not inside a word, URL or relative path, then one or more folders.
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"`,;()]+/)+(?=[^\s/'\"`,;()]*)")


def public_text(text: str) -> str:
    """``text`` with every absolute server path cut to its file name.

    Messages the dashboard shows come from errors that name files by their full path (the CLI
    wants that; a browser must not learn the server's folders):
    ``"/srv/places/.k.gpkg.1.tmp.gpkg: not a place"`` becomes ``".k.gpkg.1.tmp.gpkg: not a
    place"``. URLs and relative paths are left alone.
    """
    return _ABSOLUTE_PATH.sub("", text)


def _public_place(spec: str) -> str:
    """How a message names a place: its PostGIS label or its bundle's file name, never a path."""
    return describe(spec) if is_database_url(spec) else Path(spec).name


def current_place_key(place: Place) -> str:
    """URL key for an opened place (matches :func:`place_choices` values).

    Never builds the demo just to compare paths: a place whose bundle is not one of the
    listed bundles is the demo when it is a generated ``demo-*`` bundle.
    """
    if place.path is None:
        return DEMO
    if is_database_url(place.path):
        return place_key(str(place.path))
    path = Path(place.path).resolve()
    for choice in place_choices():
        if choice["spec"] == DEMO:
            continue
        try:
            if resolve_place(choice["spec"]) == path:
                return choice["value"]
        except InputError:
            continue
    if path.parent == cache_dir().resolve() and path.name.startswith("demo-"):
        return DEMO
    return place_key(str(place.path))


# --------------------------------------------------------------------------- query parameters


def first(value: str | list[str] | None) -> str | None:
    """Dash passes repeated query keys as lists: keep the first (``None`` for missing/blank)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def parse_choice(
    value: str | list[str] | None, allowed: list[str], default: str | None, *, what: str
) -> tuple[str | None, str | None]:
    """``(value, notice)``: ``value`` if it is in ``allowed``, else ``default`` with a notice."""
    v = first(value)
    if v is None:
        return default, None
    if v in allowed:
        return v, None
    return default, f"Unknown {what} {v!r}: showing {default!r} instead." if default else (
        f"Unknown {what} {v!r}: ignored."
    )


def parse_indicator(place: Place, value, default: str | None = None) -> tuple[str, str | None]:
    """A catalogue key from the URL, else ``default`` (or :attr:`Place.default_indicator`)."""
    fallback = default if default in place.catalogue else place.default_indicator
    return parse_choice(value, list(place.catalogue), fallback, what="indicator")


def parse_footprint(place: Place, value) -> tuple[str | None, str | None]:
    """A footprint name from the URL (``None`` when absent or unknown, with a notice)."""
    v = first(value)
    if v is None:
        return None, None
    if v in place.footprint_names:
        return v, None
    return None, f"Unknown {place.footprint_label.lower()} {v!r}: none selected."


def parse_layers(value, allowed: list[str], default: list[str]) -> tuple[list[str], str | None]:
    """``layers=a,b`` (or repeated ``layers=``) -> known layer keys in ``allowed`` order.

    Unknown keys are dropped with a notice; an absent parameter gives ``default``; an empty
    one (``layers=``) means no layers.
    """
    if value is None:
        return list(default), None
    items = value if isinstance(value, list) else [value]
    asked = [p.strip() for item in items for p in str(item).split(",") if p.strip()]
    unknown = [p for p in asked if p not in allowed]
    keep = [a for a in allowed if a in asked]
    notice = f"Unknown layer(s) {', '.join(map(repr, unknown))}: ignored." if unknown else None
    return keep, notice


def parse_float(value, *, lo: float, hi: float) -> float | None:
    """A finite float within ``[lo, hi]`` from the URL, else ``None``."""
    v = first(value)
    if v is None:
        return None
    try:
        x = float(v)
    except ValueError:
        return None
    return x if math.isfinite(x) and lo <= x <= hi else None


def parse_view(lat, lon, zoom) -> tuple[dict[str, float] | None, float | None, str | None]:
    """``(centre, zoom, notice)`` from ``lat``/``lon``/``zoom`` (each ignored if invalid)."""
    la = parse_float(lat, lo=-85, hi=85)
    lo_ = parse_float(lon, lo=-180, hi=180)
    z = parse_float(zoom, lo=0, hi=22)
    bad = [
        n
        for n, raw, v in (("lat", lat, la), ("lon", lon, lo_), ("zoom", zoom, z))
        if first(raw) is not None and v is None
    ]
    notice = f"Ignored an invalid map view ({', '.join(bad)}) in the link." if bad else None
    centre = {"lat": la, "lon": lo_} if la is not None and lo_ is not None else None
    return centre, z, notice


def build_search(params: dict[str, object]) -> str:
    """``?a=1&b=2`` from non-empty params (lists joined with commas); ``""`` when empty."""
    clean = {}
    for k, v in params.items():
        if v is None or v == "":
            continue
        if isinstance(v, list | tuple):
            v = ",".join(map(str, v))
        elif isinstance(v, float):
            v = f"{v:.5f}".rstrip("0").rstrip(".")
        clean[k] = v
    return "?" + urlencode(clean, safe=",") if clean else ""


def page_href(path: str, place: Place | str, **params) -> str:
    """A link to another page keeping the place: ``page_href("/profile/A", place)``."""
    from urllib.parse import quote

    key = place if isinstance(place, str) else current_place_key(place)
    return quote(path) + build_search({"place": key, **params})


@dataclass
class Notices:
    """Collects friendly notices while parsing a URL."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str | None) -> None:
        if text:
            self.items.append(text)

"""Static images of figures (PNG, SVG, PDF) through kaleido and the system Chromium.

One headless Chromium (:mod:`layers.browser`: a kaleido browser on its own event loop) is
started on first use and reused by every later export in the process, map images and printed
PDFs alike; calls are serialised with a lock so Dash callback threads can share it. Every map is exported on the offline-safe ``white-bg`` style (tile basemaps need the
internet and would come out blank), and an export whose map area has no drawn pixels is
refused rather than returned: a map is never exported blank.
"""

from __future__ import annotations

import base64
import copy
import io
import math
import os
import re
import threading
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

import plotly.graph_objects as go

from geo.errors import InputError
from layers.browser import BrowserError, ExportBrowser, shared_browser

T = TypeVar("T")
Format = Literal["png", "svg", "pdf"]
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
DEFAULT_WIDTH = 1600
DEFAULT_HEIGHT = 1000
DEFAULT_SCALE = 1.0
OFFLINE_STYLE = "white-bg"
MIN_SIZE, MAX_SIZE = 200, 10000
MIN_SCALE, MAX_SCALE = 0.25, 6.0
#: Share of the map area that must differ from the background for a map to count as drawn.
MIN_DRAWN_FRACTION = 0.002
#: Channel difference from the background colour that counts as "drawn".
_TOLERANCE = 12
#: Seconds one image may take before kaleido gives up.
RENDER_TIMEOUT = 90

_lock = threading.RLock()
_server_started = False
#: How many times this process started the export browser (tests check it stays at 1).
server_starts = 0


def _reset_after_fork() -> None:
    # A forked child (a background job) gets its own browser and an unheld lock.
    global _lock, _server_started
    _lock = threading.RLock()
    _server_started = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class ExportUnavailable(InputError):
    """Static export cannot run here (no Chromium)."""


class BlankExportError(InputError):
    """The exported map area came out blank (nothing drawn)."""


# --------------------------------------------------------------------------- server


def chromium_path() -> str | None:
    """The Chromium/Chrome binary kaleido will use (``BROWSER_PATH`` overrides), or None."""
    from choreographer.browsers.chromium import Chromium

    try:
        return Chromium.find_browser(skip_local=False)
    except Exception:  # best effort, like choreographer itself
        return None


def _server_alive() -> bool:
    return shared_browser(timeout=RENDER_TIMEOUT).is_alive()


def server_pid() -> int | None:
    """Process id of the shared export Chromium, or None when it is not running."""
    browser = shared_browser(timeout=RENDER_TIMEOUT)
    return browser.pid if browser.is_alive() else None


def ensure_server() -> None:
    """Start the shared export browser once (no-op when it already runs; restarts a dead one).

    Raises
    ------
    ExportUnavailable
        When no Chromium is installed (Debian: ``apt-get install chromium``; or set
        ``BROWSER_PATH``), or it fails to start.
    """
    global _server_started, server_starts
    with _lock:
        if _server_started and _server_alive():
            return
        if chromium_path() is None:
            raise ExportUnavailable(
                "static export needs Chromium, none found (install Debian's 'chromium' "
                "package or set BROWSER_PATH to a Chrome/Chromium binary)"
            )
        browser = shared_browser(timeout=RENDER_TIMEOUT)
        try:
            browser.start()
        except BrowserError as exc:
            raise ExportUnavailable(str(exc)) from None
        server_starts += 1
        _server_started = True


def stop_server() -> None:
    """Stop the shared export browser (it restarts on the next export)."""
    global _server_started
    with _lock:
        shared_browser(timeout=RENDER_TIMEOUT).close()
        _server_started = False


def print_pdf(html_text: str, *, timeout: float = 120) -> bytes:
    """Print an HTML document to PDF with the shared export browser (started when needed).

    Raises
    ------
    ExportUnavailable
        No Chromium to print with, or it failed.
    """
    try:
        return _with_browser(lambda b: b.print_pdf(html_text, timeout=timeout))
    except BrowserError as exc:
        raise ExportUnavailable(f"Chromium failed to print the PDF: {exc}") from None


def _with_browser(call: Callable[[ExportBrowser], T]) -> T:
    """Run ``call`` on the shared browser, starting it when needed; when the browser turns out
    to have died (before or during the call), start a new one and try once more."""
    ensure_server()
    with _lock:
        for attempt in (1, 2):
            if not _server_alive():  # the browser died since: start again
                stop_server()
                ensure_server()
            try:
                return call(shared_browser(timeout=RENDER_TIMEOUT))
            except Exception:
                if attempt == 2 or _server_alive():
                    raise
        raise AssertionError("unreachable")


# --------------------------------------------------------------------------- figure prep


def _map_keys(layout: dict) -> list[str]:
    return [k for k in layout if re.fullmatch(r"map\d*", k)]


def offline_figure(fig: go.Figure | dict) -> dict:
    """A copy of ``fig`` as a dict with every map on ``white-bg`` and no internet layers.

    Map traces (``choroplethmap``, ``scattermap``, ...) get a ``map`` subplot even when the
    layout does not name one, so the style is set on each subplot the traces use.
    """
    data = fig.to_plotly_json() if isinstance(fig, go.Figure) else copy.deepcopy(fig)
    data = copy.deepcopy(data)
    layout = data.setdefault("layout", {})
    subplots = set(_map_keys(layout))
    for trace in data.get("data", []):
        if str(trace.get("type", "")).endswith("map"):
            subplots.add(trace.get("subplot", "map") or "map")
    for key in subplots:
        sub = layout.setdefault(key, {})
        sub["style"] = OFFLINE_STYLE
        layers = sub.get("layers") or []
        # Raster/vector tile layers load from URLs; GeoJSON layers are local and kept.
        sub["layers"] = [
            lay
            for lay in layers
            if lay.get("sourcetype", "geojson") == "geojson"
            and not isinstance(lay.get("source"), str)
        ]
    return data


def has_map(fig: go.Figure | dict) -> bool:
    data = fig.to_plotly_json() if isinstance(fig, go.Figure) else fig
    return any(str(t.get("type", "")).endswith("map") for t in data.get("data", []))


def _check_has_data(data: dict) -> None:
    traces = [t for t in data.get("data", []) if str(t.get("type", "")).endswith("map")]
    if not traces:
        return
    for t in traces:
        for key in ("locations", "lat", "lon"):
            values = t.get(key)
            if values is not None and len(values) > 0:
                return
    raise BlankExportError("the map has no areas, lines or points to draw")


def map_area_box(data: dict, *, width: int, height: int, scale: float) -> tuple[int, int, int, int]:
    """Pixel box (left, top, right, bottom) of the first map subplot in the exported image."""
    layout = data.get("layout", {})
    margin = {"l": 80, "r": 80, "t": 100, "b": 80, **(layout.get("margin") or {})}
    keys = sorted(_map_keys(layout)) or ["map"]
    domain = (layout.get(keys[0]) or {}).get("domain") or {}
    x0, x1 = (domain.get("x") or [0, 1])[:2]
    y0, y1 = (domain.get("y") or [0, 1])[:2]
    plot_w = width - margin["l"] - margin["r"]
    plot_h = height - margin["t"] - margin["b"]
    left = (margin["l"] + x0 * plot_w) * scale
    right = (margin["l"] + x1 * plot_w) * scale
    top = (margin["t"] + (1 - y1) * plot_h) * scale
    bottom = (margin["t"] + (1 - y0) * plot_h) * scale
    return int(left), int(top), int(right), int(bottom)


def drawn_fraction(png: bytes, box: tuple[int, int, int, int] | None = None) -> float:
    """Share of pixels in ``box`` (whole image when None) that differ from the background.

    The background is the most common colour of the image's corner pixels (white for maps on
    ``white-bg``).
    """
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        arr = np.asarray(img.convert("RGB"), dtype=np.int16)
    h, w, _ = arr.shape
    corners = np.array([arr[0, 0], arr[0, w - 1], arr[h - 1, 0], arr[h - 1, w - 1]])
    values, counts = np.unique(corners, axis=0, return_counts=True)
    background = values[counts.argmax()]
    if box is not None:
        left, top, right, bottom = box
        arr = arr[max(top, 0) : min(bottom, h), max(left, 0) : min(right, w)]
    if arr.size == 0:
        return 0.0
    differs = (np.abs(arr - background) > _TOLERANCE).any(axis=2)
    return float(differs.mean())


def _svg_map_images(svg: bytes) -> list[bytes]:
    """The raster map canvases plotly embeds in an SVG export (base64 PNG data URIs)."""
    found = re.findall(rb"data:image/png;base64,([A-Za-z0-9+/=]+)", svg)
    return [base64.b64decode(b) for b in found]


# --------------------------------------------------------------------------- export


def _check_options(fmt: str, width: int, height: int, scale: float) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unsupported image format {fmt!r}; use {', '.join(FORMATS)}")
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or not MIN_SIZE <= value <= MAX_SIZE:
            raise InputError(
                f"{name} must be a whole number of pixels from {MIN_SIZE} to {MAX_SIZE}, got {value!r}"
            )
    if not MIN_SCALE <= float(scale) <= MAX_SCALE:
        raise InputError(f"scale must be from {MIN_SCALE} to {MAX_SCALE}, got {scale!r}")


def _render(data: dict, fmt: str, width: int, height: int, scale: float) -> bytes:
    opts = {"format": fmt, "width": width, "height": height, "scale": float(scale)}
    try:
        return _with_browser(lambda b: b.calc_fig(data, opts=opts))
    except BrowserError as exc:
        raise ExportUnavailable(f"Chromium failed to render the image: {exc}") from None


def figure_to_bytes(
    fig: go.Figure | dict,
    *,
    fmt: Format = "png",
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    scale: float = DEFAULT_SCALE,
    check_blank: bool = True,
) -> bytes:
    """Render ``fig`` to PNG, SVG or PDF bytes with the shared kaleido server.

    Parameters
    ----------
    fig
        A Plotly figure (or its dict). Not modified: maps are switched to ``white-bg`` on a copy.
    fmt
        ``"png"``, ``"svg"`` or ``"pdf"``.
    width, height
        Size in layout pixels (default 1600 x 1000).
    scale
        Pixel density multiplier (PNG pixels = width x scale).
    check_blank
        Refuse (raise :class:`BlankExportError`) a map whose map area has nothing drawn. PNG and
        SVG are checked on the image itself; a PDF is checked on a small PNG of the same figure.

    Returns
    -------
    bytes
        The image file's content.

    Raises
    ------
    InputError
        Bad format, size or scale.
    ExportUnavailable
        No Chromium to render with.
    BlankExportError
        The map came out blank.
    """
    _check_options(fmt, width, height, scale)
    data = offline_figure(fig)
    is_map = has_map(data)
    if is_map and check_blank:
        _check_has_data(data)
    out = _render(data, fmt, width, height, scale)
    if not (is_map and check_blank):
        return out
    if fmt == "png":
        box = map_area_box(data, width=width, height=height, scale=scale)
        _require_drawn(drawn_fraction(out, box))
    elif fmt == "svg":
        images = _svg_map_images(out)
        _require_drawn(max((drawn_fraction(img) for img in images), default=0.0))
    else:
        # PDF: check a small PNG of the very same figure (cheap next to the PDF itself).
        thumb_scale = min(1.0, 400 / width)
        thumb = _render(data, "png", width, height, thumb_scale)
        box = map_area_box(data, width=width, height=height, scale=thumb_scale)
        _require_drawn(drawn_fraction(thumb, box))
    return out


def _require_drawn(fraction: float) -> None:
    if fraction < MIN_DRAWN_FRACTION:
        raise BlankExportError(
            f"the exported map came out blank ({fraction:.2%} of the map area drawn); "
            "check the indicator has values and the view shows the place"
        )


# --------------------------------------------------------------------------- map furniture

#: Web Mercator world width in pixels at zoom 0 (MapLibre, as :func:`layers.base.fit_view`).
WORLD_PX = 512
EARTH_CIRCUMFERENCE_M = 40_075_016.686
#: Class of every annotation and shape this module adds (``name``), so they can be found.
FURNITURE = "map-furniture"
PLACE_NAME = "map-place-name"  # annotation name of town and suburb names
#: A map frame narrower or lower than this (pixels) gets no scale bar, arrow or labels.
MIN_FURNISHED_PX = 60


def _merc_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _map_frame(layout: dict) -> tuple[dict, float, float, float, float]:
    """``(map subplot, plot width px, plot height px, domain x0..x1 and y0..y1 as tuple)``."""
    keys = sorted(_map_keys(layout)) or ["map"]
    sub = layout.get(keys[0]) or {}
    width = float(layout.get("width") or DEFAULT_WIDTH)
    height = float(layout.get("height") or DEFAULT_HEIGHT)
    margin = {"l": 80, "r": 80, "t": 100, "b": 80, **(layout.get("margin") or {})}
    return sub, width - margin["l"] - margin["r"], height - margin["t"] - margin["b"], width, height


def lonlat_to_paper(
    lon: float, lat: float, *, center: dict, zoom: float, domain: dict, plot_w: float, plot_h: float
) -> tuple[float, float]:
    """Paper coordinates of ``lon``/``lat`` on a MapLibre map with ``center`` and ``zoom``."""
    world = WORLD_PX * 2**zoom
    dx = (lon - center["lon"]) / 360.0 * world
    dy = (_merc_y(lat) - _merc_y(center["lat"])) / (2 * math.pi) * world
    x0, x1 = (domain.get("x") or [0, 1])[:2]
    y0, y1 = (domain.get("y") or [0, 1])[:2]
    return (x0 + x1) / 2 + dx / plot_w, (y0 + y1) / 2 + dy / plot_h


def metres_per_pixel(lat: float, zoom: float) -> float:
    """Ground metres per layout pixel at ``lat`` and MapLibre ``zoom``."""
    return EARTH_CIRCUMFERENCE_M * math.cos(math.radians(lat)) / (WORLD_PX * 2**zoom)


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 x 10^k metres not above ``metres``."""
    if metres <= 0:
        raise ValueError("length must be positive")
    power = 10 ** math.floor(math.log10(metres))
    return max(s * power for s in (1, 2, 5) if s * power <= metres)


def _length_text(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def add_map_furniture(
    fig: go.Figure,
    *,
    labels: Sequence[tuple[str, float, float]] = (),
    label_size: int = 13,
    place_names: Sequence[tuple[str, float, float]] = (),
) -> go.Figure:
    """Add a scale bar, a north arrow and place labels to a map figure, as vector shapes and
    annotations (sharp in SVG and PDF, no map glyphs or internet needed).

    The figure's layout must hold the map's ``center``, ``zoom``, ``domain``, ``width``,
    ``height`` and ``margin`` (as :func:`layers.snapshot.snapshot_figure` sets them).

    Parameters
    ----------
    fig
        The map figure; changed in place and returned.
    labels
        ``(text, lon, lat)`` for each label, e.g. footprint names at a point inside each
        footprint; labels outside the map frame are left out.
    label_size
        Label font size in pixels.
    place_names
        ``(text, lon, lat)`` of town and suburb names (:mod:`layers.labels`), written in
        dark grey italics so they read apart from the footprint names.
    """
    layout = fig.layout.to_plotly_json()
    sub, plot_w, plot_h, _w, _h = _map_frame(layout)
    center, zoom = sub.get("center"), sub.get("zoom")
    if not center or zoom is None:
        raise InputError("the map has no centre and zoom to measure a scale bar from")
    domain = sub.get("domain") or {"x": [0, 1], "y": [0, 1]}
    x0, x1 = (domain.get("x") or [0, 1])[:2]
    y0, y1 = (domain.get("y") or [0, 1])[:2]
    map_w_px = (x1 - x0) * plot_w
    if map_w_px < MIN_FURNISHED_PX or (y1 - y0) * plot_h < MIN_FURNISHED_PX:
        return fig  # no room to draw in (the export's size check names the problem)

    # Scale bar: a nice length about a fifth of the map's width, bottom left of the map.
    per_px = metres_per_pixel(center["lat"], zoom)
    length = nice_length(per_px * map_w_px / 5)
    bar = length / per_px / plot_w
    left, base = x0 + 0.015, y0 + 0.03
    tick = 6 / plot_h
    line = {"color": "#1a1a1a", "width": 2}
    for xa, ya, xb, yb in (
        (left, base, left + bar, base),
        (left, base, left, base + tick),
        (left + bar, base, left + bar, base + tick),
    ):
        fig.add_shape(
            type="line", xref="paper", yref="paper", x0=xa, y0=ya, x1=xb, y1=yb,
            line=line, name=FURNITURE,
        )  # fmt: skip
    fig.add_annotation(
        text=f"<b>{_length_text(length)}</b>",
        xref="paper", yref="paper", x=left + bar / 2, y=base + tick, yanchor="bottom",
        showarrow=False, font={"size": 13, "color": "#1a1a1a"},
        bgcolor="rgba(255,255,255,0.8)", name=FURNITURE,
    )  # fmt: skip
    # North arrow (Web Mercator: north is straight up), top left of the map.
    fig.add_annotation(
        text="<b>N</b>",
        xref="paper", yref="paper", x=x0 + 0.02, y=y1 - 0.02, xanchor="center", yanchor="top",
        showarrow=True, arrowhead=2, arrowsize=1.4, arrowwidth=2.5, arrowcolor="#1a1a1a",
        ax=0, ay=46, standoff=0, startstandoff=22,
        font={"size": 16, "color": "#1a1a1a"}, bgcolor="rgba(255,255,255,0.8)", name=FURNITURE,
    )  # fmt: skip
    # Town names under the footprint names, then the labels, as vector text in the frame.
    for text, lon, lat in place_names:
        px, py = lonlat_to_paper(
            lon, lat, center=center, zoom=zoom, domain=domain, plot_w=plot_w, plot_h=plot_h
        )
        if not (x0 + 0.02 <= px <= x1 - 0.02 and y0 + 0.02 <= py <= y1 - 0.02):
            continue
        fig.add_annotation(
            text=f"<i>{text}</i>",
            xref="paper", yref="paper", x=px, y=py, showarrow=False,
            font={"size": label_size + 1, "color": "#4d4d4d"},
            bgcolor="rgba(255,255,255,0.6)", borderpad=1, name=PLACE_NAME,
        )  # fmt: skip
    # Labels as vector text, kept inside the map frame.
    for text, lon, lat in labels:
        px, py = lonlat_to_paper(
            lon, lat, center=center, zoom=zoom, domain=domain, plot_w=plot_w, plot_h=plot_h
        )
        if not (x0 + 0.02 <= px <= x1 - 0.02 and y0 + 0.02 <= py <= y1 - 0.02):
            continue
        fig.add_annotation(
            text=f"<b>{text}</b>",
            xref="paper", yref="paper", x=px, y=py, showarrow=False,
            font={"size": label_size, "color": "#1a1a1a"},
            bgcolor="rgba(255,255,255,0.75)", borderpad=2, name=FURNITURE,
        )  # fmt: skip
    return fig


def footprint_label_points(place) -> list[tuple[str, float, float]]:
    """``(name, lon, lat)`` of a point well inside each footprint (its pole of
    inaccessibility), for labels."""
    from shapely.ops import polylabel

    from layers.geometry import display_geometries

    geoms = display_geometries(place, "footprints")
    out = []
    for name, geom in geoms.items():
        if geom is None or geom.is_empty:
            continue
        largest = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        point = polylabel(largest, tolerance=1e-4)
        out.append((str(name), float(point.x), float(point.y)))
    return out

"""Static image export (layers.static) with kaleido and the system Chromium.

Renders are few (each costs about a second): the pixel checks run on synthetic images.
"""

from __future__ import annotations

import io
import threading

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from geo.errors import InputError
from layers import static


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _square_map(center: dict) -> go.Figure:
    """One filled square around (53.5, -2.6) on a map centred at ``center``."""
    lon, lat = -2.6, 53.5
    ring = [
        [lon - 0.05, lat - 0.03],
        [lon + 0.05, lat - 0.03],
        [lon + 0.05, lat + 0.03],
        [lon - 0.05, lat + 0.03],
        [lon - 0.05, lat - 0.03],
    ]
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "sq",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    fig = go.Figure(
        go.Choroplethmap(
            geojson=gj,
            locations=["sq"],
            z=[1],
            featureidkey="id",
            colorscale=[[0, "#d7301f"], [1, "#d7301f"]],
            showscale=False,
        )
    )
    basemap = [
        {
            "sourcetype": "raster",
            "source": ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"],
            "below": "traces",
        }
    ]
    fig.update_layout(
        map={"style": "carto-positron", "center": center, "zoom": 9, "layers": basemap},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
    )
    return fig


# --------------------------------------------------------------------------- no rendering


def test_offline_figure_forces_white_bg_and_drops_tile_layers():
    fig = _square_map({"lat": 53.5, "lon": -2.6})
    fig.add_trace(go.Scattermap(lat=[53.5], lon=[-2.6], subplot="map2"))
    data = static.offline_figure(fig)
    assert data["layout"]["map"]["style"] == "white-bg"
    assert data["layout"]["map"]["layers"] == []
    assert data["layout"]["map2"]["style"] == "white-bg"
    # The caller's figure is not modified.
    assert fig.layout.map.style == "carto-positron" and len(fig.layout.map.layers) == 1


def test_drawn_fraction_counts_non_background_pixels():
    img = np.full((100, 200, 3), 255)
    assert static.drawn_fraction(_png(img)) == 0.0
    img[10:20, 10:30] = (200, 0, 0)  # 10 x 20 = 200 px of 20,000
    assert static.drawn_fraction(_png(img)) == pytest.approx(0.01)
    # Only the box counts: the box (left, top, right, bottom) misses the red patch.
    assert static.drawn_fraction(_png(img), (100, 0, 200, 100)) == 0.0
    assert static.drawn_fraction(_png(img), (0, 0, 50, 50)) == pytest.approx(200 / 2500)


def test_map_area_box_follows_margins_and_domain():
    data = {
        "layout": {
            "margin": {"l": 10, "r": 10, "t": 100, "b": 100},
            "map": {"domain": {"x": [0, 0.5], "y": [0, 1]}},
        }
    }
    assert static.map_area_box(data, width=1000, height=1000, scale=2) == (20, 200, 1000, 1800)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"fmt": "gif"}, "unsupported image format 'gif'"),
        ({"width": 50}, "width must be"),
        ({"height": 100000}, "height must be"),
        ({"scale": 20}, "scale must be"),
    ],
)
def test_bad_options_rejected_before_rendering(options, match):
    with pytest.raises(InputError, match=match):
        static.figure_to_bytes(go.Figure(), **options)


def test_missing_chromium_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(static, "_server_started", False)
    monkeypatch.setattr(static, "chromium_path", lambda: None)
    with pytest.raises(static.ExportUnavailable, match="needs Chromium, none found"):
        static.ensure_server()


def test_map_without_data_refused_before_rendering():
    fig = go.Figure(go.Scattermap(lat=[], lon=[]))
    with pytest.raises(static.BlankExportError, match="no areas, lines or points"):
        static.figure_to_bytes(fig)


# --------------------------------------------------------------------------- rendering


@pytest.mark.browser
def test_png_default_size_not_blank_and_server_reused():
    fig = _square_map({"lat": 53.5, "lon": -2.6})
    results: list[bytes] = []
    errors: list[BaseException] = []

    # Two threads at once (as Dash callbacks would): both succeed on one shared server.
    def run_at(scale):
        def run():
            try:
                results.append(static.figure_to_bytes(fig, scale=scale))
            except BaseException as exc:
                errors.append(exc)

        return run

    before = static.server_starts
    threads = [threading.Thread(target=run_at(s)) for s in (1.0, 0.5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(results) == 2
    # At most one start for both (none when an earlier test already started the server).
    assert static.server_starts - before <= 1
    results.sort(key=lambda png: Image.open(io.BytesIO(png)).size[0], reverse=True)
    with Image.open(io.BytesIO(results[0])) as img:
        assert img.size == (1600, 1000)
        arr = np.asarray(img.convert("RGB"))
    # The red square is drawn in the middle of the map (tiles were dropped: white elsewhere).
    red = (arr[:, :, 0] > 180) & (arr[:, :, 1] < 90) & (arr[:, :, 2] < 90)
    # 0.1 x 0.06 degrees at zoom 9 and latitude 53.5: 72.8 x 73.4 px (Web Mercator, 512 px tiles).
    assert red.sum() == pytest.approx(72.8 * 73.4, rel=0.1)
    ys, xs = np.nonzero(red)
    assert 600 < xs.mean() < 1000 and 300 < ys.mean() < 700
    with Image.open(io.BytesIO(results[1])) as small:
        assert small.size == (800, 500)


@pytest.mark.browser
def test_blank_map_is_refused():
    # The square is far outside this view: the map area renders white.
    fig = _square_map({"lat": 0.0, "lon": 0.0})
    with pytest.raises(static.BlankExportError, match="came out blank"):
        static.figure_to_bytes(fig)


# --------------------------------------------------------------------------- map furniture


def test_nice_length_and_metres_per_pixel_match_the_geodesic():
    from pyproj import Geod

    assert static.nice_length(2700) == 2000
    assert static.nice_length(999) == 500
    assert static.nice_length(0.7) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        static.nice_length(0)
    # One pixel east at zoom 10 near Wigan, measured on the WGS 84 ellipsoid.
    lat, zoom = 53.5, 10
    dlon = 360 / (static.WORLD_PX * 2**zoom)
    _, _, metres = Geod(ellps="WGS84").inv(-2.6, lat, -2.6 + dlon, lat)
    assert static.metres_per_pixel(lat, zoom) == pytest.approx(metres, rel=0.01)


def _furnished(labels):
    fig = _square_map({"lat": 53.5, "lon": -2.6})
    fig.update_layout(
        width=800,
        height=600,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        map={"domain": {"x": [0, 1], "y": [0, 1]}},
    )
    return static.add_map_furniture(fig, labels=labels)


def test_furniture_adds_scale_bar_north_arrow_and_labels_inside_the_frame():
    fig = _furnished([("Middle", -2.6, 53.5), ("Far away", 10.0, 60.0)])
    texts = [a.text for a in fig.layout.annotations]
    assert "<b>Middle</b>" in texts and "<b>Far away</b>" not in texts
    assert "<b>N</b>" in texts
    (scale,) = [t for t in texts if t.endswith("km</b>") or t.endswith(" m</b>")]
    bar = fig.layout.shapes[0]
    length_px = (bar.x1 - bar.x0) * 800
    metres = float(scale[3:].split()[0]) * (1000 if "km" in scale else 1)
    # The bar is as long on the map as the distance it names.
    assert length_px * static.metres_per_pixel(53.5, 9) == pytest.approx(metres, rel=1e-6)
    middle = next(a for a in fig.layout.annotations if a.text == "<b>Middle</b>")
    assert (middle.x, middle.y) == pytest.approx((0.5, 0.5))
    with pytest.raises(InputError, match="centre and zoom"):
        static.add_map_furniture(go.Figure(go.Scattermap(lat=[1], lon=[1])))


@pytest.mark.browser
def test_labels_land_where_maplibre_draws_the_place():
    """Paper coordinates from lonlat_to_paper agree with the rendered map (pixels)."""
    fig = _furnished([])
    png = static.figure_to_bytes(fig, width=800, height=600)
    with Image.open(io.BytesIO(png)) as img:
        arr = np.asarray(img.convert("RGB")).astype(int)
    red = (abs(arr[..., 0] - 0xD7) < 20) & (abs(arr[..., 1] - 0x30) < 20) & (arr[..., 2] < 60)
    ys, xs = np.nonzero(red)
    layout = fig.layout.to_plotly_json()
    sub = layout["map"]
    for lon, lat, px, py in (
        (-2.65, 53.47, xs.min(), ys.max()),
        (-2.55, 53.53, xs.max(), ys.min()),
    ):
        x, y = static.lonlat_to_paper(
            lon, lat, center=sub["center"], zoom=sub["zoom"], domain=sub["domain"],
            plot_w=800, plot_h=600,
        )  # fmt: skip
        assert abs(x * 800 - px) <= 3 and abs((1 - y) * 600 - py) <= 3


def test_furniture_skips_a_map_too_small_to_hold_it():
    fig = _square_map({"lat": 53.5, "lon": -2.6})
    fig.update_layout(width=20, height=600, map={"domain": {"x": [0, 1], "y": [0, 1]}})
    assert not static.add_map_furniture(fig, labels=[("Middle", -2.6, 53.5)]).layout.annotations

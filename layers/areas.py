"""Small-area choropleth of any catalogue indicator."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from geo.indicators.disclosure import (
    DEFAULT_THRESHOLD,
    is_suppressed,
    sensitive_columns,
)
from geo.indicators.profile import disclosed_profile
from geo.place.model import Place
from layers.base import colorbar_outside, colorbar_title, format_value, indicator_title
from layers.geometry import DISPLAY_TOLERANCE_M, display_geojson
from layers.palettes import NO_DATA, indicator_colorscale, legend_hint

AREAS_UID = "areas"
HOVER = (
    "<b>%{customdata[0]}</b><br>Area code: %{location}<br>%{customdata[2]}: %{customdata[1]}"
    "<br>%{text}<extra></extra>"
)


SUPPRESSED_TEXT = "suppressed (fewer than {n:g}: disclosure control)"


def suppressed_mask(place: Place, key: str, *, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Areas whose value of ``key`` is hidden by disclosure control (:mod:`geo.indicators.disclosure`).

    Only ``sensitive`` counts (and rates built on them) are ever hidden: small-area values
    below ``threshold``. Same rule as ``hubplan profile`` and the exports.
    """
    counts, rates = sensitive_columns(place.catalogue)
    if key not in counts and key not in rates:
        return np.zeros(len(place.areas), dtype=bool)
    result = disclosed_profile(place, by="area", suppress_below=threshold)
    return np.array([is_suppressed(v) for v in result.table[key]], dtype=bool)


def scaled_values(ind, values: np.ndarray) -> dict:
    """``z``, ``zmin``, ``zmax`` and ``colorscale`` for ``values`` (NaN = no value).

    Missing values get a value just below the range, drawn in the grey band the scale gains
    at its bottom.
    """
    finite = np.isfinite(values)
    lo = float(np.nanmin(values)) if finite.any() else 0.0
    hi = float(np.nanmax(values)) if finite.any() else 1.0
    if hi <= lo:
        hi = lo + 1.0
    scale = indicator_colorscale(ind)
    zmin, z = lo, values.copy()
    if not finite.all():
        gap = (hi - lo) * 0.04
        zmin = lo - gap
        z[~finite] = zmin
        cut = gap / (hi - zmin)
        scale = [[0.0, NO_DATA], [cut * 0.999, NO_DATA]] + [
            [cut + (1 - cut) * s, c] for s, c in scale
        ]
    return {"z": np.round(z, 6).tolist(), "zmin": zmin, "zmax": hi, "colorscale": scale}


def choropleth_values(place: Place, key: str) -> dict:
    """The indicator-dependent properties of the choropleth (what a ``Patch`` must update).

    Returns a dict of trace properties: ``z``, ``text`` (hover value), ``zmin``, ``zmax``,
    ``colorscale`` and ``colorbar``. Areas with no value get a value just below the range,
    drawn grey (the scale's first stop) and described as "no data" in the hover. Values
    hidden by disclosure control (:func:`suppressed_mask`) are drawn the same way and
    described as suppressed.
    """
    ind = place.indicator(key)
    values = np.array(place.areas[key], dtype=float)  # a copy: pandas arrays are read-only
    hidden = suppressed_mask(place, key)
    values[hidden] = np.nan
    props = scaled_values(ind, values)
    text = [f"{ind.label}: {format_value(v, ind)}" for v in values]
    for i in np.flatnonzero(hidden):
        text[i] = f"{ind.label}: {SUPPRESSED_TEXT.format(n=DEFAULT_THRESHOLD)}"
    title = colorbar_title(indicator_title(ind), legend_hint(ind))
    return {
        **props,
        "text": text,
        "colorbar": {**colorbar_outside(), "title": {"text": title, "side": "top"}},
        "name": ind.label,
    }


def area_choropleth(
    place: Place,
    key: str,
    *,
    tolerance_m: float = DISPLAY_TOLERANCE_M,
    opacity: float = 0.8,
    visible: bool | str = True,
    uid: str = AREAS_UID,
) -> go.Choroplethmap:
    """A choropleth of indicator ``key`` over the place's small areas.

    Features are keyed by area code (``featureidkey="id"``). The palette is direction-aware
    (:mod:`layers.palettes`), the colourbar is titled "label (unit)" with a reading hint, and
    the hover shows the area name, code, footprint and formatted value.

    Raises
    ------
    geo.errors.InputError
        If ``key`` is not in the place's catalogue.
    """
    props = choropleth_values(place, key)
    areas = place.areas
    customdata = np.column_stack(
        [
            areas["name"].astype(str).to_numpy() if "name" in areas else areas.index.astype(str),
            areas["footprint"].astype(str).fillna("none").to_numpy(),
            np.full(len(areas), place.footprint_label),
        ]
    ).tolist()
    return go.Choroplethmap(
        geojson=display_geojson(place, "areas", tolerance_m=tolerance_m),
        locations=[str(c) for c in areas.index],
        featureidkey="id",
        customdata=customdata,
        hovertemplate=HOVER,
        marker={"opacity": opacity, "line": {"width": 0.4, "color": "#ffffff"}},
        visible=visible,
        uid=uid,
        **props,
    )


NO_DATA_UID = "no-data"


def no_data_entry(place: Place, key: str) -> dict:
    """``name`` and ``showlegend`` of the "No data (N areas)" legend entry for ``key``: the
    areas the choropleth draws grey (no value, or hidden by disclosure control)."""
    values = np.array(place.areas[key], dtype=float)
    hidden = suppressed_mask(place, key)
    missing = int((~np.isfinite(values) & ~hidden).sum())
    suppressed = int(hidden.sum())
    grey = missing + suppressed
    noun = "area" if grey == 1 else "areas"
    name = f"No data ({grey:,} {noun})"
    if suppressed:
        name = f"No data ({grey:,} {noun}: {suppressed:,} suppressed, fewer than {DEFAULT_THRESHOLD:g})"
    return {"name": name, "showlegend": grey > 0}


def no_data_trace(place: Place, key: str, *, visible: bool | str = True) -> go.Scattermap:
    """A legend entry for the grey areas: a grey marker drawn nowhere (no coordinates), named
    "No data (N areas)" (:func:`no_data_entry`); hidden from the legend when every area has
    a value."""
    return go.Scattermap(
        lon=[None],
        lat=[None],
        mode="markers",
        marker={"size": 12, "color": NO_DATA},
        hoverinfo="skip",
        visible=visible,
        uid=NO_DATA_UID,
        **no_data_entry(place, key),
    )

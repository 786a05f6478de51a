"""Figures of a footprint profile besides the spine chart: age bands, deprivation, the small
footprint map, and small multiples for the compare page."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from geo.indicators.aggregate import ALL_AREAS
from geo.numbers import format_number
from geo.place.config import Indicator
from geo.place.model import Place
from layers.base import map_figure
from layers.footprints import footprint_highlight, footprint_outlines
from layers.palettes import OKABE_ITO
from layers.sites import site_markers

FONT = {
    "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "color": "#1a1a1a",
    "size": 12,
}


def age_band_figure(bands: pd.DataFrame, *, footprint: str) -> go.Figure:
    """Share of the population in each age band: this footprint against the borough."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=bands["band"],
            y=bands["share"] * 100,
            name=footprint,
            marker={"color": OKABE_ITO[0]},
            text=[f"{c:,.0f}" for c in bands["count"]],
            textposition="outside",
            hovertemplate="%{x}: %{y:.1f}% (%{text} people)<extra>" + footprint + "</extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=bands["band"],
            y=bands["borough_share"] * 100,
            name="Borough",
            marker={"color": "#bdbdbd"},
            hovertemplate="%{x}: %{y:.1f}%<extra>Borough</extra>",
        )
    )
    fig.update_layout(
        barmode="group",
        height=300,
        margin={"l": 50, "r": 10, "t": 30, "b": 40},
        yaxis={"title": "% of population", "rangemode": "tozero"},
        xaxis={"title": "Age band"},
        legend={"orientation": "h", "y": 1.12, "x": 0},
        font=FONT,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
    )
    return fig


def deprived_figure(deprived: pd.DataFrame, *, footprint: str) -> go.Figure:
    """Share of children in national IMD deciles 1-2: this footprint against the borough."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=deprived["label"],
            x=deprived["share"] * 100,
            orientation="h",
            name=footprint,
            marker={"color": OKABE_ITO[1]},
            text=[f"{c:,.0f} children" for c in deprived["children"]],
            textposition="auto",
            hovertemplate="%{y}: %{x:.1f}% (%{text})<extra>" + footprint + "</extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            y=deprived["label"],
            x=deprived["borough_share"] * 100,
            orientation="h",
            name="Borough",
            marker={"color": "#bdbdbd"},
            hovertemplate="%{y}: %{x:.1f}%<extra>Borough</extra>",
        )
    )
    fig.update_layout(
        barmode="group",
        height=max(220, 140 + 60 * len(deprived)),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        xaxis={"title": "% of children in the most deprived 20% of England", "rangemode": "tozero"},
        yaxis={"automargin": True},
        legend={"orientation": "h", "y": 1.2, "x": 0},
        font=FONT,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
    )
    return fig


def footprint_map(place: Place, footprint: str, *, height: int = 360) -> go.Figure:
    """A small map: every footprint outlined, this one highlighted and zoomed to, with its sites."""
    from layers.base import fit_view
    from layers.geometry import display_geometries

    geoms = display_geometries(place, "footprints")
    centre, zoom = (
        fit_view(geoms.loc[footprint].bounds, width_px=520, height_px=height, padding=0.15)
        if footprint in geoms.index
        else (None, None)
    )
    # Only this footprint's sites: the map is about this footprint (and it keeps the page light).
    mine = (
        dataclasses.replace(place, sites=place.sites[place.sites["footprint"] == footprint])
        if len(place.sites)
        else place
    )
    traces = (
        footprint_outlines(place) + site_markers(mine) + [footprint_highlight(place, footprint)]
    )
    fig = map_figure(place, traces, center=centre, zoom=zoom, height=height)
    fig.update_layout(showlegend=False)
    return fig


def small_multiples(
    table: pd.DataFrame,
    catalogue: dict[str, Indicator],
    keys: list[str],
    *,
    highlight: str | None = None,
    cols: int = 3,
) -> go.Figure:
    """One bar chart per indicator, footprints sorted worst first; the borough (dashed) and
    England (dotted, where given) reference lines are labelled with their values."""
    keys = [k for k in keys if k in catalogue]
    rows = max(1, math.ceil(len(keys) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[catalogue[k].label for k in keys],
        vertical_spacing=0.12 if rows > 1 else 0.2,
        horizontal_spacing=0.08,
    )
    t = table.set_index("footprint")
    groups = t.drop(index=ALL_AREAS, errors="ignore")
    for i, key in enumerate(keys):
        r, c = divmod(i, cols)
        ind = catalogue[key]
        values = pd.to_numeric(groups[key], errors="coerce")
        values = values.sort_values(ascending=ind.higher_is == "better", na_position="last")
        colours = ["#000000" if n == highlight else OKABE_ITO[0] for n in values.index]
        fig.add_trace(
            go.Bar(
                x=values.to_numpy(),
                y=list(values.index),
                orientation="h",
                marker={"color": colours},
                showlegend=False,
                customdata=[format_number(v, kind=ind.kind, unit=ind.unit) for v in values],
                hovertemplate="%{y}: %{customdata}<extra>" + ind.label + "</extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
        if ALL_AREAS in t.index and ind.kind != "count":
            borough = pd.to_numeric(pd.Series([t.loc[ALL_AREAS, key]]), errors="coerce").iloc[0]
            if pd.notna(borough):
                fig.add_vline(
                    x=float(borough),
                    line={"dash": "dash", "color": "#555555", "width": 1},
                    annotation_text=f"Borough {format_number(borough, unit=ind.unit)}",
                    annotation_position="bottom right",
                    annotation_font={"size": 11, "color": "#333333"},
                    row=r + 1,
                    col=c + 1,
                )
        if ind.england is not None and ind.kind != "count":
            fig.add_vline(
                x=float(ind.england),
                line={"dash": "dot", "color": "#CC79A7", "width": 2},
                annotation_text=f"England {format_number(ind.england, unit=ind.unit)}",
                annotation_position="top right",
                annotation_font={"size": 11, "color": "#8a3d6b"},
                row=r + 1,
                col=c + 1,
            )
        fig.update_yaxes(autorange="reversed", row=r + 1, col=c + 1)
    fig.update_layout(
        height=max(300, 260 * rows),
        margin={"l": 10, "r": 10, "t": 40, "b": 20},
        font=FONT,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
    )
    fig.update_annotations(font={"size": 12})
    return fig


def decile_figure(decile: dict, *, footprint: str) -> go.Figure:
    """People in each national decile band: shares for this footprint against the borough.

    ``decile`` is one record of ``profile_contract(...)["deciles"]``. Bands are shares (never
    an average decile); areas with no decile get their own bar when there are any.
    """
    labels = [f"{b['decile']}" for b in decile["bands"]]
    mine = [100 * (b["share"] or 0) for b in decile["bands"]]
    theirs = [100 * (b["share"] or 0) for b in decile["borough"]["bands"]]
    counts = [b["count"] for b in decile["bands"]]
    if decile["no_decile"]["count"] or decile["borough"]["no_decile"]["count"]:
        labels.append("No data")
        mine.append(100 * (decile["no_decile"]["share"] or 0))
        theirs.append(100 * (decile["borough"]["no_decile"]["share"] or 0))
        counts.append(decile["no_decile"]["count"])
    who = decile["weight_label"].lower()
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=labels,
            y=mine,
            name=footprint,
            marker={"color": OKABE_ITO[1]},
            customdata=[f"{c:,.0f}" for c in counts],
            text=[f"{v:.0f}%" for v in mine],
            textposition="outside",
            hovertemplate="Decile %{x}: %{y:.1f}% (%{customdata})<extra>" + footprint + "</extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=theirs,
            name="Borough",
            marker={"color": "#bdbdbd"},
            hovertemplate="Decile %{x}: %{y:.1f}%<extra>Borough</extra>",
        )
    )
    fig.update_layout(
        title={
            "text": f"{decile['label']}: {who} by national decile",
            "x": 0.01,
            "font": {"size": 13},
        },
        barmode="group",
        height=300,
        margin={"l": 50, "r": 10, "t": 50, "b": 50},
        yaxis={"title": f"% of {who}", "rangemode": "tozero"},
        xaxis={"title": "National decile (1 = most deprived 10% of England)", "type": "category"},
        legend={"orientation": "h", "y": -0.3, "x": 0},
        font=FONT,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
    )
    return fig

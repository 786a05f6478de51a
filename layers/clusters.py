"""Footprint sets and school clusters as Plotly MapLibre traces.

* :func:`footprint_set_fill` — areas coloured by their footprint in a set (one colour each).
* :func:`footprint_set_outlines` — one outline trace per footprint of a set.
* :func:`changed_areas_trace` — areas that change footprint between two sets.
* :func:`design_figures` — both maps and both charts of a footprint design.
* :func:`school_cluster_traces` — cluster areas, schools coloured by cluster, hubs.
* :func:`overlay_traces` — the map page's "Clusters" overlay (saved footprint sets, else
  school clusters around the place's hubs).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from geo.clusters.design import FootprintDesign
from geo.clusters.footprint_sets import CURRENT, dissolve, footprint_sets
from geo.clusters.school_clusters import SchoolClusters, school_clusters
from geo.place.model import Place
from layers.base import map_figure
from layers.geometry import (
    DISPLAY_TOLERANCE_M,
    display_geojson,
    polygon_lines,
    safe_uid,
    to_display,
)
from layers.palettes import OKABE_ITO, categorical

CHANGED_COLOUR = "rgba(0,0,0,0.45)"  # darkens whatever footprint colour is below


def _discrete_scale(colours: list[str]) -> list[list]:
    n = len(colours)
    scale = []
    for i, c in enumerate(colours):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def footprint_colours(names: list[str]) -> dict[str, str]:
    """Okabe-Ito colour per footprint name (sorted order, cycling)."""
    return {n: OKABE_ITO[i % len(OKABE_ITO)] for i, n in enumerate(sorted(names))}


def footprint_set_fill(
    place: Place,
    assignment: pd.Series,
    *,
    title: str = "Footprint",
    opacity: float = 0.55,
    tolerance_m: float = DISPLAY_TOLERANCE_M,
    uid: str = "fpset-fill",
) -> go.Choroplethmap:
    """Areas coloured by footprint (categorical); hover names the area and its footprint."""
    codes = [str(c) for c in place.areas.index]
    a = assignment.reindex(codes).astype(object).fillna("(none)")
    names = sorted(a.unique().tolist())
    colours = footprint_colours(names)
    index = {n: i for i, n in enumerate(names)}
    return go.Choroplethmap(
        geojson=display_geojson(place, "areas", tolerance_m=tolerance_m),
        locations=codes,
        featureidkey="id",
        z=[index[v] for v in a],
        zmin=-0.5,
        zmax=len(names) - 0.5,
        colorscale=_discrete_scale([colours[n] for n in names]),
        showscale=False,
        marker={"opacity": opacity, "line": {"width": 0.3, "color": "#ffffff"}},
        customdata=np.column_stack(
            [place.areas["name"].astype(str).to_numpy(), a.to_numpy()]
        ).tolist(),
        hovertemplate=f"<b>%{{customdata[0]}}</b><br>Area code: %{{location}}<br>{title}: %{{customdata[1]}}<extra></extra>",
        name=title,
        uid=uid,
    )


def footprint_set_outlines(
    place: Place,
    assignment: pd.Series,
    *,
    title: str = "Footprint",
    width: float = 2.2,
    colour: str = "#1a1a1a",
    tolerance_m: float = DISPLAY_TOLERANCE_M,
    uid_prefix: str = "fpset",
) -> list[go.Scattermap]:
    """One dark outline per footprint of ``assignment`` (legend grouped under ``title``)."""
    polys = dissolve(place.areas, assignment).set_index("footprint").geometry
    disp = to_display(polys, tolerance_m=tolerance_m)
    traces = []
    for i, (name, geom) in enumerate(disp.items()):
        lons, lats = polygon_lines(geom)
        traces.append(
            go.Scattermap(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"color": colour, "width": width},
                name=str(name),
                legendgroup=safe_uid(uid_prefix),
                legendgrouptitle={"text": title} if i == 0 else None,
                showlegend=False,
                hovertemplate=f"<b>{name}</b><br>{title}<extra></extra>",
                uid=safe_uid(uid_prefix, i, name),
            )
        )
    return traces


def changed_areas_trace(
    place: Place,
    codes: list[str],
    *,
    tolerance_m: float = DISPLAY_TOLERANCE_M,
    uid: str = "fpset-changed",
) -> go.Choroplethmap:
    """Areas that change footprint, in one highlight colour (legend entry with the count)."""
    codes = [str(c) for c in codes]
    names = place.areas["name"].reindex(codes).astype(str).tolist()
    return go.Choroplethmap(
        geojson=display_geojson(place, "areas", tolerance_m=tolerance_m),
        locations=codes,
        featureidkey="id",
        z=[1] * len(codes),
        colorscale=[[0, CHANGED_COLOUR], [1, CHANGED_COLOUR]],
        showscale=False,
        marker={"opacity": 1.0, "line": {"width": 0.6, "color": "#1a1a1a"}},
        customdata=[[n] for n in names],
        hovertemplate="<b>%{customdata[0]}</b><br>Area code: %{location}<br>Changes footprint<extra></extra>",
        name=f"Areas that change footprint ({len(codes)})",
        showlegend=True,
        uid=uid,
    )


def school_cluster_traces(
    place: Place, clusters: SchoolClusters, *, tolerance_m: float = DISPLAY_TOLERANCE_M
) -> list:
    """Cluster areas (light fill), schools coloured by their cluster, and the hubs in black."""
    names = sorted(set(clusters.areas.dropna()) | set(clusters.schools["cluster"]))
    colours = footprint_colours(names)
    traces: list = [
        footprint_set_fill(
            place,
            clusters.areas,
            title="School cluster",
            opacity=0.25,
            tolerance_m=tolerance_m,
            uid="sc-fill",
        )
    ]
    schools = clusters.schools
    if len(schools):
        import geopandas as gpd

        pts = gpd.GeoSeries(gpd.points_from_xy(schools["x"], schools["y"]), crs=place.crs).to_crs(
            4326
        )
        minutes = schools["minutes"].to_numpy()
        hover = [
            f"<b>{n}</b><br>{p}<br>Cluster: {c}"
            + (f"<br>{m:.0f} min to hub" if np.isfinite(m) else "")
            for n, p, c, m in zip(
                schools["name"], schools["phase"], schools["cluster"], minutes, strict=True
            )
        ]
        traces.append(
            go.Scattermap(
                lon=np.round(pts.x.to_numpy(), 5),
                lat=np.round(pts.y.to_numpy(), 5),
                mode="markers",
                marker={
                    "color": [colours.get(c, "#767676") for c in schools["cluster"]],
                    "size": 9,
                    "opacity": 0.95,
                },
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                name=f"Schools by cluster ({len(schools)})",
                uid="sc-schools",
            )
        )
    if len(clusters.hubs):
        hubs = clusters.hubs.to_crs(4326)
        traces.append(
            go.Scattermap(
                lon=np.round(hubs.geometry.x.to_numpy(), 5),
                lat=np.round(hubs.geometry.y.to_numpy(), 5),
                mode="markers",
                marker={"color": "#000000", "size": 16},
                text=[f"<b>{n}</b><br>Cluster hub" for n in hubs["name"].astype(str)],
                hovertemplate="%{text}<extra></extra>",
                name=f"Cluster hubs ({len(hubs)})",
                uid="sc-hubs",
            )
        )
    return traces


def overlay_traces(place: Place) -> list:
    """The map page's "Clusters" overlay.

    Outlines of the footprint sets saved in the bundle (the first one by name), else the
    school clusters around the place's family hubs (or children's centres); empty when the
    place has neither.
    """
    from layers.overlays import cluster_outlines  # cluster tables other engines saved

    sets = {k: v for k, v in footprint_sets(place).items() if k != CURRENT}
    if sets:
        name, assignment = next(iter(sets.items()))
        traces = footprint_set_outlines(
            place, assignment, title=f"Designed footprints ({name})", width=2.0
        )
        return traces + cluster_outlines(place)
    if "school" not in place.site_kinds or not (
        {"family_hub", "childrens_centre"} & set(place.site_kinds)
    ):
        return cluster_outlines(place)
    clusters = school_clusters(place, by="hub")
    # on the shared map the areas already carry indicator colours: outlines, not a fill
    traces = footprint_set_outlines(
        place,
        clusters.areas,
        title="School clusters",
        width=1.6,
        colour="#444444",
        uid_prefix="sc-line",
    )
    traces += school_cluster_traces(place, clusters)[1:]
    for trace in traces:
        trace.legendgroup = "school-clusters"
    return traces + cluster_outlines(place)


def _bars(comparison, column: str, *, title: str, reference: float | None, fmt: str) -> go.Figure:
    fig = go.Figure()
    for i, name in enumerate(comparison.names):
        rows = comparison.table[comparison.table["set"] == name]
        fig.add_trace(
            go.Bar(
                x=rows["footprint"].astype(str).tolist(),
                y=rows[column].round(3).tolist(),
                name=name,
                marker={"color": categorical(i)},
                hovertemplate=f"<b>%{{x}}</b><br>{name}: %{{y:{fmt}}}<extra></extra>",
            )
        )
    if reference is not None:
        fig.add_hline(y=reference, line={"dash": "dash", "color": "#1a1a1a", "width": 1})
    # The title (wrapped) above the bars and the legend right of them, both outside the plot
    # area: Plotly grows the margins to fit them and the axis labels (nothing overlaps or is
    # cut).
    lines = textwrap.wrap(title, 44) or [title]
    fig.update_layout(
        title={
            "text": "<br>".join(lines),
            "font": {"size": 14},
            "x": 0,
            "xanchor": "left",
            "xref": "paper",
            "y": 1,
            "yanchor": "bottom",
            "yref": "paper",
            "pad": {"b": 10},
            "automargin": True,
        },
        barmode="group",
        height=320 + 18 * (len(lines) - 1),
        margin={"l": 56, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "v", "y": 1, "x": 1.01, "xanchor": "left", "yanchor": "top"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        yaxis={"gridcolor": "#e5e5e5", "automargin": True},
        xaxis={"type": "category", "automargin": True},
    )
    return fig


def balance_figure(comparison) -> go.Figure:
    """Each footprint's share of the balanced quantity as % of its set's mean (100 = equal)."""
    return _bars(
        comparison,
        "pct_of_mean",
        title=f"Balance: % of the mean ({comparison.basis})",
        reference=100.0,
        fmt=".1f",
    )


def compactness_figure(comparison) -> go.Figure:
    """Polsby-Popper compactness per footprint for both sets (1 = a disc)."""
    return _bars(
        comparison,
        "polsby_popper",
        title="Compactness (Polsby-Popper: 4π·area / perimeter², 1 = a disc)",
        reference=None,
        fmt=".2f",
    )


@dataclass(frozen=True)
class DesignFigures:
    """The figures of a footprint design (:func:`design_figures`)."""

    current_map: go.Figure
    designed_map: go.Figure
    balance: go.Figure
    compactness: go.Figure


def design_figures(design: FootprintDesign, *, height: int = 430) -> DesignFigures:
    """Maps of the current and the designed footprints (areas that change darker) and the
    balance and compactness charts of a :class:`geo.clusters.design.FootprintDesign`."""
    place, cmp = design.place, design.comparison
    current = place.areas["footprint"]
    label = place.footprint_label
    current_map = map_figure(
        place,
        [
            footprint_set_fill(place, current, title=label, uid="cur-fill"),
            *footprint_set_outlines(place, current, title=label, uid_prefix="cur"),
        ],
        height=height,
        fit_px=(460, height - 150),  # half a laptop screen wide, the legend below
    )
    designed_map = map_figure(
        place,
        [
            footprint_set_fill(place, design.assignment, title=design.label, uid="new-fill"),
            changed_areas_trace(place, cmp.changed["code"].tolist()),
            *footprint_set_outlines(place, design.assignment, title=design.label, uid_prefix="new"),
        ],
        height=height,
        fit_px=(460, height - 150),
    )
    return DesignFigures(current_map, designed_map, balance_figure(cmp), compactness_figure(cmp))


def chart_summary(comparison, column: str, *, what: str, unit: str = "") -> str:
    """A text alternative for :func:`balance_figure` / :func:`compactness_figure`: what the
    bars show and each set's range."""
    parts = []
    for name in comparison.names:
        values = comparison.table.loc[comparison.table["set"] == name, column].dropna()
        if len(values):
            parts.append(
                f"{name}: {len(values)} footprints, from {values.min():,.2f}{unit} "
                f"to {values.max():,.2f}{unit}"
            )
    return f"Bar chart of {what} for each footprint, set by set. " + "; ".join(parts) + "."

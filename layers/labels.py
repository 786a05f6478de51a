"""Town and suburb names on the maps, from the bundle's ``place_labels`` table.

The table comes from the OSM network file's place nodes or the config's ``[labels]`` file
(:mod:`geo.build.labels`). On the dashboard the names are a trace that draws nothing, written
as HTML text over the map by ``assets/map_labels.js`` (offline, like the footprint names);
static exports write them as vector annotations (:func:`layers.static.add_map_furniture`).
"""

from __future__ import annotations

import plotly.graph_objects as go

from geo.place.model import Place

PLACE_LABELS_UID = "place-labels"
#: Biggest places first: the dashboard and exports draw them in this order.
KIND_ORDER = ("city", "town", "suburb", "village", "hamlet")


def place_label_points(place: Place) -> list[tuple[str, float, float]]:
    """``(name, lon, lat)`` of each town or suburb name of ``place`` (empty without any).

    A name that is also a footprint's name is left out: the footprint's label already writes
    it there (two copies of one name would sit on top of each other)."""
    table = place.tables.get("place_labels")
    if table is None or not len(table) or "geometry" not in table or "name" not in table:
        return []
    import geopandas as gpd

    frame = gpd.GeoDataFrame(table, geometry="geometry", crs=table.crs or place.crs)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    kinds = frame["kind"].astype(str) if "kind" in frame else None
    if kinds is not None:
        order = kinds.map({k: i for i, k in enumerate(KIND_ORDER)}).fillna(len(KIND_ORDER))
        frame = frame.iloc[order.to_numpy().argsort(kind="stable")]
    frame = frame[~frame["name"].astype(str).isin(set(place.footprint_names))]
    pts = frame.geometry.to_crs(4326)
    return [
        (str(name), round(float(p.x), 6), round(float(p.y), 6))
        for name, p in zip(frame["name"], pts, strict=True)
    ]


def place_labels(place: Place, *, visible: bool | str = True) -> go.Scattermap:
    """The place names as a trace that draws nothing (``mode="none"``): the dashboard writes
    them as HTML text over the map (``assets/map_labels.js``), with no font server."""
    points = place_label_points(place)
    return go.Scattermap(
        lon=[p[1] for p in points],
        lat=[p[2] for p in points],
        text=[p[0] for p in points],
        mode="none",
        hoverinfo="skip",
        showlegend=False,
        name="Place names",
        meta="place-labels",
        visible=visible,
        uid=PLACE_LABELS_UID,
    )

"""Town and suburb names for the maps from the optional ``[labels]`` file of a place config.

The names become the ``place_labels`` table of the bundle (``name``, ``kind``, points in the
working CRS), drawn as text on every map: the dashboard's offline label layer and the exports'
annotations. Without ``[labels]``, an OSM network file supplies them from its place nodes
(:func:`geo.network.osm.read_place_labels`).
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geo.errors import DataError
from geo.place.config import GEO_SUFFIXES, LabelsSource
from geo.place.model import Finding
from geo.place.readers import (
    check_declared_crs,
    examples,
    numeric_column,
    read_geo,
    read_table,
    require_columns,
)


def import_labels(
    src: LabelsSource, *, crs: str, boundary: BaseGeometry | None = None
) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Read ``[labels]`` into ``name``, ``kind`` and points in ``crs``.

    Names outside ``boundary`` (working CRS) are left out and said so; rows without a name or
    a location are an error naming the file, the column and examples.

    Raises
    ------
    geo.errors.DataError
        Missing columns, empty names, values that are not coordinates, no rows.
    """
    is_geo = src.path.suffix.lower() in GEO_SUFFIXES and not (src.lon or src.x)
    df = read_geo(src.path, layer=src.layer) if is_geo else read_table(
        src.path, dtype_str=[src.name], table_format=src.table_format
    )  # fmt: skip
    if len(df) == 0:
        raise DataError("contains no rows", path=src.path)
    coords = {} if is_geo else {"lon": src.lon, "lat": src.lat, "x": src.x, "y": src.y}
    require_columns(df, {"name": src.name, "kind": src.kind} | coords, path=src.path)
    names = df[src.name].astype("string").str.strip()
    empty = names.isna() | (names == "")
    if empty.any():
        raise DataError(
            f"column {src.name!r} has {int(empty.sum())} empty name(s) "
            f"(rows {examples((df.index[empty.to_numpy()] + 2).tolist())})",
            path=src.path,
        )
    if is_geo:
        check_declared_crs(df.geometry[df.geometry.notna()], path=src.path)
        geom = df.geometry.to_crs(crs)
        if not set(geom.dropna().geom_type.unique()) <= {"Point"}:
            geom = geom.representative_point()
    elif src.lon and src.lat:
        lon = numeric_column(df, src.lon, path=src.path)
        lat = numeric_column(df, src.lat, path=src.path)
        bad = (lon.abs() > 180) | (lat.abs() > 90)
        if bad.any():
            raise DataError(
                f"columns {src.lon!r}/{src.lat!r} hold values that are not degrees, e.g. "
                f"({lon[bad].iloc[0]:g}, {lat[bad].iloc[0]:g}): use x/y with crs for metres",
                path=src.path,
            )
        geom = gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=df.index, crs="EPSG:4326")
        geom = geom.to_crs(crs)
    else:
        x = numeric_column(df, str(src.x), path=src.path)
        y = numeric_column(df, str(src.y), path=src.path)
        declared = gpd.GeoSeries(gpd.points_from_xy(x, y), index=df.index, crs=src.crs)
        check_declared_crs(declared[(x.notna() & y.notna()).to_numpy()], path=src.path)
        geom = declared.to_crs(crs)
    missing = geom.isna() | geom.is_empty
    if missing.any():
        raise DataError(
            f"{int(missing.sum())} label(s) without a location: "
            f"{examples(names[missing.to_numpy()].tolist())}",
            path=src.path,
        )
    kinds = df[src.kind].astype("string").str.strip().fillna("") if src.kind else ""
    out = gpd.GeoDataFrame(
        {"name": names.to_numpy(), "kind": kinds if isinstance(kinds, str) else kinds.to_numpy()},
        geometry=geom.to_numpy(),
        crs=crs,
    )
    findings: list[Finding] = []
    if boundary is not None:
        inside = out.geometry.within(boundary).to_numpy()
        if not inside.all():
            findings.append(
                Finding(
                    "warning",
                    f"{src.path.name}: {int((~inside).sum())} label(s) outside the place left "
                    f"out: {examples(out.loc[~inside, 'name'].tolist())}",
                )
            )
            out = out[inside].reset_index(drop=True)
        if not len(out):
            raise DataError("no label lies inside the place (check the coordinates)", path=src.path)
    findings.append(Finding("info", f"labels: {len(out)} place names from {src.path.name}"))
    return out, findings

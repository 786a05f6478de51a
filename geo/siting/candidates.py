"""Candidate hub locations: existing sites, user-dropped points, a file, or a regular grid.

Every function returns a GeoDataFrame indexed by a unique text ``candidate`` id with the
columns ``name``, ``kind`` and ``source`` (``site``, ``point``, ``file`` or ``grid``) and
point geometry in the place's working CRS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import DataError, InputError
from geo.place.config import GEO_SUFFIXES
from geo.place.model import Place
from geo.place.readers import numeric_column, read_geo, read_table

COLUMNS = ["name", "kind", "source"]
DEFAULT_GRID_M = 500.0
MAX_GRID_POINTS = 20_000


def _frame(ids, names, kinds, source: str, geometry, crs) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {"name": list(names), "kind": list(kinds), "source": source},
        geometry=gpd.GeoSeries(list(geometry), crs=crs),
    )
    gdf.index = pd.Index([str(i) for i in ids], name="candidate")
    return gdf


def empty(place: Place) -> gpd.GeoDataFrame:
    """No candidates (same columns and CRS)."""
    return _frame([], [], [], "site", [], place.crs)


def from_sites(place: Place, kinds: str | Iterable[str]) -> gpd.GeoDataFrame:
    """Sites of the given kind(s) (``"all"`` for every kind) as candidates, ids = site ids."""
    wanted = [kinds] if isinstance(kinds, str) else list(kinds)
    known = place.site_kinds
    if wanted == ["all"]:
        wanted = known
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise InputError(
            f"unknown site kind {unknown[0]!r}; this place has: {', '.join(known) or 'no sites'}"
        )
    sites = place.sites[place.sites["kind"].isin(wanted)]
    if sites.empty:
        raise InputError(f"no sites of kind {', '.join(wanted)}")
    return _frame(sites["site_id"], sites["name"], sites["kind"], "site", sites.geometry, place.crs)


def from_points(
    place: Place,
    points: Sequence[tuple[float, float]],
    *,
    crs: str = "EPSG:4326",
    prefix: str = "new",
    names: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """User-dropped points (``(x, y)``, by default lon/lat) as candidates ``new-1``, ``new-2``..."""
    pts = [(float(x), float(y)) for x, y in points]
    if any(not np.isfinite(v) for xy in pts for v in xy):
        raise InputError("a dropped point has a missing or non-numeric coordinate")
    geom = gpd.GeoSeries(gpd.points_from_xy([p[0] for p in pts], [p[1] for p in pts]), crs=crs)
    geom = geom.to_crs(place.crs)
    ids = [f"{prefix}-{i}" for i in range(1, len(pts) + 1)]
    labels = list(names) if names is not None else [f"New hub {i}" for i in range(1, len(pts) + 1)]
    return _frame(ids, labels, ["new"] * len(pts), "point", geom, place.crs)


def _pick(columns: Iterable[str], *options: str) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[o] for o in options if o in lower), None)


def from_file(place: Place, path: str | Path) -> gpd.GeoDataFrame:
    """Candidates from a CSV/XLSX (``lon``/``lat`` degrees or ``x``/``y`` British National Grid
    metres; optional ``id`` and ``name``) or a geo file (polygons become an inside point)."""
    path = Path(path)
    if path.suffix.lower() in GEO_SUFFIXES:
        gdf = read_geo(path).to_crs(place.crs)
        geom = gdf.geometry.representative_point()
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    else:
        table = read_table(path, dtype_str=("id", "site_id", "name"))
        if table.empty:
            raise DataError("has no rows", path=path)
        lon, lat = (
            _pick(table.columns, "lon", "longitude", "lng"),
            _pick(table.columns, "lat", "latitude"),
        )
        x, y = _pick(table.columns, "x", "easting"), _pick(table.columns, "y", "northing")
        if lon and lat:
            xs, ys, crs = (
                numeric_column(table, lon, path=path),
                numeric_column(table, lat, path=path),
                "EPSG:4326",
            )
            if (xs.abs() > 180).any() or (ys.abs() > 90).any():
                raise DataError(
                    f"columns {lon!r}/{lat!r} are not degrees; use x/y columns for metres",
                    path=path,
                )
        elif x and y:
            xs, ys, crs = (
                numeric_column(table, x, path=path),
                numeric_column(table, y, path=path),
                "EPSG:27700",
            )
        else:
            raise DataError(
                "needs coordinate columns lon/lat (degrees) or x/y (British National Grid metres); "
                f"columns are: {', '.join(map(str, table.columns))}",
                path=path,
            )
        missing = xs.isna() | ys.isna()
        if missing.any():
            raise DataError(
                f"row {int(np.flatnonzero(missing)[0]) + 2} has a blank coordinate", path=path
            )
        geom = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=crs).to_crs(place.crs)
    id_col = _pick(table.columns, "id", "site_id", "candidate")
    name_col = _pick(table.columns, "name", "site_name")
    ids = (
        table[id_col].astype(str).str.strip()
        if id_col
        else pd.Series([f"file-{i}" for i in range(1, len(table) + 1)])
    )
    dupes = ids[ids.duplicated()]
    if len(dupes):
        raise DataError(f"candidate id {dupes.iloc[0]!r} appears more than once", path=path)
    names = table[name_col].astype(str) if name_col else ids
    far = geom.distance(place.boundary) > 20_000
    if far.all():
        raise DataError(
            "every candidate is more than 20 km from the place: check the coordinates", path=path
        )
    return _frame(ids, names, ["file"] * len(ids), "file", geom, place.crs)


def populated_weight(place: Place) -> str | None:
    """The indicator that says where people live: ``population`` if present, else the first count."""
    if "population" in place.catalogue:
        return "population"
    return next((k for k, ind in place.catalogue.items() if ind.kind == "count"), None)


def grid(
    place: Place, *, spacing_m: float = DEFAULT_GRID_M, weight: str | None = None
) -> gpd.GeoDataFrame:
    """A regular grid of points (``spacing_m`` apart) inside areas with people (weight > 0)."""
    if not spacing_m or spacing_m <= 0 or not np.isfinite(spacing_m):
        raise InputError(f"grid spacing must be a positive number of metres, got {spacing_m!r}")
    key = weight or populated_weight(place)
    areas = place.areas
    if key is not None:
        values = pd.to_numeric(areas[place.indicator(key).key], errors="coerce")
        areas = areas[values.fillna(0) > 0]
    if areas.empty:
        raise InputError("no populated areas to put a grid over")
    x0, y0, x1, y1 = areas.total_bounds
    xs = np.arange(x0 + spacing_m / 2, x1, spacing_m)
    ys = np.arange(y0 + spacing_m / 2, y1, spacing_m)
    if len(xs) * len(ys) > MAX_GRID_POINTS * 4:
        raise InputError(f"a {spacing_m:g} m grid is too fine for this place; use a larger spacing")
    gx, gy = np.meshgrid(xs, ys)
    pts = gpd.GeoSeries(gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=place.crs)
    inside = gpd.sjoin(
        gpd.GeoDataFrame(geometry=pts), areas[["geometry"]], predicate="within", how="inner"
    )
    pts = pts.loc[np.unique(inside.index.to_numpy())]
    if len(pts) > MAX_GRID_POINTS:
        raise InputError(f"a {spacing_m:g} m grid gives {len(pts)} points; use a larger spacing")
    if pts.empty:
        raise InputError(
            f"a {spacing_m:g} m grid has no point inside a populated area; use a smaller spacing"
        )
    ids = [f"grid-{i}" for i in range(1, len(pts) + 1)]
    return _frame(
        ids,
        [f"Grid point {i}" for i in range(1, len(pts) + 1)],
        ["grid"] * len(pts),
        "grid",
        pts,
        place.crs,
    )


def resolve(place: Place, spec: str) -> gpd.GeoDataFrame:
    """Candidates from a CLI-style spec: a site kind (or ``kind1,kind2``, or ``all``),
    ``grid`` / ``grid:SPACING_M``, or a file path."""
    spec = str(spec).strip()
    if spec == "grid" or spec.startswith("grid:"):
        _, _, raw = spec.partition(":")
        try:
            spacing = float(raw) if raw else DEFAULT_GRID_M
        except ValueError:
            raise InputError(
                f"grid spacing {raw!r} is not a number of metres (e.g. grid:500)"
            ) from None
        return grid(place, spacing_m=spacing)
    kinds = [k.strip() for k in spec.split(",") if k.strip()]
    if kinds and (kinds == ["all"] or all(k in place.site_kinds for k in kinds)):
        return from_sites(place, kinds)
    path = Path(spec)
    if path.suffix and (
        path.exists() or "/" in spec or path.suffix.lower() in (*GEO_SUFFIXES, ".csv", ".xlsx")
    ):
        return from_file(place, path)
    raise InputError(
        f"candidates {spec!r} is not a site kind ({', '.join(place.site_kinds) or 'none'}), "
        "'all', 'grid[:metres]' or a file"
    )


def combine(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Concatenate candidate sets, keeping the first of any repeated id."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        raise InputError("no candidate hubs")
    out = pd.concat(frames)
    out = out[~out.index.duplicated(keep="first")]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frames[0].crs)

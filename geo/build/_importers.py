"""Importers for areas, indicator tables and footprints.

Each importer takes a config section and returns data in the working CRS plus findings
(warnings the build carries on from). Fatal problems raise :class:`InputError`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.place.config import AreasSource, FootprintsSource, Indicator, IndicatorSource
from geo.place.model import Finding
from geo.place.readers import examples, numeric_column, read_geo, read_table, require_columns


def _codes(series: pd.Series) -> pd.Series:
    """Normalise area codes to stripped text."""
    out = series.astype("string").str.strip()
    return out.mask(out == "")


def import_areas(src: AreasSource, *, crs: str) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Read the small areas, reproject to ``crs``, repair geometry and check codes."""
    findings: list[Finding] = []
    gdf = read_geo(src.path, layer=src.layer)
    require_columns(gdf, {"areas.code": src.code, "areas.name": src.name}, path=src.path)
    codes = _codes(gdf[src.code])
    if codes.isna().any():
        raise InputError(
            f"column {src.code!r} has {int(codes.isna().sum())} empty area code(s)", path=src.path
        )
    dupes = codes[codes.duplicated()].unique().tolist()
    if dupes:
        raise InputError(
            f"duplicate area codes in column {src.code!r}: {examples(dupes)} ({len(dupes)} duplicated)",
            path=src.path,
        )
    names = gdf[src.name].astype("string").fillna(codes) if src.name else codes
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        raise InputError(
            f"{int(empty.sum())} area(s) have empty geometry: {examples(codes[empty].tolist())}",
            path=src.path,
        )
    if not set(geom.geom_type.unique()) <= {"Polygon", "MultiPolygon"}:
        bad = sorted(set(geom.geom_type.unique()) - {"Polygon", "MultiPolygon"})
        raise InputError(f"areas must be polygons; found {', '.join(bad)}", path=src.path)
    invalid = ~geom.is_valid
    if invalid.any():
        repaired = shapely.make_valid(geom[invalid].values)
        polys = [_polygonal(g) for g in repaired]
        geom = geom.copy()
        geom[invalid] = polys
        findings.append(
            Finding(
                "warning",
                f"{src.path.name}: repaired {int(invalid.sum())} invalid area geometr"
                f"{'y' if invalid.sum() == 1 else 'ies'}: {examples(codes[invalid].tolist())}",
            )
        )
    areas = gpd.GeoDataFrame(
        {"code": codes.astype(str).values, "name": names.astype(str).values},
        geometry=geom.values,
        crs=gdf.crs,
    ).to_crs(crs)
    _check_projected(areas, crs)
    return areas.set_index("code"), findings


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygonal part of a repaired geometry."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


def _check_projected(areas: gpd.GeoDataFrame, crs: str) -> None:
    if not areas.crs.is_projected:
        raise InputError(f"working crs {crs!r} must be a projected CRS (metres), e.g. EPSG:27700")
    xmin, ymin, xmax, ymax = areas.total_bounds
    if not np.all(np.isfinite([xmin, ymin, xmax, ymax])):
        raise InputError(f"areas do not project into {crs}: check the file's CRS")


def import_indicators(
    src: IndicatorSource, area_codes: pd.Index
) -> tuple[pd.DataFrame, list[Finding]]:
    """Read one indicator table and align its columns to ``area_codes`` (missing -> NaN)."""
    findings: list[Finding] = []
    df = read_table(src.path, sheet=src.sheet, dtype_str=[src.code])
    wanted = {"code": src.code} | {
        f"indicator {ind.key!r}": ind.column for ind in src.columns if ind.column
    }
    require_columns(df, wanted, path=src.path)
    codes = _codes(df[src.code])
    keep = codes.notna()
    df = df.loc[keep.values]
    df.index = pd.Index(codes[keep].astype(str).values)
    dupes = df.index[df.index.duplicated()].unique().tolist()
    if dupes:
        raise InputError(
            f"duplicate codes in column {src.code!r}: {examples(dupes)} ({len(dupes)} duplicated)",
            path=src.path,
        )
    unmatched = df.index.difference(area_codes)
    matched = df.index.intersection(area_codes)
    if len(matched) == 0:
        raise InputError(
            f"no code in column {src.code!r} matches an area code (file has e.g. "
            f"{examples(df.index[:3].tolist())}; areas have e.g. {examples(area_codes[:3].tolist())})",
            path=src.path,
        )
    if len(unmatched):
        findings.append(
            Finding(
                "warning",
                f"{src.path.name}: {len(unmatched)} code(s) match no area and were ignored: "
                f"{examples(sorted(unmatched))}",
            )
        )
    out = pd.DataFrame(index=area_codes)
    for ind in src.columns:
        if not ind.column:
            continue
        values = numeric_column(df, ind.column, path=src.path)
        out[ind.key] = values.reindex(area_codes)
        missing = out[ind.key].isna()
        if missing.any():
            findings.append(
                Finding(
                    "warning",
                    f"{src.path.name}: indicator {ind.key!r} has no value for {int(missing.sum())} "
                    f"area(s), kept as missing: {examples(area_codes[missing.values].tolist())}",
                )
            )
        if ind.kind == "count" and (out[ind.key] < 0).any():
            neg = area_codes[(out[ind.key] < 0).values].tolist()
            raise InputError(
                f"column {ind.column!r} (count {ind.key!r}) has {len(neg)} negative value(s), "
                f"e.g. areas {examples(neg)}",
                path=src.path,
            )
    return out, findings


def compute_rates(values: pd.DataFrame, catalogue: dict[str, Indicator]) -> pd.DataFrame:
    """Fill each ``rate`` indicator per area as ``per * numerator / denominator`` (0 -> NaN)."""
    values = values.copy()
    for ind in catalogue.values():
        if ind.kind == "rate":
            den = values[ind.denominator].where(values[ind.denominator] != 0)
            values[ind.key] = ind.per * values[ind.numerator] / den
    return values


def import_footprints(
    src: FootprintsSource, areas: gpd.GeoDataFrame
) -> tuple[pd.Series, list[Finding]]:
    """Assign each area a footprint from a lookup table or from polygons (largest overlap)."""
    findings: list[Finding] = []
    suffix = src.path.suffix.lower()
    if suffix in (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip"):
        assignment = _footprints_from_polygons(src, areas)
    else:
        df = read_table(src.path, dtype_str=[src.code])
        require_columns(
            df, {"footprints.code": src.code, "footprints.name": src.name}, path=src.path
        )
        codes = _codes(df[src.code])
        names = df[src.name].astype("string").str.strip()
        lookup = pd.Series(names.values, index=codes.values).dropna()
        lookup = lookup[lookup.index.notna()]
        clash = lookup.groupby(level=0).nunique()
        clash = clash[clash > 1].index.tolist()
        if clash:
            raise InputError(
                f"area code(s) assigned to more than one footprint: {examples(clash)}",
                path=src.path,
            )
        lookup = lookup[~lookup.index.duplicated()]
        unknown = lookup.index.difference(areas.index)
        if len(unknown):
            findings.append(
                Finding(
                    "warning",
                    f"{src.path.name}: {len(unknown)} code(s) match no area: {examples(sorted(unknown))}",
                )
            )
        assignment = lookup.reindex(areas.index)
    missing = assignment.isna()
    if missing.all():
        raise InputError("no area was assigned to a footprint", path=src.path)
    if missing.any():
        codes = areas.index[missing.values].tolist()
        findings.append(
            Finding(
                "warning",
                f"{src.path.name}: {len(codes)} area(s) are in no footprint: "
                f"{', '.join(codes[:20])}{' …' if len(codes) > 20 else ''}",
            )
        )
    return assignment.astype("object").where(~missing, None), findings


def _footprints_from_polygons(src: FootprintsSource, areas: gpd.GeoDataFrame) -> pd.Series:
    polys = read_geo(src.path, layer=src.layer)
    require_columns(polys, {"footprints.name": src.name}, path=src.path)
    polys = polys[[src.name, "geometry"]].to_crs(areas.crs)
    polys["geometry"] = shapely.make_valid(polys.geometry.values)
    left = areas[["geometry"]].reset_index()
    pieces = gpd.overlay(left, polys, how="intersection", keep_geom_type=True)
    pieces["_a"] = pieces.geometry.area
    best = pieces.sort_values("_a").drop_duplicates("code", keep="last")
    return best.set_index("code")[src.name].astype(str).reindex(areas.index)


def dissolve_footprints(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per footprint with its number of areas."""
    assigned = areas[areas["footprint"].notna()]
    if assigned.empty:
        return gpd.GeoDataFrame({"footprint": [], "areas": []}, geometry=[], crs=areas.crs)
    grouped = assigned.groupby("footprint")
    geoms = grouped.geometry.apply(lambda s: shapely.union_all(s.values))
    out = gpd.GeoDataFrame(
        {"footprint": geoms.index.astype(str), "areas": grouped.size().reindex(geoms.index).values},
        geometry=list(geoms.values),
        crs=areas.crs,
    )
    return out.reset_index(drop=True)

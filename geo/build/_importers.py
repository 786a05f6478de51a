"""Importers for areas, indicator tables and footprints.

Each importer takes a config section and returns data in the working CRS plus findings
(warnings the build carries on from). Fatal problems raise :class:`InputError`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import ConfigError, DataError, InputError
from geo.place.config import AreasSource, FootprintsSource, Indicator, IndicatorSource
from geo.place.model import Finding
from geo.place.readers import (
    check_declared_crs,
    examples,
    numeric_column,
    read_geo,
    read_table,
    require_columns,
)


def _codes(series: pd.Series) -> pd.Series:
    """Normalise area codes to stripped text."""
    out = series.astype("string").str.strip()
    return out.mask(out == "")


FAR_PART_M = 1_000.0
SLIVER_M2 = 100.0
OVERLAP_SHARE = 0.1  # of the smaller area: more is not a digitising wobble
MAX_SCALE_ERROR = 0.01


def import_areas(
    src: AreasSource, *, crs: str, allow_distortion: bool = False
) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Read the small areas, reproject to ``crs``, repair geometry and check codes.

    Refused (one line naming the file and the area code): empty or NaN coordinates, a
    geometry that collapses when repaired (zero area, e.g. collinear points) or whose repair
    makes a part more than 1 km from the rest (e.g. a hole outside its shell), coordinates
    outside the area of use of the file's CRS, a working CRS whose scale error across the
    place is 1% or more (unless ``allow_distortion``). Slivers and exact duplicates are warnings.
    """
    findings: list[Finding] = []
    gdf = read_geo(src.path, layer=src.layer)
    require_columns(gdf, {"areas.code": src.code, "areas.name": src.name}, path=src.path)
    codes = _codes(gdf[src.code])
    if codes.isna().any():
        raise DataError(
            f"column {src.code!r} has {int(codes.isna().sum())} empty area code(s)", path=src.path
        )
    dupes = codes[codes.duplicated()].unique().tolist()
    if dupes:
        raise DataError(
            f"duplicate area codes in column {src.code!r}: {examples(dupes)} ({len(dupes)} duplicated)",
            path=src.path,
        )
    names = gdf[src.name].astype("string").fillna(codes) if src.name else codes
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        raise DataError(
            f"{int(empty.sum())} area(s) have empty geometry: {examples(codes[empty].tolist())}",
            path=src.path,
        )
    _check_nan_coordinates(geom, codes, src.path)
    if not set(geom.geom_type.unique()) <= {"Polygon", "MultiPolygon"}:
        bad = sorted(set(geom.geom_type.unique()) - {"Polygon", "MultiPolygon"})
        raise DataError(f"areas must be polygons; found {', '.join(bad)}", path=src.path)
    check_declared_crs(geom, path=src.path)
    original = geom.to_crs(crs)
    invalid = ~geom.is_valid
    if invalid.any():
        repaired = shapely.make_valid(geom[invalid].values)
        polys = [_polygonal(g) for g in repaired]
        geom = geom.copy()
        geom[invalid] = polys
        projected = gpd.GeoSeries(polys, crs=geom.crs).to_crs(crs).values
        for code, before, after in zip(
            codes[invalid], original[invalid].values, projected, strict=True
        ):
            _check_repair(code, before, after, src.path)
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
    _check_not_swapped(geom, crs, src.path)
    found = _check_scale(areas, crs, allow_distortion=allow_distortion)
    findings += found + _slivers_and_duplicates(areas, src.path)
    return areas.set_index("code"), findings


def _polygonal(g: BaseGeometry) -> BaseGeometry:
    """Keep the polygonal part of a repaired geometry."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


def _check_projected(areas: gpd.GeoDataFrame, crs: str) -> None:
    if not areas.crs.is_projected:
        raise ConfigError(f"working crs {crs!r} must be a projected CRS (metres), e.g. EPSG:27700")
    xmin, ymin, xmax, ymax = areas.total_bounds
    if not np.all(np.isfinite([xmin, ymin, xmax, ymax])):
        raise DataError(f"areas do not project into {crs}: check the file's CRS")


def _check_nan_coordinates(geom: gpd.GeoSeries, codes: pd.Series, path) -> None:
    coords, index = shapely.get_coordinates(geom.values, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        first = int(index[bad][0])
        n = len(np.unique(index[bad]))
        raise DataError(
            f"feature {first + 1} (area {codes.iloc[first]!r}) has a NaN or infinite coordinate"
            + (f" ({n} features in all)" if n > 1 else ""),
            path=path,
        )


def _check_repair(code: str, before: BaseGeometry, after: BaseGeometry | None, path) -> None:
    """An area whose repair collapses it or throws a part far away is an error naming it."""
    if after is None or after.is_empty or after.geom_type not in ("Polygon", "MultiPolygon"):
        kind = "nothing" if after is None or after.is_empty else after.geom_type.lower()
        raise DataError(
            f"area {code!r} collapses when repaired (to a {kind} with zero area: collinear or "
            "repeated points?); fix its polygon",
            path=path,
        )
    if after.area <= 0:
        raise DataError(f"area {code!r} has zero area when repaired; fix its polygon", path=path)
    parts = list(shapely.get_parts(after))
    if len(parts) < 2:
        return
    shells = shapely.union_all(
        [shapely.Polygon(p.exterior) for p in shapely.get_parts(before) if p.geom_type == "Polygon"]
    )
    largest = max(parts, key=lambda p: p.area)
    for part in parts:
        far = part.distance(largest)
        if far > FAR_PART_M and not shells.buffer(1.0).contains(part):
            raise DataError(
                f"area {code!r} falls apart when repaired: a part lies {far / 1000:,.1f} km from "
                "the rest (a hole outside its shell?); fix its polygon",
                path=path,
            )


def _check_not_swapped(geom: gpd.GeoSeries, crs: str, path) -> None:
    """Lon/lat written as (lat, lon): outside the working CRS's area of use, inside if swapped."""
    from pyproj import CRS

    aou = CRS.from_user_input(crs).area_of_use
    if aou is None or aou.west > aou.east:
        return
    xmin, ymin, xmax, ymax = (float(v) for v in geom.to_crs(4326).total_bounds)

    def inside(lon0: float, lat0: float, lon1: float, lat1: float) -> bool:
        return aou.west <= lon0 <= lon1 <= aou.east and aou.south <= lat0 <= lat1 <= aou.north

    if not inside(xmin, ymin, xmax, ymax) and inside(ymin, xmin, ymax, xmax):
        raise DataError(
            f"coordinates look swapped: read as longitude {xmin:.4g} to {xmax:.4g}, latitude "
            f"{ymin:.4g} to {ymax:.4g}, outside the area where the working crs {crs!r} is used "
            f"({aou.name.split(' - ')[0].rstrip('.')}); the file holds (latitude, longitude) pairs, GeoJSON "
            "needs (longitude, latitude)",
            path=path,
        )


def _check_scale(areas: gpd.GeoDataFrame, crs: str, *, allow_distortion: bool) -> list[Finding]:
    """The working CRS's scale error across the place must be under 1%."""
    from pyproj import Proj

    xmin, ymin, xmax, ymax = areas.total_bounds
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, 5), np.linspace(ymin, ymax, 5))
    pts = gpd.GeoSeries(gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=crs).to_crs(4326)
    try:
        factors = Proj(areas.crs).get_factors(pts.x.to_numpy(), pts.y.to_numpy())
    except Exception:  # pragma: no cover - pyproj cannot compute factors for some CRSs
        return []
    scale = np.concatenate([factors.meridional_scale, factors.parallel_scale])
    scale = scale[np.isfinite(scale)]
    if not len(scale):
        return []
    error = float(np.max(np.abs(scale - 1.0)))
    if error < MAX_SCALE_ERROR:
        return []
    message = (
        f"working crs {crs!r} distorts distances and areas by up to {error:.1%} across this "
        "place (scale factor "
        f"{scale.min():.3f}-{scale.max():.3f}); use a local projected CRS such as EPSG:27700"
    )
    if not allow_distortion:
        raise ConfigError(message + " or set allow_distortion = true")
    return [Finding("warning", message + " (allowed by allow_distortion = true)")]


def _slivers_and_duplicates(areas: gpd.GeoDataFrame, path) -> list[Finding]:
    findings = []
    area = areas.geometry.area.to_numpy()
    perimeter = areas.geometry.length.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        compact = 4 * np.pi * area / perimeter**2
    sliver = (area < SLIVER_M2) | (compact < 0.005)
    if sliver.any():
        codes = areas["code"][sliver].tolist()
        findings.append(
            Finding(
                "warning",
                f"{path.name}: {len(codes)} sliver area(s) (under {SLIVER_M2:g} m² or extremely "
                f"thin): {examples(codes)}",
            )
        )
    wkb = shapely.to_wkb(shapely.normalize(areas.geometry.values))
    dup = pd.Series(wkb).duplicated(keep=False).to_numpy()
    if dup.any():
        codes = areas["code"][dup].tolist()
        findings.append(
            Finding(
                "warning",
                f"{path.name}: {len(codes)} areas have exactly the same polygon: {examples(codes)}",
            )
        )
    return findings + _overlaps(areas, path, skip=dup)


def _overlaps(areas: gpd.GeoDataFrame, path, *, skip: np.ndarray) -> list[Finding]:
    """Areas that share much ground (not exact duplicates): people there are counted twice."""
    geoms = areas.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = (left < right) & ~skip[left] & ~skip[right]
    left, right = left[pair], right[pair]
    if not len(left):
        return []
    with np.errstate(all="ignore"):
        shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(smaller > 0, shared / smaller, 0.0)
    heavy = share > OVERLAP_SHARE
    if not heavy.any():
        return []
    codes = areas["code"].to_numpy()
    hl, hr, hs = left[heavy], right[heavy], share[heavy]
    shown = ", ".join(
        f"{codes[hl[k]]!r}/{codes[hr[k]]!r} ({hs[k]:.0%})" for k in np.argsort(-hs)[:3]
    )
    return [
        Finding(
            "warning",
            f"{path.name}: {int(heavy.sum())} pair(s) of areas overlap by more than "
            f"{OVERLAP_SHARE:.0%} of the smaller one: {shown}"
            + (" …" if heavy.sum() > 3 else "")
            + "; people and sites there are counted in both",
        )
    ]


def import_indicators(
    src: IndicatorSource, area_codes: pd.Index
) -> tuple[pd.DataFrame, list[Finding]]:
    """Read one indicator table and align its columns to ``area_codes`` (missing -> NaN)."""
    findings: list[Finding] = []
    df = read_table(src.path, sheet=src.sheet, dtype_str=[src.code], table_format=src.table_format)
    wanted = {"code": src.code} | {
        f"indicator {ind.key!r}": ind.column for ind in src.columns if ind.column
    }
    require_columns(df, wanted, path=src.path)
    findings += reading_notes(df, src.path)
    codes = _codes(df[src.code])
    keep = codes.notna()
    df = df.loc[keep.to_numpy()]
    # pandas-stubs read pd.Index(array) as a MultiIndex; it is a flat index of codes.
    index: pd.Index = pd.Index(codes[keep].astype(str).values)
    df.index = index
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
            f"{examples(df.index[:3].tolist())}; areas have e.g. {examples(area_codes[:3].tolist())})"
            + _near_miss(df.index, area_codes),
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
                    f"area(s), kept as missing: {examples(area_codes[missing.to_numpy()].tolist())}",
                )
            )
        if ind.kind == "count" and (out[ind.key] < 0).any():
            neg = area_codes[(out[ind.key] < 0).to_numpy()].tolist()
            raise InputError(
                f"column {ind.column!r} (count {ind.key!r}) has {len(neg)} negative value(s), "
                f"e.g. areas {examples(neg)}",
                path=src.path,
            )
    return out, findings


def _near_miss(codes: pd.Index, area_codes: pd.Index) -> str:
    """A hint when codes match once case or a leading apostrophe (Excel's text mark) is undone."""
    tidy = pd.Index(codes.str.lstrip("'\u2019").str.upper())
    hits = int(tidy.isin(area_codes).sum())
    if not hits:
        return ""
    apostrophe = codes.str.startswith(("'", "\u2019")).any()
    cause = "a leading apostrophe (Excel's text mark)" if apostrophe else "upper/lower case"
    return f"; {hits} code(s) would match but for {cause}: fix the codes in the file"


def reading_notes(df: pd.DataFrame, path) -> list[Finding]:
    """Say how a table was read when it is not a plain comma-separated one."""
    notes = []
    delimiter, decimal = df.attrs.get("delimiter", ","), df.attrs.get("decimal", ".")
    if delimiter != "," or decimal != ".":
        shown = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(delimiter, repr(delimiter))
        notes.append(
            Finding("info", f"{path.name}: read as {shown}-separated with decimal mark {decimal!r}")
        )
    if df.attrs.get("title_rows"):
        notes.append(
            Finding(
                "info",
                f"{path.name}: skipped {df.attrs['title_rows']} row(s) above the header "
                f"(header_row = {df.attrs['header_row']})",
            )
        )
    return notes


def compute_rates(values: pd.DataFrame, catalogue: dict[str, Indicator]) -> pd.DataFrame:
    """Fill each ``rate`` indicator per area as ``per * numerator / denominator`` (0 -> NaN)."""
    values = values.copy()
    for ind in catalogue.values():
        if ind.kind == "rate":
            den = values[ind.denominator].where(values[ind.denominator] != 0)
            values[ind.key] = ind.per * values[ind.numerator] / den
    return values


def percentages_over_100(values: pd.DataFrame, catalogue: dict[str, Indicator]) -> list[Finding]:
    """A percentage (``per = 100``) whose numerator exceeds its denominator is a warning.

    "Children as a share of population" over 100% means the two columns are swapped, from
    different years, or one of them is a different count: say so, naming the areas.
    """
    findings = []
    for ind in catalogue.values():
        if ind.kind != "rate" or ind.per != 100:
            continue
        over = values[ind.key] > 100 + 1e-9
        if over.any():
            codes = values.index[over.to_numpy()].tolist()
            findings.append(
                Finding(
                    "warning",
                    f"rate {ind.key!r} is over 100% in {len(codes)} area(s) ({ind.numerator!r} "
                    f"exceeds {ind.denominator!r}): {examples(codes)}; check the two columns",
                )
            )
    return findings


def import_footprints(
    src: FootprintsSource, areas: gpd.GeoDataFrame
) -> tuple[pd.Series, list[Finding]]:
    """Assign each area a footprint from a lookup table or from polygons (largest overlap)."""
    findings: list[Finding] = []
    suffix = src.path.suffix.lower()
    if suffix in (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip"):
        assignment = _footprints_from_polygons(src, areas)
    else:
        # The config requires footprints.code unless the file is a geo file.
        assert src.code is not None
        df = read_table(src.path, dtype_str=[src.code], table_format=src.table_format)
        require_columns(
            df, {"footprints.code": src.code, "footprints.name": src.name}, path=src.path
        )
        codes = _codes(df[src.code])
        names = df[src.name].astype("string").str.strip()
        lookup = pd.Series(names.values, index=codes.values).dropna()
        lookup = lookup[lookup.index.notna()]
        clash = lookup.groupby(level=0).nunique()
        clashing = clash[clash > 1].index.tolist()
        if clashing:
            raise InputError(
                f"area code(s) assigned to more than one footprint: {examples(clashing)}",
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

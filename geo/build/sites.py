"""Importing sites (schools, centres, hubs) from tables or geo files, offline postcode lookup."""

from __future__ import annotations

import re
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.build.postcodes import (
    DIRECTORY_NAME,
    directory_points,
    directory_problem,
    normalise_postcode,
)
from geo.errors import DataError
from geo.place.config import GEO_SUFFIXES, PostcodesSource, SitesSource
from geo.place.model import Finding
from geo.place.readers import (
    check_declared_crs,
    examples,
    numeric_column,
    read_geo,
    read_table,
    require_columns,
)

FAR_OUTSIDE_M = 10_000.0
SITE_COLUMNS = [
    "site_id",
    "name",
    "kind",
    "area_code",
    "footprint",
    "outside",
    "distance_outside_m",
]
__all__ = ["normalise_postcode"]  # re-exported: it lives in geo.build.postcodes


def _points_from_xy(x: pd.Series, y: pd.Series, crs: str) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(x, y), index=x.index, crs=crs)


def _check_lonlat(lon: pd.Series, lat: pd.Series, src: SitesSource, ids: pd.Series) -> None:
    both = lon.notna() & lat.notna()
    if not both.any():
        return
    lo, la = lon[both], lat[both]
    if (lo.abs() > 180).any() or (la.abs() > 90).any():
        bad = both & ((lon.abs() > 180) | (lat.abs() > 90))
        sample = f"{lon[bad].iloc[0]:.0f}, {lat[bad].iloc[0]:.0f}"
        raise DataError(
            f"columns {src.lon!r}/{src.lat!r} hold values like ({sample}) that are not degrees; "
            f"they look like British National Grid metres: use x = {src.lon!r}, y = {src.lat!r}, "
            f'crs = "EPSG:27700" (e.g. site {ids[bad].iloc[0]!r})',
            path=src.path,
        )
    if la.between(-10, 3).all() and lo.between(49, 62).all():
        raise DataError(
            f"columns {src.lon!r}/{src.lat!r} look swapped (lon values ~{lo.median():.1f}, "
            f"lat ~{la.median():.1f}): check which column is longitude",
            path=src.path,
        )


def geocode_postcodes(
    postcodes: pd.Series, lookup: PostcodesSource, *, crs: str
) -> tuple[gpd.GeoSeries, pd.Series]:
    """Resolve postcodes offline against a postcode file; return points and a found-mask."""
    table = read_table(lookup.path, dtype_str=[lookup.postcode], table_format=lookup.table_format)
    cols = {"postcodes.postcode": lookup.postcode}
    if lookup.lon and lookup.lat:
        cols |= {"postcodes.lon": lookup.lon, "postcodes.lat": lookup.lat}
        xcol, ycol, pcrs = lookup.lon, lookup.lat, "EPSG:4326"
    else:
        # load_config requires lon/lat or x/y columns in [postcodes].
        assert lookup.x is not None and lookup.y is not None
        cols |= {"postcodes.x": lookup.x, "postcodes.y": lookup.y}
        xcol, ycol, pcrs = lookup.x, lookup.y, lookup.crs
    require_columns(table, cols, path=lookup.path)
    table = table.assign(_pc=normalise_postcode(table[lookup.postcode]))
    table = table.drop_duplicates("_pc").set_index("_pc")
    x = numeric_column(table, xcol, path=lookup.path)
    y = numeric_column(table, ycol, path=lookup.path)
    keys = normalise_postcode(postcodes)
    found = keys.isin(table.index) & keys.notna()
    px = x.reindex(keys.where(found)).to_numpy()
    py = y.reindex(keys.where(found)).to_numpy()
    pts = gpd.GeoSeries(gpd.points_from_xy(px, py), index=postcodes.index, crs=pcrs).to_crs(crs)
    found = found & ~np.isnan(px)
    return pts, found


def import_sites(
    src: SitesSource,
    *,
    crs: str,
    postcodes: PostcodesSource | None,
) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Read one sites source into points in ``crs`` with ``site_id``, ``name``, ``kind``."""
    findings: list[Finding] = []
    is_geo = src.path.suffix.lower() in GEO_SUFFIXES and not (src.lon or src.x or src.postcode)
    if is_geo:
        df = read_geo(src.path, layer=src.layer)
    else:
        df = read_table(
            src.path,
            dtype_str=[c for c in (src.id, src.postcode) if c],
            table_format=src.table_format,
        )
    if len(df) == 0:
        raise DataError("contains no rows", path=src.path)
    cols = {"id": src.id, "name": src.name} | {f"details.{k}": v for k, v in src.details.items()}
    coord_cols = {"lon": src.lon, "lat": src.lat, "x": src.x, "y": src.y, "postcode": src.postcode}
    require_columns(df, cols | ({} if is_geo else coord_cols), path=src.path)

    ids = (
        df[src.id].astype("string").str.strip()
        if src.id
        else pd.Series([f"{src.kind}-{i + 1}" for i in range(len(df))], index=df.index)
    )
    empty = (ids.isna() | (ids == "")).to_numpy()
    if empty.any():
        rows = df.attrs.get("row_numbers")
        where = (
            f" (row(s) {', '.join(str(rows[k]) for k in np.flatnonzero(empty)[:5])})"
            if rows is not None and len(rows) == len(df)
            else ""
        )
        raise DataError(
            f"column {src.id!r} has {int(empty.sum())} empty id(s){where}", path=src.path
        )
    dupes = ids[ids.duplicated()].unique().tolist()
    if dupes:
        raise DataError(f"duplicate ids in column {src.id!r}: {examples(dupes)}", path=src.path)

    if is_geo:
        check_declared_crs(df.geometry[df.geometry.notna()], path=src.path)
        geom = df.geometry.to_crs(crs)
        if not set(geom.dropna().geom_type.unique()) <= {"Point"}:
            geom = geom.representative_point()
        located = geom.notna() & ~geom.is_empty
    elif src.lon and src.lat:
        lon = numeric_column(df, src.lon, path=src.path)
        lat = numeric_column(df, src.lat, path=src.path)
        _check_lonlat(lon, lat, src, ids)
        located = lon.notna() & lat.notna()
        geom = _points_from_xy(lon, lat, "EPSG:4326").to_crs(crs)
    elif src.x and src.y:
        x = numeric_column(df, src.x, path=src.path)
        y = numeric_column(df, src.y, path=src.path)
        located = x.notna() & y.notna()
        declared = _points_from_xy(x, y, src.crs)
        check_declared_crs(declared[located.to_numpy()], path=src.path)
        geom = declared.to_crs(crs)
    else:
        located = pd.Series(False, index=df.index)
        geom = gpd.GeoSeries([None] * len(df), index=df.index, crs=crs)

    if src.postcode and (~located).any():
        need = ~located
        wanted = df.loc[need, src.postcode]
        if postcodes is not None:  # the place's own [postcodes] file overrides the directory
            pts, found = geocode_postcodes(wanted, postcodes, crs=crs)
            lookup = postcodes.path.name
        else:
            if (problem := directory_problem()) is not None:
                raise DataError(
                    f"column {src.postcode!r} holds postcodes but there is no [postcodes] "
                    f"table and {problem}",
                    path=src.path,
                )
            pts, found = directory_points(wanted, crs=crs)
            lookup = DIRECTORY_NAME
        geom = geom.copy()
        hit = need & found.reindex(df.index, fill_value=False)
        geom[hit] = pts[found]
        unknown = need & ~hit
        if unknown.any():
            missing = df.loc[unknown, src.postcode].astype(str)
            irish = normalise_postcode(missing).str.startswith("BT").fillna(False)
            note = (
                f" ({int(irish.sum())} in Northern Ireland, which the directory gives on the "
                "Irish Grid: give their coordinates instead)"
                if postcodes is None and irish.any()
                else ""
            )
            shown = ", ".join(
                f"{pc!r} (site {sid!r})"
                for pc, sid in zip(missing[:3], ids[unknown][:3], strict=True)
            ) + (" …" if len(missing) > 3 else "")
            findings.append(
                Finding(
                    "warning",
                    f"{src.path.name}: {int(unknown.sum())} postcode(s) not found in "
                    f"{lookup}, sites dropped: {shown}{note}",
                )
            )
        located = located | hit
    elif (~located).any():
        findings.append(
            Finding(
                "warning",
                f"{src.path.name}: {int((~located).sum())} row(s) without coordinates dropped: "
                f"ids {examples(ids[~located].tolist())}",
            )
        )

    out = gpd.GeoDataFrame(
        {
            "site_id": ids.astype(str).values,
            "name": (df[src.name].astype("string").fillna("") if src.name else ids)
            .astype(str)
            .values,
            "kind": src.kind,
        },
        geometry=geom.values,
        crs=crs,
    )
    for key, col in src.details.items():
        out[key] = df[col].astype("string").fillna("").astype(str).values
    if src.opened or src.predecessor:
        require_columns(df, {"opened": src.opened, "predecessor": src.predecessor}, path=src.path)
    out = out[located.values].reset_index(drop=True)
    out, duplicates = report_duplicates(out, src, df[located.values])
    return out, findings + duplicates


DUPLICATE_M = 100.0
_GENERIC = frozenset(
    {
        "the", "school", "academy", "trust", "c", "of", "e", "cofe", "ce", "church", "england",
        "rc", "catholic", "voluntary", "aided", "controlled", "community", "foundation", "free",
        "and", "st", "saint", "college", "centre", "center",
    }
)  # fmt: skip


def _name_tokens(name: str) -> frozenset[str]:
    words = re.sub(r"[^a-z0-9 ]", " ", str(name).lower().replace("'", "")).split()
    kept = frozenset(w for w in words if w not in _GENERIC)
    return kept or frozenset(words)


def _similar(a: str, b: str) -> bool:
    """Names that differ only by generic words, or one of which extends the other."""
    ta, tb = _name_tokens(a), _name_tokens(b)
    return bool(ta) and bool(tb) and (ta <= tb or tb <= ta)


def likely_duplicates(
    sites: gpd.GeoDataFrame, *, predecessor: pd.Series | None = None, within_m: float = DUPLICATE_M
) -> list[tuple[int, int, str]]:
    """Pairs of rows ``(i, j, why)`` that are probably one site recorded twice.

    Same kind and within ``within_m`` metres with similar names (``"Rose Bridge Academy"``
    and ``"Dean Trust Rose Bridge"``), or a predecessor/successor pair when the source has a
    link field (``predecessor`` holds, for each row, the id of the record it replaced).
    """
    pairs: dict[tuple[int, int], str] = {}
    if len(sites) > 1:
        geoms = sites.geometry.values
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="dwithin", distance=within_m)
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i >= j or sites["kind"].iat[i] != sites["kind"].iat[j]:
                continue
            if _similar(sites["name"].iat[i], sites["name"].iat[j]):
                d = shapely.distance(geoms[i], geoms[j])
                pairs[(i, j)] = f"{d:.0f} m apart, similar names"
    if predecessor is not None:
        position = {sid: k for k, sid in enumerate(sites["site_id"])}
        for j, old in enumerate(predecessor.astype("string").str.strip().tolist()):
            i = position.get(old) if isinstance(old, str) and old else None
            if i is not None and i != j:
                pairs[(min(i, j), max(i, j))] = f"{sites['site_id'].iat[j]!r} replaced {old!r}"
    return [(i, j, why) for (i, j), why in sorted(pairs.items())]


def _newer(sites: gpd.GeoDataFrame, i: int, j: int, opened: pd.Series | None) -> int:
    """The newer of two records: later ``opened`` date, else the larger numeric id."""
    if opened is not None:
        # ``opened`` holds dates (pd.to_datetime): Timestamp or NaT.
        a, b = cast(pd.Timestamp, opened.iat[i]), cast(pd.Timestamp, opened.iat[j])
        if pd.notna(a) and pd.notna(b) and a != b:
            return i if a > b else j
    ids = pd.to_numeric(sites["site_id"].iloc[[i, j]], errors="coerce").to_numpy()
    if np.isfinite(ids).all() and ids[0] != ids[1]:
        return i if ids[0] > ids[1] else j
    return j  # later in the file


def report_duplicates(
    sites: gpd.GeoDataFrame, src: SitesSource, df: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Report likely duplicate sites; with ``dedupe = true`` keep only the newer record."""
    predecessor = df[src.predecessor].reset_index(drop=True) if src.predecessor else None
    opened = None
    if src.opened:
        opened = pd.to_datetime(df[src.opened], errors="coerce", dayfirst=True)
        opened = opened.reset_index(drop=True)
    pairs = likely_duplicates(sites, predecessor=predecessor)
    if not pairs:
        return sites, []
    ids, names = sites["site_id"], sites["name"]
    listed = "; ".join(
        f"{ids.iat[i]!r} {names.iat[i]} / {ids.iat[j]!r} {names.iat[j]} ({why})"
        for i, j, why in pairs[:5]
    ) + (" …" if len(pairs) > 5 else "")
    if not src.dedupe:
        return sites, [
            Finding(
                "warning",
                f"{src.path.name}: {len(pairs)} likely duplicate {src.kind} record(s): {listed}; "
                "set dedupe = true on this [[sites]] source to keep only the newer record",
            )
        ]
    drop = set()
    for i, j, _ in pairs:
        newer = _newer(sites, i, j, opened)
        drop.add(j if newer == i else i)
    dropped = ", ".join(repr(ids.iat[k]) for k in sorted(drop))
    kept = sites.drop(index=sites.index[sorted(drop)]).reset_index(drop=True)
    return kept, [
        Finding(
            "info",
            f"{src.path.name}: dedupe = true: dropped {len(drop)} older duplicate record(s) "
            f"({dropped}) of {len(pairs)} likely duplicate pair(s): {listed}",
        )
    ]


def locate_sites(
    sites: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, far_m: float = FAR_OUTSIDE_M
) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Attach ``area_code`` and ``footprint``; flag sites outside; reject sites far outside."""
    findings: list[Finding] = []
    sites = sites.copy()
    if sites.empty:
        for col in ("area_code", "footprint"):
            sites[col] = pd.Series(dtype="object")
        sites["outside"] = pd.Series(dtype=bool)
        sites["distance_outside_m"] = pd.Series(dtype=float)
        return sites, findings
    right = areas[["footprint", "geometry"]].rename_axis("code").reset_index()
    joined = gpd.sjoin(sites[["geometry"]], right, predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    sites["area_code"] = joined["code"].astype("object").where(joined["code"].notna(), None)
    sites["footprint"] = (
        joined["footprint"].astype("object").where(joined["footprint"].notna(), None)
    )
    outside = sites["area_code"].isna()
    dist = np.zeros(len(sites))
    if outside.any():
        boundary = areas.geometry.union_all()
        dist[outside.values] = sites.geometry[outside].distance(boundary).to_numpy()
    sites["outside"] = outside.values
    sites["distance_outside_m"] = np.round(dist, 1)
    far = sites["distance_outside_m"] > far_m
    if far.any():
        rows = sites[far]
        listed = ", ".join(
            f"{k} {i!r} ({d / 1000:.0f} km)"
            for k, i, d in zip(
                rows["kind"], rows["site_id"], rows["distance_outside_m"], strict=True
            )
        )
        raise DataError(
            f"{int(far.sum())} site(s) lie more than {far_m / 1000:.0f} km outside the areas "
            f"(wrong coordinates or CRS?): {listed[:400]}"
        )
    if outside.any():
        rows = sites[outside]
        findings.append(
            Finding(
                "warning",
                f"{int(outside.sum())} site(s) outside the areas, kept and flagged: "
                + ", ".join(
                    f"{k} {i!r}" for k, i in zip(rows["kind"][:5], rows["site_id"][:5], strict=True)
                ),
            )
        )
    return sites, findings


def unique_site_ids(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Qualify ids that clash across kinds as ``kind:id`` so every site id is unique."""
    sites = sites.copy()
    clash = sites["site_id"].duplicated(keep=False)
    sites.loc[clash, "site_id"] = sites.loc[clash, "kind"] + ":" + sites.loc[clash, "site_id"]
    still = sites["site_id"][sites["site_id"].duplicated()].tolist()
    if still:
        raise DataError(
            f"site ids are not unique: {examples(still)} (the same kind and id in two "
            "[[sites]] sources)"
        )
    return sites

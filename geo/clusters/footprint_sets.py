"""Footprint sets: lookups (``code,footprint``), alternative sets saved in a bundle, comparison.

A place has its current footprints (``place.areas["footprint"]``). Designed alternatives are
written as a lookup CSV (which loads back through ``[footprints]`` in a place config with
``code = "code"`` and ``name = "footprint"``) and can be saved in the bundle's
``footprint_sets`` table (columns ``set``, ``code``, ``footprint``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.clusters.compactness import convex_hull_ratio, polsby_popper
from geo.clusters.regionalize import balance_weights
from geo.errors import DataError, InputError
from geo.place._edit import edit_place
from geo.place.bundle import atomic_write
from geo.place.model import Place
from geo.place.readers import read_table
from geo.tables import to_safe_csv

TABLE = "footprint_sets"
CURRENT = "current"


def write_lookup(assignment: pd.Series, path: str | Path) -> Path:
    """Write a ``code,footprint`` lookup CSV atomically (formula-like text escaped)."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise InputError("a footprint lookup must be a .csv file", path=path)
    frame = pd.DataFrame(
        {"code": assignment.index.astype(str), "footprint": assignment.astype(str).to_numpy()}
    )
    text = to_safe_csv(frame)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), suffix=".csv")


def read_lookup(
    path: str | Path, areas: pd.Index, *, code: str = "code", name: str = "footprint"
) -> pd.Series:
    """Read a lookup CSV and check it covers exactly the place's areas.

    Raises :class:`InputError` listing missing areas, unknown codes or areas in two footprints.
    """
    path = Path(path)
    df = read_table(path, dtype_str=[code])
    for col in (code, name):
        if col not in df.columns:
            raise DataError(
                f"missing column {col!r} (columns: {', '.join(map(str, df.columns))})", path=path
            )
    codes = df[code].astype(str).str.strip()
    lookup = pd.Series(df[name].astype(str).str.strip().to_numpy(), index=codes.to_numpy())
    dup = lookup.index[lookup.index.duplicated()].unique().tolist()
    if dup:
        raise DataError(f"area code(s) listed more than once: {', '.join(dup[:10])}", path=path)
    missing = areas.astype(str).difference(lookup.index).tolist()
    if missing:
        more = " …" if len(missing) > 20 else ""
        raise DataError(
            f"the lookup misses {len(missing)} area(s): {', '.join(missing[:20])}{more}", path=path
        )
    unknown = lookup.index.difference(areas.astype(str)).tolist()
    if unknown:
        raise DataError(
            f"{len(unknown)} code(s) match no area: {', '.join(unknown[:10])}", path=path
        )
    return lookup.reindex(areas.astype(str)).rename("footprint")


def footprint_sets(place: Place) -> dict[str, pd.Series]:
    """Every footprint set of the place by name: ``"current"`` first, then the saved ones."""
    out = {CURRENT: place.areas["footprint"].rename("footprint")}
    table = place.tables.get(TABLE)
    if table is not None and len(table):
        table = pd.DataFrame(table)
        for name, rows in table.groupby("set", sort=True):
            series = pd.Series(
                rows["footprint"].astype(str).to_numpy(), index=rows["code"].astype(str).to_numpy()
            )
            out[str(name)] = series.reindex(place.areas.index.astype(str)).rename("footprint")
    return out


def add_footprint_set(place: Place, name: str, assignment: pd.Series) -> Place:
    """Add or replace the set ``name`` in ``place.tables`` (``place`` must be a copy you own)."""
    name = str(name).strip()
    if not name or name == CURRENT:
        raise InputError(f"a footprint set needs a name other than {CURRENT!r}")
    assignment = assignment.reindex(place.areas.index.astype(str))
    if assignment.isna().any():
        missing = assignment.index[assignment.isna().to_numpy()].tolist()
        raise InputError(
            f"footprint set {name!r} misses {len(missing)} area(s): {', '.join(missing[:20])}"
        )
    new = pd.DataFrame(
        {
            "set": name,
            "code": assignment.index.astype(str),
            "footprint": assignment.astype(str).to_numpy(),
        }
    )
    old = place.tables.get(TABLE)
    if old is not None and len(old):
        old = pd.DataFrame(old)
        new = pd.concat([old[old["set"].astype(str) != name], new], ignore_index=True)
    place.tables[TABLE] = new
    return place


def save_footprint_set(path: str | Path, name: str, assignment: pd.Series) -> Place:
    """Save ``assignment`` as set ``name`` in the bundle at ``path`` (locked, atomic)."""
    return edit_place(
        path, lambda p: add_footprint_set(p, name, assignment), what=f"footprint set {name}"
    )


def dissolve(areas: gpd.GeoDataFrame, assignment: pd.Series) -> gpd.GeoDataFrame:
    """One polygon per footprint of ``assignment`` (``footprint``, ``areas``, geometry)."""
    groups = assignment.reindex(areas.index.astype(str)).to_numpy()
    geoms = areas.geometry.to_numpy()
    names = sorted(pd.unique(groups[pd.notna(groups)]).tolist())
    polys = [shapely.union_all(geoms[groups == n]) for n in names]
    counts = [int((groups == n).sum()) for n in names]
    return gpd.GeoDataFrame({"footprint": names, "areas": counts}, geometry=polys, crs=areas.crs)


@dataclass(frozen=True)
class Comparison:
    """Two footprint sets side by side.

    Attributes
    ----------
    table
        One row per footprint of each set: ``set``, ``footprint``, ``areas``, ``total`` (the
        balanced quantity), ``pct_of_mean``, ``polsby_popper``, ``convex_hull_ratio``.
    summary
        One row per set: ``footprints``, ``max_deviation_pct``, ``mean_polsby_popper``,
        ``mean_convex_hull_ratio``, ``areas_changed``.
    changed
        Areas whose footprint differs: ``code``, ``name``, ``from``, ``to``.
    basis
        What ``total`` sums.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    changed: pd.DataFrame
    basis: str
    names: tuple[str, str]


def footprint_table(
    place: Place, assignment: pd.Series, *, balance: str, name: str
) -> pd.DataFrame:
    """Balance and compactness per footprint of one set."""
    weights, _ = balance_weights(place, balance)
    weights.index = weights.index.astype(str)
    polys = dissolve(place.areas, assignment)
    totals = weights.groupby(assignment.reindex(weights.index)).sum()
    table = pd.DataFrame(
        {
            "set": name,
            "footprint": polys["footprint"].to_numpy(),
            "areas": polys["areas"].to_numpy(),
            "total": totals.reindex(polys["footprint"]).to_numpy(),
        }
    )
    mean = table["total"].mean()
    table["pct_of_mean"] = 100.0 * table["total"] / mean if mean else np.nan
    table["polsby_popper"] = polsby_popper(polys.geometry).to_numpy()
    table["convex_hull_ratio"] = convex_hull_ratio(polys.geometry).to_numpy()
    return table


def compare_footprint_sets(
    place: Place,
    first: pd.Series,
    second: pd.Series,
    *,
    balance: str,
    names: tuple[str, str] = (CURRENT, "designed"),
) -> Comparison:
    """Compare two footprint sets of ``place`` on balance, compactness and changed areas."""
    _, basis = balance_weights(place, balance)
    index = place.areas.index.astype(str)
    first = first.reindex(index)
    second = second.reindex(index)
    tables = [
        footprint_table(place, s, balance=balance, name=n)
        for s, n in zip((first, second), names, strict=True)
    ]
    table = pd.concat(tables, ignore_index=True)
    # an area "changes" when its new footprint is not the one most of its old footprint went to
    match = _best_match(first, second)
    moved = second.to_numpy() != first.map(match).to_numpy()
    changed = pd.DataFrame(
        {
            "code": index[moved],
            "name": place.areas["name"].to_numpy()[moved],
            "from": first.to_numpy()[moved],
            "to": second.to_numpy()[moved],
        }
    )
    summary = pd.DataFrame(
        [
            {
                "set": n,
                "footprints": len(t),
                "max_deviation_pct": float((t["pct_of_mean"] - 100).abs().max()),
                "mean_polsby_popper": float(t["polsby_popper"].mean()),
                "mean_convex_hull_ratio": float(t["convex_hull_ratio"].mean()),
                "areas_changed": int(moved.sum()) if i else 0,
            }
            for i, (n, t) in enumerate(zip(names, tables, strict=True))
        ]
    )
    return Comparison(table=table, summary=summary, changed=changed, basis=basis, names=names)


def _best_match(first: pd.Series, second: pd.Series) -> dict[str, str]:
    """For each footprint of ``first``, the footprint of ``second`` sharing most of its areas.

    Matching is one-to-one where possible (largest overlaps first), so with equal K an area
    counts as changed only when it moves out of its footprint's counterpart.
    """
    both = pd.DataFrame({"a": first.astype(str).to_numpy(), "b": second.astype(str).to_numpy()})
    overlap = both.value_counts().sort_values(ascending=False, kind="stable")
    match: dict[str, str] = {}
    used: set[str] = set()
    pairs: list[tuple[str, str]] = list(overlap.index)  # (first, second), largest first
    for a, b in pairs:
        if a not in match and b not in used:
            match[a] = b
            used.add(b)
    return match


def with_footprint_set(place: Place, name: str | None) -> Place:
    """``place`` seen through footprint set ``name``: areas, footprints and sites regrouped.

    ``None``, ``""`` or ``"current"`` give ``place`` itself. The copy shares the areas'
    geometry and values (only the ``footprint`` column differs); its ``meta["footprint_set"]``
    names the set. Unknown names raise :class:`InputError` listing the saved sets.
    """
    import dataclasses

    if not name or name == CURRENT:
        return place
    sets = footprint_sets(place)
    if name not in sets:
        known = ", ".join(s for s in sets if s != CURRENT) or "none saved"
        raise InputError(f"unknown footprint set {name!r}; saved sets: {known}")
    assignment = sets[name]
    areas = place.areas.copy()
    areas["footprint"] = assignment.reindex(areas.index.astype(str)).to_numpy()
    sites = place.sites.copy()
    if len(sites):
        sites["footprint"] = sites["area_code"].map(areas["footprint"])
    return dataclasses.replace(
        place,
        areas=areas,
        sites=sites,
        footprints=dissolve(areas, areas["footprint"]),
        meta={**place.meta, "footprint_set": name},
    )

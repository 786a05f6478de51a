"""Indicators published for another geography (wards, MSOAs, any polygons), brought to areas.

A council receives many figures for wards or MSOAs, not for its small areas. A source with
``geography = "ward"`` (or ``"msoa"``, or a polygon file) is joined to the place's areas:

* through a **lookup** (``lookup``, ``lookup_area``, ``lookup_code``: e.g. the ONS LSOA to
  ward best-fit lookup), each area belonging to one unit of the other geography; or
* through **polygons** (``geography`` is a polygon file, ``geography_code`` its code column):
  each area goes to the polygon it overlaps most (best fit), or, with ``apportion = "area"``,
  values are split by overlapping area with tobler (PySAL's areal interpolation).

Counts (and a rate's numerator and denominator) are **apportioned** by a stated weight: with
``apportion = "children_0_15"`` each area gets its unit's count times its share of the unit's
children, so every unit's total is preserved. Means are carried to every area of their unit
(areal-weighted with tobler). Rates are carried as numerator and denominator and recomputed.
The method is returned for every indicator, to be shown wherever it appears.

:func:`read_published_table` reads tables as statistics producers publish them (title rows
above the header, line breaks and ``[note 3]`` markers in the header, repeated column names,
``1,056`` and ``34.3%``). It is deliberately small; a general reader may replace it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ConfigError, DataError
from geo.place.config import GEO_SUFFIXES, Indicator, IndicatorSource
from geo.place.model import Finding
from geo.place.readers import examples, read_geo, read_table, require_columns

_NOTE = re.compile(r"\[\s*note\s*[^\]]*\]", re.IGNORECASE)
_MISSING = {"", "..", ".", "-", "*", "x", "c", "na", "n/a", ":", "[c]", "[x]", "[z]"}
ENCODINGS = ("utf-8-sig", "cp1252")


def clean_header(cell: str) -> str:
    """A published header cell as a column name: note markers dropped, whitespace collapsed."""
    return " ".join(_NOTE.sub(" ", str(cell)).split())


def parse_number(text: object) -> float:
    """``"1,056"`` -> 1056.0, ``"34.3%"`` -> 34.3; blanks and ``..``/``[c]``-style marks -> NaN.

    Raises ``ValueError`` for anything else.
    """
    if text is None:
        return np.nan
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip()
    if s.lower() in _MISSING:
        return np.nan
    s = s.replace(",", "").replace("%", "").replace("\u00a0", "").strip()
    return float(s)


@dataclass(frozen=True)
class PublishedTable:
    """A published table: ``frame`` (text cells, cleaned unique column names) and where it began."""

    frame: pd.DataFrame
    header_row: int
    duplicates: dict[str, list[str]]


def read_published_table(path: Path, *, code: str) -> PublishedTable:
    """Read a CSV with title rows above its header; the header is the first row naming ``code``.

    Repeated column names get `` (2)``, `` (3)``... appended; ``duplicates`` maps each
    repeated name to its columns. Reading stops at the first blank row after the data.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", path=path)
    raw = path.read_bytes()
    for enc in ENCODINGS:
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        text = raw.decode("latin-1")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    want = clean_header(code)
    header_at = next(
        (i for i, r in enumerate(rows) if any(clean_header(c) == want for c in r)), None
    )
    if header_at is None:
        raise DataError(
            f"no header row with a column {code!r} (looked at {len(rows)} rows)", path=path
        )
    names: list[str] = []
    seen: dict[str, int] = {}
    dupes: dict[str, list[str]] = {}
    for cell in rows[header_at]:
        name = clean_header(cell) or f"column {len(names) + 1}"
        seen[name] = seen.get(name, 0) + 1
        unique = name if seen[name] == 1 else f"{name} ({seen[name]})"
        if seen[name] > 1:
            dupes.setdefault(name, [name]).append(unique)
        names.append(unique)
    body: list[list[str]] = []
    for r in rows[header_at + 1 :]:
        if not any(c.strip() for c in r):
            if body:
                break
            continue
        body.append((r + [""] * len(names))[: len(names)])
    if not body:
        raise DataError(f"no data rows below the header (row {header_at + 1})", path=path)
    frame = pd.DataFrame(body, columns=names, dtype="string")
    return PublishedTable(frame, header_at + 1, dupes)


def numbers(frame: pd.DataFrame, column: str, *, path: Path) -> pd.Series:
    """A published column as floats, with an error naming the file, column and a bad value."""
    out, bad = [], []
    for v in frame[column].tolist():
        try:
            out.append(parse_number(v))
        except ValueError:
            out.append(np.nan)
            bad.append(v)
    if bad:
        raise DataError(
            f"column {column!r} has {len(bad)} value(s) that are not numbers, e.g. {examples(bad)}",
            path=path,
        )
    return pd.Series(out, index=frame.index, dtype=float)


def _pick_code_column(
    table: PublishedTable, code: str, known: pd.Index, path: Path
) -> tuple[str, list[Finding]]:
    """The code column; when its name repeats, the one whose values match ``known`` best."""
    name = clean_header(code)
    candidates = table.duplicates.get(name, [name])
    if name not in table.frame.columns:
        raise DataError(f"column {code!r} not found", path=path)
    scores = [int(table.frame[c].astype(str).str.strip().isin(known).sum()) for c in candidates]
    best = candidates[int(np.argmax(scores))]
    findings = []
    if len(candidates) > 1:
        findings.append(
            Finding(
                "info",
                f"{path.name}: column {name!r} appears {len(candidates)} times; used number "
                f"{candidates.index(best) + 1} ({max(scores)} of {len(table.frame)} codes match "
                "the geography)",
            )
        )
    return best, findings


def read_source_table(src: IndicatorSource, known: pd.Index) -> tuple[pd.DataFrame, list[Finding]]:
    """The source's values (one column per indicator with a ``column``), indexed by unit code.

    ``known`` are the codes of the other geography (to choose between repeated code columns).
    Columns with ``from_percent`` become counts: ``numerator * 100 / percentage``.
    """
    path = src.path
    findings: list[Finding] = []
    if path.suffix.lower() in (".csv", ".txt"):
        table = read_published_table(path, code=src.code)
        code_col, found = _pick_code_column(table, src.code, known, path)
        findings += found
        df = table.frame
        if table.header_row > 1:
            findings.append(Finding("info", f"{path.name}: header found on row {table.header_row}"))
    else:
        df = read_table(path, sheet=src.sheet, dtype_str=[src.code])
        code_col = src.code
    wanted: dict[str, str | None] = {
        "code": code_col,
        **{f"indicator {i.key!r}": clean_header(i.column) for i in src.columns if i.column},
    }
    require_columns(df, wanted, path=path)
    codes = df[code_col].astype("string").str.strip()
    keep = codes.notna() & (codes != "")
    df = df.loc[keep.to_numpy()]
    index = pd.Index(codes[keep].astype(str).to_numpy(), name="code")
    dupes = index[index.duplicated()].unique().tolist()
    if dupes:
        raise DataError(f"duplicate codes in column {code_col!r}: {examples(dupes)}", path=path)
    out = pd.DataFrame(index=index)
    for ind in src.columns:
        if ind.column:
            out[ind.key] = numbers(df, clean_header(ind.column), path=path).to_numpy()
    for ind in src.columns:
        if ind.from_percent:
            pct = out[ind.key]
            if ((pct <= 0) | (pct > 100)).any():
                bad = out.index[((pct <= 0) | (pct > 100)).to_numpy()].tolist()
                raise DataError(
                    f"column {ind.column!r} ({ind.key!r}, a percentage) is 0 or over 100 for "
                    f"{examples(bad)}: cannot derive the denominator",
                    path=path,
                )
            out[ind.key] = out[ind.from_percent] * 100.0 / pct
    return out, findings


@dataclass(frozen=True)
class Join:
    """How areas map to units of the other geography: ``unit`` per area code and its text."""

    unit: pd.Series
    text: str


def lookup_join(src: IndicatorSource, areas: gpd.GeoDataFrame) -> tuple[Join, list[Finding]]:
    """Each area's unit from a lookup table (first row per area; a conflict is an error)."""
    # The config requires all three keys of a lookup source (geo.place.config).
    assert src.lookup is not None and src.lookup_area is not None and src.lookup_code is not None
    lk = read_table(src.lookup, dtype_str=[src.lookup_area, src.lookup_code])
    require_columns(
        lk, {"lookup_area": src.lookup_area, "lookup_code": src.lookup_code}, path=src.lookup
    )
    pairs = lk[[src.lookup_area, src.lookup_code]].astype("string").apply(lambda s: s.str.strip())
    pairs = pairs.dropna().drop_duplicates()
    clash = pairs[pairs[src.lookup_area].duplicated(keep=False)][src.lookup_area].unique()
    if len(clash):
        raise DataError(
            f"the lookup gives more than one {src.lookup_code!r} for area(s) {examples(clash)}: "
            "use a best-fit lookup (one unit per area)",
            path=src.lookup,
        )
    unit = pd.Series(
        pairs[src.lookup_code].to_numpy(), index=pairs[src.lookup_area].to_numpy()
    ).reindex(areas.index)
    findings = []
    if unit.isna().all():
        raise DataError(
            f"no area code of the place is in column {src.lookup_area!r}", path=src.lookup
        )
    if unit.isna().any():
        findings.append(
            Finding(
                "warning",
                f"{src.lookup.name}: {int(unit.isna().sum())} area(s) are not in the lookup and "
                f"get no {src.geography} figure: {examples(areas.index[unit.isna()].tolist())}",
            )
        )
    return Join(unit, f"{src.geography} to area lookup {src.lookup.name}"), findings


def polygon_units(src: IndicatorSource, crs: str) -> gpd.GeoDataFrame:
    # A polygon source has both keys (geo.place.config requires geography_code).
    assert src.geography is not None and src.geography_code is not None
    polys = read_geo(Path(src.geography))
    require_columns(polys, {"geography_code": src.geography_code}, path=Path(src.geography))
    polys = polys[[src.geography_code, "geometry"]].to_crs(crs)
    polys[src.geography_code] = polys[src.geography_code].astype(str).str.strip()
    return polys.rename(columns={src.geography_code: "unit"})


def polygon_join(src: IndicatorSource, areas: gpd.GeoDataFrame) -> Join:
    """Each area's unit: the polygon it overlaps most (best fit)."""
    assert src.geography is not None  # a polygon source
    polys = polygon_units(src, areas.crs)
    left = areas[["geometry"]].reset_index()
    pieces = gpd.overlay(left, polys, how="intersection", keep_geom_type=True)
    pieces["_a"] = pieces.geometry.area
    best = pieces.sort_values("_a").drop_duplicates("code", keep="last")
    unit = best.set_index("code")["unit"].reindex(areas.index)
    return Join(unit, f"best fit (largest overlap) to polygons {Path(src.geography).name}")


def apportion_counts(
    counts: pd.DataFrame, unit: pd.Series, weight: pd.Series
) -> tuple[pd.DataFrame, list[str]]:
    """Split each unit's counts over its areas in proportion to ``weight``.

    Parameters
    ----------
    counts
        Figures by unit code (one column per count).
    unit
        The unit of each area (index: area codes; NaN where none).
    weight
        The weight of each area (e.g. children); missing counts as 0.

    Returns the apportioned counts by area (NaN for areas without a unit) and notes about
    units whose areas all have zero weight (split equally instead).
    """
    w = pd.to_numeric(weight, errors="coerce").reindex(unit.index).fillna(0.0).clip(lower=0)
    totals = w.groupby(unit).sum()
    n_areas = unit.value_counts()
    zero = totals.index[totals <= 0]
    notes = [f"unit {u}: its areas have no weight, so its figure is split equally" for u in zero]
    share = pd.Series(np.nan, index=unit.index)
    has = unit.notna()
    t = unit[has].map(totals)
    share[has] = np.where(t > 0, w[has] / t.where(t > 0, 1), 1.0 / unit[has].map(n_areas))
    out = pd.DataFrame(index=unit.index)
    for col in counts.columns:
        out[col] = unit.map(counts[col]) * share
    return out, notes


def _unit_word(src: IndicatorSource) -> str:
    g = src.geography or ""
    return Path(g).stem if Path(g).suffix.lower() in GEO_SUFFIXES else g


def import_other_geography(
    src: IndicatorSource,
    areas: gpd.GeoDataFrame,
    values: pd.DataFrame,
    catalogue: dict[str, Indicator],
) -> tuple[pd.DataFrame, list[Finding], dict[str, Indicator]]:
    """Bring a source published for another geography to the place's areas.

    Parameters
    ----------
    src
        The source (``geography`` set).
    areas
        The place's areas (index: code; working CRS).
    values
        Indicator values already imported at area level (the apportioning weight comes
        from here).
    catalogue
        Indicators imported so far (to name the weight).

    Returns the values by area, findings, and the source's indicators with ``method`` set.
    """
    assert src.geography is not None  # only sources with a geography come here
    findings: list[Finding] = []
    word = _unit_word(src)
    polygons = Path(src.geography).suffix.lower() in GEO_SUFFIXES
    areal = src.apportion == "area"
    if areal and not polygons:
        raise ConfigError(
            f"indicators from {src.path.name}: apportion = 'area' needs polygons "
            "(geography = a polygon file)",
            path=src.path,
        )
    if not areal and src.apportion not in values.columns:
        known = ", ".join(k for k, i in catalogue.items() if i.kind == "count")
        raise ConfigError(
            f"apportion = {src.apportion!r} is not a count indicator of an earlier source "
            f"(known: {known}, or 'area' with polygons)",
            path=src.path,
        )
    if polygons:
        units = polygon_units(src, areas.crs)
        known_codes = pd.Index(units["unit"])
    else:
        join, found = lookup_join(src, areas)
        findings += found
        known_codes = pd.Index(join.unit.dropna().unique())
    table, found = read_source_table(src, known_codes)
    findings += found
    unmatched = table.index.difference(known_codes)
    if len(unmatched):
        lost = ", ".join(
            f"{i.label} {table.loc[unmatched, i.key].sum():,.0f}"
            for i in src.columns
            if i.column and i.kind == "count"
        )
        findings.append(
            Finding(
                "warning",
                f"{src.path.name}: {len(unmatched)} {word} code(s) are not in the {word} "
                f"geography, so their figures are left out{f' ({lost})' if lost else ''}: "
                f"{examples(sorted(unmatched))}",
            )
        )
    missing_units = known_codes.difference(table.index)
    if len(missing_units):
        findings.append(
            Finding(
                "warning",
                f"{src.path.name}: {len(missing_units)} {word}(s) of the place have no row: "
                f"{examples(sorted(missing_units))}",
            )
        )
    count_keys = [i.key for i in src.columns if i.kind == "count" and i.key in table.columns]
    mean_keys = [i.key for i in src.columns if i.kind == "mean" and i.key in table.columns]
    if areal:
        from tobler.area_weighted import area_interpolate  # type: ignore[import-untyped]  # tobler ships no types

        source = units.merge(table, left_on="unit", right_index=True, how="inner")
        target = areas[["geometry"]].copy()
        got = area_interpolate(
            source, target, extensive_variables=count_keys, intensive_variables=mean_keys
        )
        out = pd.DataFrame(got.drop(columns="geometry").to_numpy(), index=areas.index,
                           columns=[*count_keys, *mean_keys])  # fmt: skip
        how_counts = f"apportioned from {word} by overlapping area (tobler areal interpolation)"
        how_means = f"{word} values areal-weighted to areas (tobler)"
    else:
        if polygons:
            join = polygon_join(src, areas)
        # Not areal: apportion names a column of values (checked above), so it is set.
        assert src.apportion is not None
        weight_label = (
            catalogue[src.apportion].label if src.apportion in catalogue else src.apportion
        )
        out, notes = apportion_counts(table[count_keys], join.unit, values[src.apportion])
        findings += [Finding("warning", f"{src.path.name}: {n}") for n in notes]
        for key in mean_keys:
            out[key] = join.unit.map(table[key])
        how_counts = (
            f"published for {word}; apportioned to areas by each area's share of its {word}'s "
            f"{weight_label.lower()} ({join.text})"
        )
        how_means = f"published for {word}; each area takes its {word}'s value ({join.text})"
    methods = {}
    for ind in src.columns:
        if ind.kind == "count":
            text = how_counts
        elif ind.kind == "mean":
            text = how_means
        else:
            text = f"rate recomputed from numerator and denominator, both {how_counts.split('; ', 1)[-1]}"
        methods[ind.key] = replace(ind, method=text)
    out = out.reindex(columns=[i.key for i in src.columns if i.key in out.columns])
    return out, findings, methods

"""Data exports for partners: GeoJSON, GeoPackage and CSV, safe to share.

Every export

* applies disclosure control (:func:`geo.indicators.profile.disclosed_profile`): counts of
  ``sensitive`` indicators below the threshold (default 5), and rates built on them, are
  shown as ``*``;
* escapes CSV text cells starting with ``= + - @`` (:func:`geo.tables.to_safe_csv`);
* writes the attribution of every source (and the disclosure note, the export date and, for
  the demo, "synthetic demo data") to a sidecar ``<file>.attribution.txt``; CSV files also
  carry them as ``# `` comment lines on top unless asked not to, and a GeoPackage also holds
  them in an ``attribution`` table;
* is written atomically: on any error nothing (no partial file, no stray sidecar) is left.

GeoJSON is written in EPSG:4326 (RFC 7946) with the place, its synthetic flag, attribution and
notes as top-level members (:func:`geojson_members`); GeoPackage keeps the place's working CRS
(British National Grid for English places); CSV has no geometry (points get ``lon``/``lat``).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.errors import InputError
from geo.indicators.aggregate import ALL_AREAS
from geo.indicators.disclosure import DEFAULT_THRESHOLD, SUPPRESSED
from geo.indicators.profile import disclosed_profile
from geo.network.access import coverage
from geo.network.isochrones import DEFAULT_BUFFER_M, isochrones
from geo.network.travel import CROWFLY_NOTE, area_point_method, is_approximate
from geo.place.bundle import atomic_write
from geo.place.model import SYNTHETIC_LABEL, Place
from geo.siting.scenarios import ScenarioStore, check_name
from geo.tables import to_safe_csv

#: What can be exported (``isochrones`` and ``scenario`` need their engines' modules).
WHATS: tuple[str, ...] = ("areas", "footprints", "sites", "isochrones", "scenario")
#: File extension -> OGR driver (``None``: CSV, written by :func:`geo.tables.to_safe_csv`).
DRIVERS: dict[str, str | None] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".csv": None,
}
SIDECAR_SUFFIX = ".attribution.txt"


@dataclass(frozen=True)
class ExportData:
    """One table ready to write.

    Attributes
    ----------
    what
        The export kind (``areas``, ``footprints``, ...); also the GeoPackage layer name.
    frame
        Rows to write; geometry (if any) in the place's working CRS. Suppressed cells hold
        ``"*"``.
    title
        One line describing the table, e.g. ``"Demoborough: small areas with indicators"``.
    notes
        Sentences to print with the data (disclosure control, approximations, ...).
    columns
        Column descriptions (name -> label with unit) for the sidecar's data dictionary.
    warnings
        Notes a command should also print as warnings (e.g. a hub far from any road).
    members
        Extra top-level members of a GeoJSON file (beside ``place``, ``synthetic``,
        ``attribution`` and ``notes``, which every GeoJSON export carries).
    """

    what: str
    frame: gpd.GeoDataFrame | pd.DataFrame
    title: str
    notes: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    members: dict[str, object] = field(default_factory=dict)


# --------------------------------------------------------------------------- tables


def _indicator_columns(place: Place, keys: Sequence[str]) -> dict[str, str]:
    out = {}
    for key in keys:
        ind = place.catalogue[key]
        unit = f" [{ind.unit}]" if ind.unit else ""
        src = f" (source: {ind.source})" if ind.source else ""
        flag = " (sensitive: small counts suppressed)" if ind.sensitive else ""
        out[key] = f"{ind.label}{unit}{src}{flag}"
    return out


def _select_indicators(place: Place, indicators: Sequence[str] | None) -> list[str]:
    if not indicators:
        return list(place.catalogue)
    for key in indicators:
        place.indicator(key)  # raises a clear InputError for unknown keys
    # Rates need their numerator to be checked for disclosure; keep catalogue order.
    return [k for k in place.catalogue if k in set(indicators)]


def _check_footprint(place: Place, footprint: str | None) -> None:
    if footprint is not None and footprint not in place.footprint_names:
        raise InputError(
            f"unknown {place.footprint_label.lower()} {footprint!r}; known: {', '.join(place.footprint_names)}"
        )


def _controlled(place: Place, *, by: str, threshold: float) -> tuple[pd.DataFrame, tuple[str, ...]]:
    result = disclosed_profile(place, by=by, suppress_below=threshold)
    return result.table, ((result.note,) if result.note else ())


def areas_data(
    place: Place,
    *,
    indicators: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    footprint: str | None = None,
) -> ExportData:
    """Small areas (``code``, ``name``, footprint) with their indicator values.

    Parameters
    ----------
    indicators
        Keys to include (default: all). Unknown keys raise :class:`InputError`.
    threshold
        Disclosure threshold for sensitive counts.
    footprint
        Only the areas of this footprint.
    """
    keys = _select_indicators(place, indicators)
    _check_footprint(place, footprint)
    areas = place.areas
    frame = pd.DataFrame({"code": areas.index.astype(str)}, index=areas.index)
    frame["name"] = areas.get("name")
    frame["footprint"] = areas["footprint"]
    # Disclosure looks up numerators, so control the full catalogue and then select.
    table, notes = _controlled(place, by="area", threshold=threshold)
    for key in keys:
        frame[key] = table[key].to_numpy()
    gdf = gpd.GeoDataFrame(
        frame.reset_index(drop=True), geometry=areas.geometry.to_numpy(), crs=areas.crs
    )
    if footprint is not None:
        gdf = gdf[gdf["footprint"] == footprint].reset_index(drop=True)
    columns = {
        "code": "Small area code",
        "name": "Small area name",
        "footprint": place.footprint_label,
    } | _indicator_columns(place, keys)
    return ExportData("areas", gdf, f"{place.name}: small areas with indicators", notes, columns)


def footprints_data(
    place: Place,
    *,
    indicators: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    footprint: str | None = None,
) -> ExportData:
    """Footprint profile figures (:func:`geo.indicators.profile.profile_table`) with footprint polygons.

    The ``All areas`` row is kept (with the whole place as its geometry) so totals travel with
    the data; disclosure control treats it as the total for secondary suppression.
    """
    keys = _select_indicators(place, indicators)
    _check_footprint(place, footprint)
    table, notes = _controlled(place, by="footprint", threshold=threshold)
    if footprint is not None:
        table = table[table["footprint"].isin([footprint, ALL_AREAS])]
    site_cols = [c for c in table.columns if c.startswith("sites_")]
    table = table[["footprint", "areas", *keys, *site_cols]].reset_index(drop=True)
    geoms = place.footprints.set_index("footprint").geometry
    geometry = [
        place.boundary if name == ALL_AREAS else geoms.get(name) for name in table["footprint"]
    ]
    gdf = gpd.GeoDataFrame(table, geometry=geometry, crs=place.areas.crs)
    columns = {"footprint": place.footprint_label, "areas": "Number of small areas"}
    columns |= _indicator_columns(place, keys)
    columns |= {c: f"Number of sites of kind {c[len('sites_') :]!r}" for c in site_cols}
    title = f"{place.name}: {place.footprint_label.lower()} profiles"
    return ExportData("footprints", gdf, title, notes, columns)


def sites_data(place: Place, *, kinds: Sequence[str] | None = None) -> ExportData:
    """Sites (schools, hubs, ...) with their details and footprint."""
    sites = place.sites
    if kinds:
        unknown = sorted(set(kinds) - set(place.site_kinds))
        if unknown:
            raise InputError(
                f"unknown site kind(s) {', '.join(unknown)}; known: {', '.join(place.site_kinds)}"
            )
        sites = sites[sites["kind"].isin(kinds)]
    gdf = gpd.GeoDataFrame(sites.reset_index(drop=True), geometry="geometry", crs=place.sites.crs)
    return ExportData("sites", gdf, f"{place.name}: sites", (), {})


def hub_points(
    place: Place, *, kinds: Sequence[str] | None = None, sites: Sequence[str] | None = None
) -> gpd.GeoSeries:
    """Hub points (working CRS) by site id or site kind (default: ``family_hub`` sites, else
    every site), indexed by site id."""
    table = place.sites.set_index(place.sites["site_id"].astype(str))
    if sites:
        missing = [s for s in sites if str(s) not in table.index]
        if missing:
            raise InputError(f"unknown site id(s) {', '.join(map(str, missing))}")
        return table.loc[[str(s) for s in sites]].geometry
    if kinds:
        unknown = sorted(set(kinds) - set(place.site_kinds))
        if unknown:
            raise InputError(
                f"unknown site kind(s) {', '.join(unknown)}; known: {', '.join(place.site_kinds)}"
            )
        return table[table["kind"].isin(kinds)].geometry
    if "family_hub" in place.site_kinds:
        return table[table["kind"] == "family_hub"].geometry
    return table.geometry


def isochrones_data(
    place: Place,
    *,
    kinds: Sequence[str] | None = None,
    sites: Sequence[str] | None = None,
    scenario: str | None = None,
    hubs: gpd.GeoSeries | None = None,
    mode: str = "walk",
    minutes: Sequence[float] | str = (5, 10, 15, 20),
    buffer_m: float = DEFAULT_BUFFER_M,
    apportion: str | None = None,
    list_hubs: bool = False,
) -> ExportData:
    """Travel-time bands (:func:`geo.network.isochrones.isochrones`) around hubs: the one
    isochrones table that ``hubplan isochrones`` and ``hubplan export-data`` both write.

    Parameters
    ----------
    kinds, sites, scenario, hubs
        The hubs: explicit points (``hubs``, working CRS, indexed by a label such as a site id
        or ``"lon,lat"``), a saved scenario's hubs, the given site ids, the sites of the given
        kinds, or by default the family hubs.
    mode, minutes, buffer_m
        As for :func:`geo.network.isochrones.isochrones`.
    apportion
        ``"point"`` or ``"area"``: add the people and children reached in each band
        (:func:`geo.network.access.coverage`); ``None``: bands only.
    list_hubs
        The ``hubs`` column lists the hubs' labels instead of counting them.
    """
    if hubs is not None:
        label = "chosen points"
    elif scenario is not None:
        hubs = scenario_hubs(place, scenario).geometry
        label = f"scenario {scenario!r}"
    else:
        hubs = hub_points(place, kinds=kinds, sites=sites)
        label = ", ".join(kinds) if kinds else ("chosen sites" if sites else "hubs")
    bands = isochrones(place, hubs, mode=mode, minutes=minutes, buffer_m=buffer_m)
    warned = tuple(bands.attrs.get("warnings", ()))
    notes = list(warned)
    approximate = bool(bands["approximate"].any())
    if approximate:
        notes.append(
            "Approximate: no road network in this place, so bands are crow-fly circles "
            "adjusted by a detour factor."
        )
    notes.append(
        f"Bands are cumulative (the larger contains the smaller) around {len(hubs)} hub(s) ({label})."
    )
    frame = gpd.GeoDataFrame(
        pd.DataFrame(bands.drop(columns=bands.geometry.name)).reset_index(drop=True),
        geometry=bands.geometry.to_numpy(),
        crs=bands.crs,
    )
    names = [str(h) for h in hubs.index]
    frame.insert(
        0, "hubs", pd.Series([names] * len(frame), dtype=object) if list_hubs else len(hubs)
    )
    frame["area_km2"] = (bands.geometry.area / 1e6).round(3).to_numpy()
    columns = {
        "hubs": "Hubs (labels)" if list_hubs else "Number of hubs",
        "minutes": "Travel time limit [minutes]",
        "mode": "Travel mode",
        "method": "network or crowfly",
        "approximate": "True when crow-fly",
        "buffer_m": "Street buffer width [m]",
        "area_km2": "Band area [km²]",
    }
    if apportion is not None:
        cover = coverage(
            place, hubs, mode=mode, minutes=bands["minutes"].tolist(), apportion=apportion,
            bands=bands,
        )  # fmt: skip
        for col in cover.columns.drop(["minutes", "approximate"]):
            frame[col] = cover[col].to_numpy()
            columns.setdefault(col, _coverage_label(place, col))
        frame["area_point"] = area_point_method(place)
        columns["area_point"] = "How an area's point is placed"
    if approximate:
        frame["note"] = [CROWFLY_NOTE if a else None for a in frame["approximate"]]
        columns["note"] = "Why a band is approximate"
    return ExportData(
        "isochrones",
        frame,
        f"{place.name}: {mode} time bands around {label}",
        tuple(notes),
        columns,
        warnings=warned,
        members={"mode": mode, "approximate": is_approximate(place)},
    )


def _coverage_label(place: Place, column: str) -> str:
    if column == "areas":
        return "Small areas reached (fractional when apportioned by area)"
    if column == "apportion":
        return "How areas are counted: point or area"
    key = column.removesuffix("_share")
    label = place.catalogue[key].label if key in place.catalogue else key
    return f"Share of {label.lower()} reached" if column.endswith("_share") else f"{label} reached"


def load_scenario(place: Place, name: str):
    """The saved scenario ``name`` of ``place`` (from the store beside its bundle)."""
    name = check_name(name)
    if place.path is None:
        raise InputError(
            f"unknown scenario {name!r}: this place has no bundle to keep scenarios beside"
        )
    store = ScenarioStore.for_bundle(place.path)
    if store.backend == "sqlite" and not Path(store.path).exists():
        raise InputError(f"unknown scenario {name!r}: no scenarios saved for {place.name}")
    keys = list(dict.fromkeys([place.name, Path(place.path).stem, str(place.path)]))
    first_error: InputError | None = None
    for key in keys:
        try:
            return store.load(key, name)
        except InputError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def scenario_hubs(place: Place, name: str) -> gpd.GeoDataFrame:
    """A scenario's hub points (``hub``, ``name``), working CRS."""
    scen = load_scenario(place, name)
    points = scen.results.get("hub_points") or []
    if points:
        frame = pd.DataFrame(points)
        geo = gpd.GeoDataFrame(
            frame[["hub", "name"]],
            geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
            crs=4326,
        ).to_crs(place.crs)
        return geo.set_index("hub", drop=False)
    # Hubs that are existing sites can be found by site id.
    sites = place.sites.set_index(place.sites["site_id"].astype(str))
    known = [h for h in map(str, scen.hubs) if h in sites.index]
    if not known:
        raise InputError(f"scenario {name!r} has no hub locations to map")
    sel = sites.loc[known]
    return gpd.GeoDataFrame(
        {"hub": known, "name": sel["name"].astype(str).to_numpy()},
        geometry=sel.geometry.to_numpy(),
        crs=place.crs,
        index=known,
    )


def scenario_data(place: Place, name: str, *, threshold: float = DEFAULT_THRESHOLD) -> ExportData:
    """A saved scenario's results by small area: hub, travel minutes and whether covered.

    Notes carry the scenario's objective, mode, time limit, coverage and the solver's notes.
    """
    scen = load_scenario(place, name)
    res = scen.results
    areas = place.areas
    codes = areas.index.astype(str)
    frame = pd.DataFrame(
        {"code": codes, "name": areas.get("name"), "footprint": areas["footprint"]}
    )
    hub_of = res.get("area_hub") or {}
    frame["hub"] = [hub_of.get(c) for c in codes]
    names = {str(p["hub"]): p.get("name") for p in res.get("hub_points") or []}
    if names:
        frame["hub_name"] = [names.get(h) if h else None for h in frame["hub"]]
    minutes = res.get("area_minutes") or {}
    frame["minutes"] = [minutes.get(c) for c in codes]
    frame["minutes"] = pd.to_numeric(frame["minutes"], errors="coerce")
    if res.get("area_covered") is not None:
        frame["covered"] = [res["area_covered"].get(c) for c in codes]
    weight = res.get("weight")
    if weight and weight in place.catalogue:
        table, _ = _controlled(place, by="area", threshold=threshold)
        frame[weight] = table[weight].to_numpy()
    gdf = gpd.GeoDataFrame(
        frame.reset_index(drop=True), geometry=areas.geometry.to_numpy(), crs=areas.crs
    )
    share = res.get("covered_share")
    summary = (
        f"Scenario {scen.name!r}: {res.get('objective', scen.objective)} with {len(scen.hubs)} hub(s), "
        f"mode {scen.mode or '?'}"
        + (f", limit {scen.minutes:g} min" if scen.minutes else "")
        + (f", {share:.1%} of {weight or 'demand'} covered" if share is not None else "")
        + (f"; method: {res['method']}" if res.get("method") else "")
        + "."
    )
    notes = (summary, *[str(n) for n in res.get("notes") or []])
    columns = {
        "code": "Small area code",
        "name": "Small area name",
        "footprint": place.footprint_label,
        "hub": "Hub serving the area (nearest chosen hub)",
        "hub_name": "Hub name",
        "minutes": "Travel time to that hub [minutes]",
        "covered": "Within the time limit",
    }
    return ExportData("scenario", gdf, f"{place.name}: scenario {scen.name!r}", notes, columns)


def export_table(place: Place, what: str, **options) -> ExportData:
    """Build the table for ``what`` (one of :data:`WHATS`); options go to its builder."""
    builders: dict[str, Callable[..., ExportData]] = {
        "areas": areas_data,
        "footprints": footprints_data,
        "sites": sites_data,
        "isochrones": isochrones_data,
        "scenario": scenario_data,
    }
    if what not in builders:
        raise InputError(f"unknown export {what!r}; use {', '.join(WHATS)}")
    return builders[what](place, **options)


# --------------------------------------------------------------------------- writing


def check_path(path: str | Path) -> tuple[Path, str | None]:
    """Return ``(path, driver)`` for a supported extension, or raise naming it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DRIVERS:
        raise InputError(
            f"unsupported extension {path.suffix or '(none)'!r}; use {', '.join(DRIVERS)}",
            path=path,
        )
    return path, DRIVERS[suffix]


def sidecar_path(path: str | Path) -> Path:
    """``data.csv`` -> ``data.csv.attribution.txt``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def attribution_lines(place: Place, data: ExportData, *, when: datetime | None = None) -> list[str]:
    """The lines every export carries: title, date, sources, synthetic label and notes."""
    when = when or datetime.now(UTC)
    lines = [data.title, f"Exported {when:%Y-%m-%d %H:%M} UTC by hubplan from {place.name}."]
    sources = [line for line in place.attribution_text().splitlines() if line.strip()]
    if place.synthetic and not any(SYNTHETIC_LABEL in line.lower() for line in sources):
        sources.insert(0, f"Demo place: {SYNTHETIC_LABEL}.")
    lines += sources
    lines += list(data.notes)
    return lines


def sidecar_text(place: Place, data: ExportData, *, when: datetime | None = None) -> str:
    lines = attribution_lines(place, data, when=when)
    out = [lines[0], "=" * min(len(lines[0]), 78), "", *lines[1:2], ""]
    out.append("Sources and licences (reproduce these with any use of the data):")
    out += [f"  {line}" for line in lines[2:] if line not in data.notes]
    if data.notes:
        out += ["", "Notes:"] + [f"  {note}" for note in data.notes]
    if data.columns:
        out += ["", "Columns:"] + [f"  {name}: {label}" for name, label in data.columns.items()]
    out += ["", f"Suppressed cells are shown as '{SUPPRESSED}'."]
    return "\n".join(out) + "\n"


def geojson_members(place: Place, data: ExportData) -> dict[str, object]:
    """Top-level members of an exported GeoJSON file, so the file carries its attribution."""
    return {
        "place": place.name,
        "synthetic": place.synthetic,
        "attribution": place.attribution_text(),
        "notes": list(data.notes),
        **data.members,
    }


def tidy_numbers(frame: pd.DataFrame, *, decimals: int = 6) -> pd.DataFrame:
    """Whole-number float columns become integers, others are rounded to ``decimals``.

    Disclosure-controlled columns (numbers mixed with ``"*"``) get the same treatment cell by
    cell; a controlled column with nothing suppressed becomes numeric again.
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if isinstance(values.dtype, gpd.array.GeometryDtype):
            continue
        if values.dtype == object:
            if values.map(lambda v: isinstance(v, str) and v == SUPPRESSED).any():
                out[col] = values.map(lambda v: _tidy_scalar(v, decimals)).astype(object)
                continue
            numeric = pd.to_numeric(values, errors="coerce")
            if numeric.notna().sum() != values.notna().sum():
                continue  # real text
            values = numeric.astype(float)
        if pd.api.types.is_float_dtype(values.dtype):
            finite = values[np.isfinite(values)]
            if len(finite) and (finite == finite.round()).all() and finite.abs().max() < 2**53:
                out[col] = values.round().astype("Int64")
            else:
                out[col] = values.round(decimals)
    return out


def _tidy_scalar(value: object, decimals: int) -> object:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        return int(value) if float(value).is_integer() else round(float(value), decimals)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _geo_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns holding ``"*"`` become text (numbers written plainly) for GeoJSON/GPKG."""
    out = frame.copy()
    for col in out.columns:
        if col == out.geometry.name or out[col].dtype != object:
            continue
        values = out[col]
        if values.map(lambda v: isinstance(v, str) and v == SUPPRESSED).any():
            out[col] = values.map(_text_number).astype(object)
    return out


def _text_number(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.10g}"
    return str(value)


def _csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame)
    geom = frame.geometry
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if len(geom) and geom.notna().all() and (geom.geom_type == "Point").all():
        ll = geom.to_crs(4326)
        out["lon"] = ll.x.round(6).to_numpy()
        out["lat"] = ll.y.round(6).to_numpy()
    return out


def write_export(
    data: ExportData,
    path: str | Path,
    *,
    place: Place,
    csv_header: bool = True,
    when: datetime | None = None,
) -> list[Path]:
    """Write ``data`` to ``path`` (``.geojson``, ``.gpkg`` or ``.csv``) plus its sidecar.

    Returns the paths written (data file first). Atomic: on error neither file is changed.
    """
    path, driver = check_path(path)
    lines = attribution_lines(place, data, when=when)
    sidecar = sidecar_path(path)
    frame = tidy_numbers(data.frame)

    def write_data(tmp: Path) -> None:
        if driver is None:
            header = lines if csv_header else None
            tmp.write_text(to_safe_csv(_csv_frame(frame), header_lines=header), encoding="utf-8")
        else:
            gdf = (
                frame
                if isinstance(frame, gpd.GeoDataFrame)
                else gpd.GeoDataFrame(frame, geometry=[None] * len(frame))
            )
            gdf = _geo_ready(gdf)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if driver == "GeoJSON":
                    if gdf.crs is not None:
                        gdf = gdf.to_crs(4326)
                    pyogrio.write_dataframe(
                        gdf,
                        tmp,
                        driver="GeoJSON",
                        layer=data.what,
                        layer_options={
                            "RFC7946": "YES",
                            "WRITE_NAME": "YES",
                            "FOREIGN_MEMBERS_COLLECTION": json.dumps(
                                geojson_members(place, data), ensure_ascii=False
                            ),
                        },
                    )
                else:
                    pyogrio.write_dataframe(gdf, tmp, driver="GPKG", layer=data.what)
                    meta = pd.DataFrame({"line": lines})
                    pyogrio.write_dataframe(
                        meta, tmp, driver="GPKG", layer="attribution", append=True
                    )
        # The sidecar is renamed into place only once the data is complete.
        atomic_write(
            sidecar,
            lambda t: t.write_text(sidecar_text(place, data, when=when), encoding="utf-8"),
            suffix=".txt",
        )

    existed = sidecar.exists()
    try:
        atomic_write(path, write_data, suffix=path.suffix)
    except BaseException:
        if not existed and sidecar.exists() and not path.exists():
            sidecar.unlink(missing_ok=True)
        raise
    return [path.resolve(), sidecar.resolve()]


def export_data(
    place: Place, what: str, path: str | Path, *, csv_header: bool = True, **options
) -> list[Path]:
    """Build and write one export: :func:`export_table` then :func:`write_export`.

    The path is checked before any work so a bad extension fails fast.
    """
    check_path(path)
    data = export_table(place, what, **options)
    return write_export(data, path, place=place, csv_header=csv_header)

"""Place configuration: a TOML file describing where a place's data comes from.

Relative paths resolve against the folder that holds the TOML file. Every problem is
reported as an :class:`~geo.errors.InputError` naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.errors import InputError
from geo.transit.config import TransitConfig, parse_transit

KINDS = ("count", "mean", "rate")
DIRECTIONS = ("worse", "better")
DEFAULT_CRS = "EPSG:27700"
DEFAULT_SPEEDS_KMH = {"walk": 4.8, "cycle": 15.0, "drive": 30.0}


@dataclass(frozen=True)
class Indicator:
    """One indicator in a place's catalogue.

    ``kind`` decides how values aggregate to footprints: ``count`` is summed, ``mean`` is
    the mean weighted by the indicator ``weight`` (unweighted when absent) and ``rate`` is
    ``per * sum(numerator) / sum(denominator)``.
    """

    key: str
    label: str
    kind: str
    column: str | None = None
    unit: str = ""
    weight: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    per: float = 100.0
    higher_is: str | None = None
    england: float | None = None
    sensitive: bool = False
    source: str = ""
    attribution: str = ""
    vintage: str = ""
    national_decile: bool = False
    description: str = ""
    method: str = ""
    from_percent: str | None = None


@dataclass(frozen=True)
class AreasSource:
    path: Path
    code: str
    name: str | None = None
    layer: str | None = None
    attribution: str = ""
    source: str = ""


@dataclass(frozen=True)
class IndicatorSource:
    path: Path
    code: str
    columns: tuple[Indicator, ...]
    sheet: str | None = None
    attribution: str = ""
    source: str = ""
    geography: str | None = None
    geography_code: str | None = None
    lookup: Path | None = None
    lookup_area: str | None = None
    lookup_code: str | None = None
    apportion: str | None = None


@dataclass(frozen=True)
class PostcodesSource:
    path: Path
    postcode: str
    lon: str | None = None
    lat: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str = DEFAULT_CRS
    attribution: str = ""


@dataclass(frozen=True)
class SitesSource:
    path: Path
    kind: str
    id: str | None = None
    name: str | None = None
    lon: str | None = None
    lat: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str = DEFAULT_CRS
    postcode: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    layer: str | None = None
    attribution: str = ""
    source: str = ""


@dataclass(frozen=True)
class FootprintsSource:
    path: Path
    name: str
    code: str | None = None
    layer: str | None = None
    label: str = "Footprint"
    attribution: str = ""


@dataclass(frozen=True)
class NetworkConfig:
    source: str = "crowfly"
    detour: float = 1.3
    speeds_kmh: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    options: dict[str, Any] = field(default_factory=dict)
    attribution: str = ""
    transit: TransitConfig | None = None  # [network.transit], see geo.transit.config


@dataclass(frozen=True)
class PlaceConfig:
    """A parsed place configuration."""

    name: str
    path: Path
    crs: str = DEFAULT_CRS
    areas: AreasSource | None = None
    indicators: tuple[IndicatorSource, ...] = ()
    sites: tuple[SitesSource, ...] = ()
    postcodes: PostcodesSource | None = None
    footprints: FootprintsSource | None = None
    network: NetworkConfig = field(default_factory=NetworkConfig)
    synthetic: bool = False
    text: str = ""

    @property
    def folder(self) -> Path:
        return self.path.parent


class _Section:
    """Typed access to one TOML table, with errors naming the file and key path."""

    def __init__(self, data: Any, where: str, file: Path) -> None:
        if not isinstance(data, dict):
            raise InputError(f"[{where}] must be a table", path=file)
        self.data = data
        self.where = where
        self.file = file

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def str(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(key, default)
        if value is None:
            if required:
                raise InputError(f"missing required key '{self._name(key)}'", path=self.file)
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise InputError(
                f"'{self._name(key)}' must be a non-empty string, got {value!r}", path=self.file
            )
        return value

    def num(self, key: str, default: float | None = None) -> float | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"'{self._name(key)}' must be a number, got {value!r}", path=self.file)
        return float(value)

    def bool(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise InputError(
                f"'{self._name(key)}' must be true or false, got {value!r}", path=self.file
            )
        return value

    def path(self, key: str, *, required: bool = True) -> Path | None:
        value = self.str(key, required=required)
        if value is None:
            return None
        p = Path(value).expanduser()
        if not p.is_absolute():
            p = (self.file.parent / p).resolve()
        return p

    def table(self, key: str) -> _Section | None:
        value = self.data.get(key)
        return None if value is None else _Section(value, self._name(key), self.file)

    def tables(self, key: str) -> list[_Section]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise InputError(f"'{self._name(key)}' must be an array of tables", path=self.file)
        return [_Section(v, f"{self._name(key)}[{i}]", self.file) for i, v in enumerate(value)]


def _indicator(sec: _Section, *, source: str, attribution: str, vintage: str) -> Indicator:
    key = sec.str("key", required=True)
    if not key.replace("_", "").isalnum() or key[0].isdigit():
        raise InputError(
            f"'{sec.where}.key' = {key!r}: keys must be letters, digits and '_' (not starting with a digit)",
            path=sec.file,
        )
    kind = sec.str("kind", "count")
    if kind not in KINDS:
        raise InputError(
            f"'{sec.where}.kind' = {kind!r} is not a known indicator kind (use {', '.join(KINDS)})",
            path=sec.file,
        )
    higher_is = sec.str("higher_is")
    if higher_is is not None and higher_is not in DIRECTIONS:
        raise InputError(
            f"'{sec.where}.higher_is' = {higher_is!r} must be 'worse' or 'better'", path=sec.file
        )
    column = sec.str("column")
    numerator = sec.str("numerator")
    denominator = sec.str("denominator")
    if kind == "rate":
        if not numerator or not denominator:
            raise InputError(
                f"'{sec.where}' (key {key!r}) is a rate: give numerator = KEY and denominator = KEY",
                path=sec.file,
            )
    elif column is None:
        column = key
    return Indicator(
        key=key,
        label=sec.str("label", key) or key,
        kind=kind,
        column=column,
        unit=sec.str("unit", "") or "",
        weight=sec.str("weight"),
        numerator=numerator,
        denominator=denominator,
        per=sec.num("per", 100.0) or 100.0,
        higher_is=higher_is,
        england=sec.num("england"),
        sensitive=sec.bool("sensitive", False),
        source=sec.str("source", source) or "",
        attribution=sec.str("attribution", attribution) or "",
        vintage=sec.str("vintage", vintage) or "",
        national_decile=sec.bool("national_decile", False),
        description=sec.str("description", "") or "",
        from_percent=sec.str("from_percent"),
    )


def _other_geography(sec: _Section, cols: tuple[Indicator, ...]) -> dict[str, Any]:
    """The keys of a source published for another geography (``geography = "ward"``...)."""
    geography = sec.str("geography")
    extra = ("geography_code", "lookup", "lookup_area", "lookup_code", "apportion")
    if geography is None:
        given = [k for k in extra if k in sec.data]
        if given:
            raise InputError(
                f"'{sec.where}' sets {', '.join(given)} but no geography = ... (e.g. \"ward\")",
                path=sec.file,
            )
        for c in cols:
            if c.from_percent:
                raise InputError(
                    f"indicator {c.key!r}: from_percent is only for sources with a geography",
                    path=sec.file,
                )
        return {}
    polygons = Path(geography).suffix.lower() in GEO_SUFFIXES
    out: dict[str, Any] = {"geography": geography, "apportion": sec.str("apportion")}
    if polygons:
        out["geography"] = str(sec.path("geography"))
        out["geography_code"] = sec.str("geography_code", required=True)
    else:
        out["lookup"] = sec.path("lookup")
        out["lookup_area"] = sec.str("lookup_area", required=True)
        out["lookup_code"] = sec.str("lookup_code", required=True)
    has_counts = any(c.kind in ("count", "rate") for c in cols)
    if has_counts and not out["apportion"]:
        raise InputError(
            f"'{sec.where}' (geography {geography!r}) has counts: say how to apportion them, "
            'apportion = "KEY" (a count indicator such as children_0_15) or "area"',
            path=sec.file,
        )
    keys = {c.key for c in cols}
    for c in cols:
        if c.from_percent and c.from_percent not in keys:
            raise InputError(
                f"indicator {c.key!r}: from_percent = {c.from_percent!r} is not a column of "
                "the same source",
                path=sec.file,
            )
        if c.kind == "rate" and not {c.numerator, c.denominator} <= keys:
            raise InputError(
                f"indicator {c.key!r}: a rate of a {geography} source needs its numerator "
                "and denominator in the same source (they are apportioned, then divided)",
                path=sec.file,
            )
    return out


def _check_crs(value: str, where: str, path: Path, *, projected: bool = True) -> str:
    """Refuse CRS strings pyproj cannot parse; the working CRS must be projected (metres)."""
    try:
        crs = CRS.from_user_input(value)
    except CRSError:
        raise InputError(
            f"'{where}' = {value!r} is not a coordinate reference system", path=path
        ) from None
    if projected and not crs.is_projected:
        raise InputError(
            f"'{where}' = {value!r} must be a projected CRS in metres (e.g. EPSG:27700)", path=path
        )
    return value


def _coords(sec: _Section) -> dict[str, str | None]:
    return {
        "lon": sec.str("lon"),
        "lat": sec.str("lat"),
        "x": sec.str("x"),
        "y": sec.str("y"),
        "crs": _check_crs(
            sec.str("crs", DEFAULT_CRS), f"{sec.where}.crs", sec.file, projected=False
        ),
    }


def parse_config(text: str, *, path: Path) -> PlaceConfig:
    """Parse a place configuration from TOML text; ``path`` anchors relative paths."""
    path = Path(path).resolve()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path) from None
    top = _Section(data, "", path)
    name = top.str("name", required=True)
    crs = _check_crs(top.str("crs", DEFAULT_CRS), "crs", path)

    areas_sec = top.table("areas")
    if areas_sec is None:
        raise InputError("missing required table [areas]", path=path)
    areas = AreasSource(
        path=areas_sec.path("path"),
        code=areas_sec.str("code", required=True),
        name=areas_sec.str("name"),
        layer=areas_sec.str("layer"),
        attribution=areas_sec.str("attribution", "") or "",
        source=areas_sec.str("source", "") or "",
    )

    indicators = []
    seen: dict[str, str] = {}
    for sec in top.tables("indicators"):
        attribution = sec.str("attribution", "") or ""
        source = sec.str("source", "") or ""
        vintage = sec.str("vintage", "") or ""
        cols = tuple(
            _indicator(c, source=source, attribution=attribution, vintage=vintage)
            for c in sec.tables("columns")
        )
        if not cols:
            raise InputError(f"'{sec.where}' lists no [[indicators.columns]]", path=path)
        for ind in cols:
            if ind.key in seen:
                raise InputError(
                    f"indicator key {ind.key!r} is defined twice ({seen[ind.key]} and {sec.where})",
                    path=path,
                )
            seen[ind.key] = sec.where
        indicators.append(
            IndicatorSource(
                path=sec.path("path"),
                code=sec.str("code", required=True),
                columns=cols,
                sheet=sec.str("sheet"),
                attribution=attribution,
                source=source,
                **_other_geography(sec, cols),
            )
        )
    _check_references([c for s in indicators for c in s.columns], path)

    sites = []
    for sec in top.tables("sites"):
        coords = _coords(sec)
        details = sec.data.get("details", {})
        if isinstance(details, list):
            details = {d: d for d in details}
        if not isinstance(details, dict) or not all(isinstance(v, str) for v in details.values()):
            raise InputError(
                f"'{sec.where}.details' must be a table of name = \"COLUMN\"", path=path
            )
        postcode = sec.str("postcode")
        geo_file = sec.path("path").suffix.lower() in GEO_SUFFIXES
        has_lonlat = coords["lon"] and coords["lat"]
        has_xy = coords["x"] and coords["y"]
        if not (geo_file or has_lonlat or has_xy or postcode):
            raise InputError(
                f"'{sec.where}' needs coordinates: lon/lat, x/y (with crs), postcode, or a geo file",
                path=path,
            )
        sites.append(
            SitesSource(
                path=sec.path("path"),
                kind=sec.str("kind", required=True),
                id=sec.str("id"),
                name=sec.str("name"),
                postcode=postcode,
                details=dict(details),
                layer=sec.str("layer"),
                attribution=sec.str("attribution", "") or "",
                source=sec.str("source", "") or "",
                **coords,
            )
        )

    postcodes = None
    if (pc := top.table("postcodes")) is not None:
        coords = _coords(pc)
        if not ((coords["lon"] and coords["lat"]) or (coords["x"] and coords["y"])):
            raise InputError("[postcodes] needs lon/lat or x/y columns", path=path)
        postcodes = PostcodesSource(
            path=pc.path("path"),
            postcode=pc.str("postcode", "postcode"),
            attribution=pc.str("attribution", "") or "",
            **coords,
        )
    if any(s.postcode for s in sites) and postcodes is None:
        raise InputError("sites use postcode = ... but there is no [postcodes] table", path=path)

    footprints = None
    if (fp := top.table("footprints")) is not None:
        fp_path = fp.path("path")
        footprints = FootprintsSource(
            path=fp_path,
            name=fp.str("name", required=True),
            code=fp.str("code", required=fp_path.suffix.lower() not in GEO_SUFFIXES),
            layer=fp.str("layer"),
            label=fp.str("label", "Footprint") or "Footprint",
            attribution=fp.str("attribution", "") or "",
        )

    network = NetworkConfig()
    if (net := top.table("network")) is not None:
        speeds = dict(DEFAULT_SPEEDS_KMH)
        if (sp := net.table("speeds")) is not None:
            for mode in sp.data:
                speeds[mode] = sp.num(mode)
                if speeds[mode] <= 0:
                    raise InputError(f"'network.speeds.{mode}' must be positive", path=path)
        detour = net.num("detour", 1.3)
        if detour < 1:
            raise InputError(f"'network.detour' = {detour} must be at least 1", path=path)
        source = net.str("source", "crowfly")
        if source not in ("crowfly", "osm-online"):
            p = Path(source).expanduser()
            source = str(p if p.is_absolute() else (path.parent / p).resolve())
        skip = ("source", "detour", "speeds", "transit")
        options = {k: v for k, v in net.data.items() if k not in skip}
        transit = net.data.get("transit")
        network = NetworkConfig(
            source=source,
            detour=detour,
            speeds_kmh=speeds,
            options=options,
            attribution=net.str("attribution", "") or "",
            transit=None if transit is None else parse_transit(transit, file=path),
        )

    return PlaceConfig(
        name=name,
        path=path,
        crs=crs,
        areas=areas,
        indicators=tuple(indicators),
        sites=tuple(sites),
        postcodes=postcodes,
        footprints=footprints,
        network=network,
        synthetic=top.bool("synthetic", False),
        text=text,
    )


GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip")


def _check_references(columns: list[Indicator], path: Path) -> None:
    keys = {c.key: c for c in columns}
    for c in columns:
        for role in ("weight", "numerator", "denominator"):
            ref = getattr(c, role)
            if ref is None:
                continue
            if ref not in keys:
                raise InputError(
                    f"indicator {c.key!r}: {role} = {ref!r} is not an indicator key "
                    f"(known: {', '.join(sorted(keys))})",
                    path=path,
                )
            if ref == c.key:
                raise InputError(f"indicator {c.key!r}: {role} refers to itself", path=path)


def load_config(path: str | Path) -> PlaceConfig:
    """Read and parse a place configuration file."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise InputError("config file not found", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("config file is not UTF-8 text", path=path) from None
    return parse_config(text, path=path)

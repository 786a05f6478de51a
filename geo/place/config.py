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

from geo.errors import ConfigError
from geo.place.readers import TableFormat
from geo.place.schema import ColumnSchema, IndicatorsSchema, validate_config_data
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
    table_format: TableFormat = field(default_factory=TableFormat)
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
    table_format: TableFormat = field(default_factory=TableFormat)


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
    dedupe: bool = False
    opened: str | None = None
    predecessor: str | None = None
    table_format: TableFormat = field(default_factory=TableFormat)


@dataclass(frozen=True)
class FootprintsSource:
    path: Path
    name: str
    code: str | None = None
    layer: str | None = None
    label: str = "Footprint"
    attribution: str = ""
    table_format: TableFormat = field(default_factory=TableFormat)


@dataclass(frozen=True)
class LabelsSource:
    """``[labels]``: a file of place names (points) drawn on every map."""

    path: Path
    name: str = "name"
    kind: str | None = None
    lon: str | None = None
    lat: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str = DEFAULT_CRS
    layer: str | None = None
    attribution: str = ""
    table_format: TableFormat = field(default_factory=TableFormat)


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
    labels: LabelsSource | None = None
    synthetic: bool = False
    allow_distortion: bool = False
    text: str = ""

    @property
    def folder(self) -> Path:
        return self.path.parent


def _resolve(value: str, file: Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (file.parent / p).resolve()


def _table_format(sec: Any) -> TableFormat:
    delimiter = "\t" if sec.delimiter == "tab" else sec.delimiter
    return TableFormat(delimiter=delimiter, decimal=sec.decimal, header_row=sec.header_row)


def _indicator(sec: ColumnSchema, where: str, file: Path, *, parent: IndicatorsSchema) -> Indicator:
    key = sec.key
    if not key.replace("_", "").isalnum() or key[0].isdigit():
        raise ConfigError(
            f"'{where}.key' = {key!r}: keys must be letters, digits and '_' (not starting with a digit)",
            path=file,
        )
    column = sec.column
    if sec.kind == "rate":
        if not sec.numerator or not sec.denominator:
            raise ConfigError(
                f"'{where}' (key {key!r}) is a rate: give numerator = KEY and denominator = KEY",
                path=file,
            )
    elif column is None:
        column = key
    return Indicator(
        key=key,
        label=sec.label or key,
        kind=sec.kind,
        column=column,
        unit=sec.unit,
        weight=sec.weight,
        numerator=sec.numerator,
        denominator=sec.denominator,
        per=float(sec.per),
        higher_is=sec.higher_is,
        england=None if sec.england is None else float(sec.england),
        sensitive=sec.sensitive,
        source=parent.source if sec.source is None else sec.source,
        attribution=parent.attribution if sec.attribution is None else sec.attribution,
        vintage=parent.vintage if sec.vintage is None else sec.vintage,
        national_decile=sec.national_decile,
        description=sec.description,
        from_percent=sec.from_percent,
    )


def _other_geography(
    sec: IndicatorsSchema, where: str, file: Path, cols: tuple[Indicator, ...]
) -> dict[str, Any]:
    """The keys of a source published for another geography (``geography = "ward"``...)."""
    geography = sec.geography
    extra = ("geography_code", "lookup", "lookup_area", "lookup_code", "apportion")
    if geography is None:
        given = [k for k in extra if getattr(sec, k) is not None]
        if given:
            raise ConfigError(
                f"'{where}' sets {', '.join(given)} but no geography = ... (e.g. \"ward\")",
                path=file,
            )
        for c in cols:
            if c.from_percent:
                raise ConfigError(
                    f"indicator {c.key!r}: from_percent is only for sources with a geography",
                    path=file,
                )
        return {}

    def required(key: str) -> str:
        value = getattr(sec, key)
        if value is None:
            raise ConfigError(f"missing required key '{where}.{key}'", path=file)
        return str(value)

    polygons = Path(geography).suffix.lower() in GEO_SUFFIXES
    out: dict[str, Any] = {"geography": geography, "apportion": sec.apportion}
    if polygons:
        out["geography"] = str(_resolve(geography, file))
        out["geography_code"] = required("geography_code")
    else:
        out["lookup"] = _resolve(required("lookup"), file)
        out["lookup_area"] = required("lookup_area")
        out["lookup_code"] = required("lookup_code")
    has_counts = any(c.kind in ("count", "rate") for c in cols)
    if has_counts and not out["apportion"]:
        raise ConfigError(
            f"'{where}' (geography {geography!r}) has counts: say how to apportion them, "
            'apportion = "KEY" (a count indicator such as children_0_15) or "area"',
            path=file,
        )
    keys = {c.key for c in cols}
    for c in cols:
        if c.from_percent and c.from_percent not in keys:
            raise ConfigError(
                f"indicator {c.key!r}: from_percent = {c.from_percent!r} is not a column of "
                "the same source",
                path=file,
            )
        if c.kind == "rate" and not {c.numerator, c.denominator} <= keys:
            raise ConfigError(
                f"indicator {c.key!r}: a rate of a {geography} source needs its numerator "
                "and denominator in the same source (they are apportioned, then divided)",
                path=file,
            )
    return out


WEB_MERCATOR_CODES = (3857, 3785, 900913, 102100, 102113)


def _check_crs(
    value: str, where: str, path: Path, *, projected: bool = True, allow_distortion: bool = False
) -> str:
    """Refuse CRS strings pyproj cannot parse; the working CRS must be projected in metres.

    Web Mercator (EPSG:3857) inflates distances by 1/cos(latitude), about 1.7 in England, so
    the working CRS may only be Web Mercator with ``allow_distortion = true``.
    """
    try:
        crs = CRS.from_user_input(value)
    except CRSError:
        raise ConfigError(
            f"'{where}' = {value!r} is not a coordinate reference system", path=path
        ) from None
    if not projected:
        return value
    if not crs.is_projected:
        raise ConfigError(
            f"'{where}' = {value!r} must be a projected CRS in metres (e.g. EPSG:27700)", path=path
        )
    units = {(a.unit_name or "").lower() for a in crs.axis_info}
    if not units <= {"metre", "meter", "m"}:
        raise ConfigError(
            f"'{where}' = {value!r} has axis units {', '.join(sorted(units))}; "
            "the working CRS must be in metres (e.g. EPSG:27700)",
            path=path,
        )
    if is_web_mercator(crs) and not allow_distortion:
        raise ConfigError(
            f"'{where}' = {value!r} is Web Mercator, which stretches distances and areas by "
            "1/cos(latitude) (about 1.7 in England); use a local CRS such as EPSG:27700, or set "
            "allow_distortion = true",
            path=path,
        )
    return value


def is_web_mercator(crs: CRS) -> bool:
    """True for Web (Pseudo) Mercator under any of its codes."""
    if crs.to_epsg() in WEB_MERCATOR_CODES:
        return True
    method = crs.coordinate_operation.method_name if crs.coordinate_operation else ""
    return "pseudo mercator" in method.lower()


def parse_config(text: str, *, path: Path) -> PlaceConfig:
    """Parse a place configuration from TOML text; ``path`` anchors relative paths.

    The TOML is checked against the declared schema (:mod:`geo.place.schema`) first: unknown
    tables and keys, values of the wrong type, non-finite or out-of-range numbers are one
    :class:`~geo.errors.ConfigError` naming the file and the key.
    """
    path = Path(path).resolve()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from None
    cfg = validate_config_data(data, path=path)
    crs = _check_crs(cfg.crs, "crs", path, allow_distortion=cfg.allow_distortion)

    areas = AreasSource(
        path=_resolve(cfg.areas.path, path),
        code=cfg.areas.code,
        name=cfg.areas.name,
        layer=cfg.areas.layer,
        attribution=cfg.areas.attribution,
        source=cfg.areas.source,
    )

    indicators = []
    seen: dict[str, str] = {}
    for i, sec in enumerate(cfg.indicators):
        where = f"indicators[{i}]"
        cols = tuple(
            _indicator(c, f"{where}.columns[{j}]", path, parent=sec)
            for j, c in enumerate(sec.columns)
        )
        for j, ind in enumerate(cols):
            if ind.key in seen:
                raise ConfigError(
                    f"indicator key {ind.key!r} is defined twice ({seen[ind.key]} and "
                    f"{where}.columns[{j}])",
                    path=path,
                )
            seen[ind.key] = f"{where}.columns[{j}]"
        indicators.append(
            IndicatorSource(
                path=_resolve(sec.path, path),
                code=sec.code,
                columns=cols,
                sheet=sec.sheet,
                attribution=sec.attribution,
                source=sec.source,
                table_format=_table_format(sec),
                **_other_geography(sec, where, path, cols),
            )
        )
    _check_references([c for s in indicators for c in s.columns], path)

    sites = []
    sources: dict[tuple[str, Path, str | None], str] = {}
    for i, site in enumerate(cfg.sites):
        where = f"sites[{i}]"
        site_path = _resolve(site.path, path)
        same = sources.setdefault((site.kind, site_path, site.layer), where)
        if same != where:
            raise ConfigError(
                f"'{where}' reads {site.path!r} as kind {site.kind!r} again (as '{same}' "
                "does): every site would be counted twice; remove one [[sites]] table",
                path=path,
            )
        geo_file = site_path.suffix.lower() in GEO_SUFFIXES
        has_lonlat = site.lon and site.lat
        has_xy = site.x and site.y
        if not (geo_file or has_lonlat or has_xy or site.postcode):
            raise ConfigError(
                f"'{where}' needs coordinates: lon/lat, x/y (with crs), postcode, or a geo file",
                path=path,
            )
        site_crs = site.crs or DEFAULT_CRS
        _check_crs(site_crs, f"{where}.crs", path, projected=False)
        sites.append(
            SitesSource(
                path=site_path,
                kind=site.kind,
                id=site.id,
                name=site.name,
                lon=site.lon,
                lat=site.lat,
                x=site.x,
                y=site.y,
                crs=site_crs,
                postcode=site.postcode,
                details=dict(site.details),
                layer=site.layer,
                attribution=site.attribution,
                source=site.source,
                dedupe=site.dedupe,
                opened=site.opened,
                predecessor=site.predecessor,
                table_format=_table_format(site),
            )
        )

    postcodes = None
    if (pc := cfg.postcodes) is not None:
        if not ((pc.lon and pc.lat) or (pc.x and pc.y)):
            raise ConfigError("[postcodes] needs lon/lat or x/y columns", path=path)
        pc_crs = pc.crs or DEFAULT_CRS
        _check_crs(pc_crs, "postcodes.crs", path, projected=False)
        postcodes = PostcodesSource(
            path=_resolve(pc.path, path),
            postcode=pc.postcode,
            lon=pc.lon,
            lat=pc.lat,
            x=pc.x,
            y=pc.y,
            crs=pc_crs,
            attribution=pc.attribution,
            table_format=_table_format(pc),
        )
    # Sites with postcode = ... and no [postcodes] table resolve through the ONS Postcode
    # Directory package (geo.build.postcodes).

    footprints = None
    if (fp := cfg.footprints) is not None:
        fp_path = _resolve(fp.path, path)
        if fp.code is None and fp_path.suffix.lower() not in GEO_SUFFIXES:
            raise ConfigError("missing required key 'footprints.code'", path=path)
        footprints = FootprintsSource(
            path=fp_path,
            name=fp.name,
            code=fp.code,
            layer=fp.layer,
            label=fp.label,
            attribution=fp.attribution,
            table_format=_table_format(fp),
        )

    network = NetworkConfig()
    if (net := cfg.network) is not None:
        speeds = dict(DEFAULT_SPEEDS_KMH)
        if net.speeds is not None:
            speeds |= {k: float(v) for k, v in net.speeds.model_dump().items() if v is not None}
        source = net.source
        if source not in ("crowfly", "osm-online"):
            source = str(_resolve(source, path))
        given = data.get("network", {})
        skip = ("source", "detour", "speeds", "transit")
        options = {k: v for k, v in given.items() if k not in skip}
        transit = given.get("transit")
        network = NetworkConfig(
            source=source,
            detour=float(net.detour),
            speeds_kmh=speeds,
            options=options,
            attribution=net.attribution,
            transit=None if transit is None else parse_transit(transit, file=path),
        )

    labels = None
    if (lab := cfg.labels) is not None:
        lab_path = _resolve(lab.path, path)
        geo_file = lab_path.suffix.lower() in GEO_SUFFIXES
        if not (geo_file or (lab.lon and lab.lat) or (lab.x and lab.y)):
            raise ConfigError(
                "'labels' needs coordinates: lon/lat, x/y (with crs), or a geo file", path=path
            )
        lab_crs = lab.crs or DEFAULT_CRS
        _check_crs(lab_crs, "labels.crs", path, projected=False)
        labels = LabelsSource(
            path=lab_path,
            name=lab.name,
            kind=lab.kind,
            lon=lab.lon,
            lat=lab.lat,
            x=lab.x,
            y=lab.y,
            crs=lab_crs,
            layer=lab.layer,
            attribution=lab.attribution,
            table_format=_table_format(lab),
        )

    return PlaceConfig(
        name=cfg.name,
        path=path,
        crs=crs,
        areas=areas,
        indicators=tuple(indicators),
        sites=tuple(sites),
        postcodes=postcodes,
        footprints=footprints,
        network=network,
        labels=labels,
        synthetic=cfg.synthetic,
        allow_distortion=cfg.allow_distortion,
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
                raise ConfigError(
                    f"indicator {c.key!r}: {role} = {ref!r} is not an indicator key "
                    f"(known: {', '.join(sorted(keys))})",
                    path=path,
                )
            if ref == c.key:
                raise ConfigError(f"indicator {c.key!r}: {role} refers to itself", path=path)


def load_config(path: str | Path) -> PlaceConfig:
    """Read and parse a place configuration file."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ConfigError("config file not found", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8 text", path=path) from None
    return parse_config(text, path=path)

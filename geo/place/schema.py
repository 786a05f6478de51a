"""The declared schema of a place config (TOML), as pydantic v2 models.

:func:`validate_config_data` checks the parsed TOML against :class:`PlaceSchema` and turns the
first problem into one :class:`~geo.errors.ConfigError` line naming the file and the key:

* unknown tables and keys are errors with a "did you mean" suggestion (``[[indicator]]`` ->
  ``[[indicators]]``, ``nmae`` -> ``name``);
* every number is finite (TOML's ``nan`` and ``inf`` are refused) and in range: speeds in
  (0, 300] km/h, ``detour`` in [1, 10], ``per`` in (0, 1e9], minutes in (0, 1440], buffers in
  [0, 100 km];
* strings where text is expected, ``true``/``false`` where a switch is expected (no coercion).

CRS strings are checked beyond their type in :mod:`geo.place.config` (they need pyproj).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from geo.errors import ConfigError

__all__ = [
    "DELIMITERS",
    "PlaceSchema",
    "validate_config_data",
]

Text = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, pattern=r"\S")]
Number = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# Upper bounds far beyond any real setting: a huge value (1e308) is a typo, never a plan.
Speed = Annotated[float, Field(gt=0, le=300, allow_inf_nan=False)]  # km/h
Minutes = Annotated[float, Field(gt=0, le=1440, allow_inf_nan=False)]  # a day
Per = Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)]  # "per 100,000" and beyond
Metres = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]  # 100 km
DELIMITERS = (",", ";", "\t", "|")
_DATE = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")
_CLOCK = re.compile(r"^([01]?\d|2[0-9]|3[0-5]):[0-5]\d(:[0-5]\d)?$")


class _Table(BaseModel):
    """A TOML table: unknown keys are errors, nothing is coerced, numbers are finite."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class _TableReading(_Table):
    """How a delimited text table is read (see :func:`geo.place.readers.read_table`)."""

    delimiter: Literal[",", ";", "\t", "|", "tab"] | None = None
    decimal: Literal[".", ","] | None = None
    header_row: Annotated[int, Field(ge=1, le=1000)] | None = None


class ColumnSchema(_Table):
    """One ``[[indicators.columns]]`` entry."""

    key: Text
    label: Text | None = None
    kind: Literal["count", "mean", "rate"] = "count"
    column: Text | None = None
    unit: str = ""
    weight: Text | None = None
    numerator: Text | None = None
    denominator: Text | None = None
    per: Per = 100.0
    higher_is: Literal["worse", "better"] | None = None
    england: Number | None = None
    sensitive: bool = False
    source: str | None = None
    attribution: str | None = None
    vintage: str | None = None
    national_decile: bool = False
    description: str = ""
    # A source with a geography: this column is a percentage of ``from_percent`` (a count of
    # the same source); the base is ``from_percent * 100 / percentage``.
    from_percent: Text | None = None


class IndicatorsSchema(_TableReading):
    """One ``[[indicators]]`` table."""

    path: Text
    code: Text
    sheet: Text | None = None
    attribution: str = ""
    source: str = ""
    vintage: str = ""
    columns: Annotated[list[ColumnSchema], Field(min_length=1)]
    # Published for another geography (see docs/profiles.md): a name such as "ward" with a
    # lookup from the place's areas, or a polygon file with its code column; counts are
    # apportioned by ``apportion`` (an indicator key, or "area").
    geography: Text | None = None
    geography_code: Text | None = None
    lookup: Text | None = None
    lookup_area: Text | None = None
    lookup_code: Text | None = None
    apportion: Text | None = None


class AreasSchema(_Table):
    """The ``[areas]`` table."""

    path: Text
    code: Text
    name: Text | None = None
    layer: Text | None = None
    attribution: str = ""
    source: str = ""


class SitesSchema(_TableReading):
    """One ``[[sites]]`` table."""

    path: Text
    kind: Text
    id: Text | None = None
    name: Text | None = None
    lon: Text | None = None
    lat: Text | None = None
    x: Text | None = None
    y: Text | None = None
    crs: Text | None = None
    postcode: Text | None = None
    details: dict[str, Text] = {}
    layer: Text | None = None
    attribution: str = ""
    source: str = ""
    dedupe: bool = False
    opened: Text | None = None
    predecessor: Text | None = None

    @field_validator("details", mode="before")
    @classmethod
    def _details_list(cls, value: Any) -> Any:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return {v: v for v in value}
        return value


class PostcodesSchema(_TableReading):
    """The ``[postcodes]`` table."""

    path: Text
    postcode: Text = "postcode"
    lon: Text | None = None
    lat: Text | None = None
    x: Text | None = None
    y: Text | None = None
    crs: Text | None = None
    attribution: str = ""


class FootprintsSchema(_TableReading):
    """The ``[footprints]`` table."""

    path: Text
    name: Text
    code: Text | None = None
    layer: Text | None = None
    label: Text = "Footprint"
    attribution: str = ""


class LabelsSchema(_TableReading):
    """The optional ``[labels]`` table: town and suburb names drawn on every map.

    A CSV (``lon``/``lat`` degrees, or ``x``/``y`` with ``crs``) or a geo file of points,
    with the name in column ``name``; ``kind`` optionally names a column such as ``town`` or
    ``suburb``.
    """

    path: Text
    name: Text = "name"
    kind: Text | None = None
    lon: Text | None = None
    lat: Text | None = None
    x: Text | None = None
    y: Text | None = None
    crs: Text | None = None
    layer: Text | None = None
    attribution: str = ""


class SpeedsSchema(_Table):
    """``[network] speeds``, km/h by mode."""

    walk: Speed | None = None
    cycle: Speed | None = None
    drive: Speed | None = None


class TransitSchema(_Table):
    """``[network.transit]``: public transport from GTFS feeds."""

    gtfs: Annotated[list[Text], Field(min_length=1)]
    date: Text | None = None
    window: Text | Annotated[list[Text], Field(min_length=2, max_length=2)] | None = None
    max_walk_m: NonNegative | None = None
    board_slack_s: NonNegative | None = None
    attribution: Text | None = None
    hub_kind: Text | None = None  # site kinds of the per-area transit indicators
    school_kind: Text | None = None

    @field_validator("gtfs", mode="before")
    @classmethod
    def _one_feed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("date", mode="before")
    @classmethod
    def _toml_date(cls, value: Any) -> Any:
        # An unquoted TOML date (date = 2026-03-10) arrives as a datetime.date.
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        return value

    @field_validator("date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None and not _DATE.match(value):
            raise ValueError(f"{value!r} must be a date YYYY-MM-DD")
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | list[str] | None) -> str | list[str] | None:
        if value is None:
            return value
        parts = value.split("-") if isinstance(value, str) else value
        parts = [p.strip() for p in parts]
        if len(parts) != 2 or not all(_CLOCK.match(p) for p in parts):
            raise ValueError(f'{value!r} must be a time window like "07:00-10:00"')
        if _seconds(parts[0]) >= _seconds(parts[1]):
            raise ValueError(f"{value!r} must end after it starts")
        return value


def _seconds(clock: str) -> int:
    h, m, *s = (int(p) for p in clock.split(":"))
    return h * 3600 + m * 60 + (s[0] if s else 0)


class NetworkSchema(_Table):
    """The ``[network]`` table."""

    source: Text = "crowfly"
    detour: Annotated[float, Field(ge=1, le=10, allow_inf_nan=False)] = 1.3
    speeds: SpeedsSchema | None = None
    attribution: str = ""
    simplify: bool = True
    urban_factor: Positive | None = None
    weight_points: Literal["postcodes"] | None = None
    access: Text | list[Text] | None = None
    minutes: Minutes | None = None
    buffer_m: Metres | None = None
    transit: TransitSchema | None = None


class PlaceSchema(_Table):
    """A whole place config."""

    name: Text
    crs: Text = "EPSG:27700"
    allow_distortion: bool = False
    synthetic: bool = False
    areas: AreasSchema
    indicators: list[IndicatorsSchema] = []
    sites: list[SitesSchema] = []
    postcodes: PostcodesSchema | None = None
    footprints: FootprintsSchema | None = None
    network: NetworkSchema | None = None
    labels: LabelsSchema | None = None

    @model_validator(mode="before")
    @classmethod
    def _single_tables(cls, data: Any) -> Any:
        """``[indicators]`` / ``[sites]`` written once as a table count as a list of one."""
        if isinstance(data, dict):
            data = dict(data)
            for key in ("indicators", "sites"):
                if isinstance(data.get(key), dict):
                    data[key] = [data[key]]
        return data


# ----------------------------------------------------------------------------- errors


def _where(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class of the table at ``loc`` (field names only; list indexes skipped)."""
    model: Any = PlaceSchema
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _table_type(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _table_type(annotation: Any) -> Any:
    """The BaseModel inside ``X | None`` or ``list[X]`` annotations, else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _table_type(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def _is_table(model: type[BaseModel] | None, key: str) -> bool:
    if model is None or key not in model.model_fields:
        return False
    found = _table_type(model.model_fields[key].annotation)
    return isinstance(found, type) and issubclass(found, BaseModel)


def _shown(loc: tuple[str | int, ...], value: Any) -> str:
    """``[areas]``, ``[[indicators]]`` or ``'areas.nmae'`` for an unknown or missing key."""
    key = str(loc[-1])
    parent = _where(tuple(p for p in loc[:-1] if not isinstance(p, int)))
    full = f"{parent}.{key}" if parent else key
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return f"[[{full}]]"
    if isinstance(value, dict):
        return f"[{full}]"
    return f"'{_where(loc)}'"


def _suggest(key: str, known: list[str], loc: tuple[str | int, ...]) -> str:
    model = _model_at(loc[:-1])
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.rstrip("s") == key.rstrip("s")]
    if not close:
        return f" (known: {', '.join(known)})"
    best = close[0]
    parent = _where(tuple(p for p in loc[:-1] if not isinstance(p, int)))
    full = f"{parent}.{best}" if parent else best
    if best in ("indicators", "sites") and model is PlaceSchema:
        return f"; did you mean [[{full}]]?"
    if _is_table(model, best):
        return f"; did you mean [{full}]?"
    return f"; did you mean '{best}'?"


def _message(error: ErrorDetails) -> str:
    loc = tuple(error["loc"])
    # Drop pydantic's union-branch labels (e.g. 'str', 'list[str]') from the location.
    loc = tuple(p for p in loc if isinstance(p, int) or not re.search(r"[\[\]-]", str(p)))
    loc = tuple(p for p in loc if p not in ("str", "float", "int", "bool", "list"))
    kind = error["type"]
    value = error.get("input")
    where = _where(loc)
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = list(model.model_fields) if model is not None else []
        what = "table" if isinstance(value, dict | list) and _shown(loc, value)[0] == "[" else "key"
        return f"unknown {what} {_shown(loc, value)}{_suggest(str(loc[-1]), known, loc)}"
    if kind == "missing":
        model = _model_at(loc[:-1])
        if model is not None and _is_table(model, str(loc[-1])):
            field = model.model_fields[str(loc[-1])]
            if getattr(field.annotation, "__origin__", None) is list or "list[" in str(
                field.annotation
            ):
                return (
                    f"'{_where(loc[:-1])}' lists no [[{_where(loc[:-1]).split('[')[0]}.{loc[-1]}]]"
                )
            return f"missing required table [{_where(tuple(p for p in loc if not isinstance(p, int)))}]"
        return f"missing required key '{where}'"
    if kind in ("string_type", "string_too_short", "string_pattern_mismatch"):
        return f"'{where}' must be a non-empty string, got {value!r}"
    if kind in ("float_type", "int_type", "float_parsing", "int_parsing", "int_from_float"):
        whole = " whole" if kind.startswith("int") else ""
        return f"'{where}' must be a{whole} number, got {value!r}"
    if kind == "finite_number":
        return f"'{where}' = {value!r} must be a finite number"
    if kind == "greater_than":
        return f"'{where}' = {value!r} must be greater than {ctx.get('gt'):g}"
    if kind == "greater_than_equal":
        return f"'{where}' = {value!r} must be at least {ctx.get('ge'):g}"
    if kind == "less_than_equal":
        return f"'{where}' = {value!r} must be at most {ctx.get('le'):g}"
    if kind == "bool_type":
        return f"'{where}' must be true or false, got {value!r}"
    if kind == "literal_error":
        if loc and loc[-1] == "kind":
            return f"'{where}' = {value!r} is not a known indicator kind (use count, mean, rate)"
        return f"'{where}' = {value!r} must be one of {ctx.get('expected')}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"[{where}] must be a table, got {value!r}"
    if kind == "list_type":
        return f"'{where}' must be a list (an array of tables or values), got {value!r}"
    if kind == "too_short":
        if loc and loc[-1] == "columns":
            return f"'{_where(loc[:-1])}' lists no [[indicators.columns]]"
        return f"'{where}' must not be empty"
    if kind == "too_long":
        return f"'{where}' has too many items: {value!r}"
    if kind == "value_error":
        return f"'{where}' = {error['msg'].removeprefix('Value error, ')}"
    return f"'{where}': {error['msg']}"


def _priority(error: ErrorDetails) -> int:
    """Report an unknown key before the problems it causes (a misspelt key is also missing)."""
    return 0 if error["type"] == "extra_forbidden" else 1


def validate_config_data(data: dict[str, Any], *, path: object) -> PlaceSchema:
    """Check parsed TOML against :class:`PlaceSchema`; the first problem is one error line.

    Raises
    ------
    ConfigError
        Naming ``path`` and the key or table (with a suggestion for a misspelt name).
    """
    try:
        return PlaceSchema.model_validate(data)
    except ValidationError as exc:
        errors = sorted(exc.errors(include_url=False), key=_priority)
        raise ConfigError(_message(errors[0]), path=path) from None

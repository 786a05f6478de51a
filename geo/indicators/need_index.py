"""Composite need index: a user-weighted blend of standardised, direction-aware indicators.

Each chosen indicator's area values are standardised (``z``: z-score with the population
standard deviation; ``rank``: percentile rank in (0, 1]) and turned so that higher always
means more need (indicators with ``higher_is = "better"`` are reversed; those without a
direction count higher values as more need, e.g. child population). The index is the
weighted mean of the standardised values; an area missing any component has no index value.

The result is an ordinary :class:`~geo.place.config.Indicator` (kind ``mean``, weighted by child
population where the place has it) plus a column of area values, so it maps, profiles and
exports like any other. Its definition is saved in the bundle's ``need_index`` table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.place._edit import edit_place
from geo.place.config import Indicator
from geo.place.model import Place

METHODS = ("z", "rank")
TABLE = "need_index"
DEFAULT_KEY = "need_index"
RESERVED = frozenset({"name", "footprint", "geometry", "code", "areas"})

# The children's-need preset: (theme, weight, candidate keys in order of preference).
CHILDREN_PRESET: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("income deprivation affecting children", 0.4,
     ("idaci_score", "idaci_rate", "idaci", "income_score", "income_rate")),
    ("child population", 0.2,
     ("children_0_17", "children_0_15", "children_0_4", "pop_children_0_15_2015")),
    ("education", 0.2,
     ("education_score", "cyp_education_score", "school_readiness")),
    ("health", 0.2,
     ("health_score", "ae_rate")),
)  # fmt: skip


@dataclass(frozen=True)
class NeedIndexSpec:
    """What a need index is made of.

    Parameters
    ----------
    weights
        Indicator key -> weight (positive). Weights are normalised to sum to 1.
    method
        ``"z"`` (z-scores) or ``"rank"`` (percentile ranks).
    key, label
        The new indicator's key and label.
    """

    weights: dict[str, float]
    method: str = "z"
    key: str = DEFAULT_KEY
    label: str = "Children's need index"
    preset: str = ""
    themes: dict[str, str] = field(default_factory=dict)

    def normalised(self) -> dict[str, float]:
        total = sum(self.weights.values())
        return {k: w / total for k, w in self.weights.items()}


def children_preset(catalogue: dict[str, Indicator], *, method: str = "z") -> NeedIndexSpec:
    """The shipped children's-need preset, using the first key of each theme the place has.

    Themes a place lacks are left out and the remaining weights renormalised; at least two
    themes must be present.
    """
    weights: dict[str, float] = {}
    themes: dict[str, str] = {}
    for theme, weight, keys in CHILDREN_PRESET:
        found = next((k for k in keys if k in catalogue), None)
        if found is not None:
            weights[found] = weight
            themes[found] = theme
    if len(weights) < 2:
        wanted = "; ".join(f"{t}: {'/'.join(keys)}" for t, _, keys in CHILDREN_PRESET)
        raise InputError(
            f"the children's preset needs indicators for at least two themes ({wanted}); "
            f"this place has {len(weights)}. Give --weights KEY=W,... instead"
        )
    return NeedIndexSpec(weights=weights, method=method, preset="children", themes=themes)


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``"key=w,key=w"`` into a dict, with a clear error for bad parts."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip()
        try:
            weight = float(value) if sep else float("nan")
        except ValueError:
            weight = float("nan")
        if not key or not np.isfinite(weight):
            raise InputError(f"bad weight {part!r}: write KEY=NUMBER, e.g. idaci_score=2")
        out[key] = weight
    if not out:
        raise InputError("no weights given: write KEY=NUMBER,KEY=NUMBER")
    return out


def check_spec(spec: NeedIndexSpec, catalogue: dict[str, Indicator]) -> None:
    """Raise :class:`InputError` for unknown keys, bad weights, method or key."""
    if spec.method not in METHODS:
        raise InputError(f"unknown standardisation method {spec.method!r}; use z or rank")
    key = spec.key
    if not key or not key.replace("_", "").isalnum() or key[0].isdigit() or key in RESERVED:
        raise InputError(
            f"need index key {key!r} must be letters, digits and '_' (not a reserved name)"
        )
    if not spec.weights:
        raise InputError("a need index needs at least one indicator with a weight")
    for k, w in spec.weights.items():
        if k not in catalogue:
            raise InputError(
                f"unknown indicator {k!r} in the need index; known: {', '.join(catalogue)}"
            )
        if k == key:
            raise InputError(f"the need index {key!r} cannot include itself")
        if not np.isfinite(w) or w < 0:
            raise InputError(f"weight for {k!r} must be zero or positive, got {w}")
    if sum(spec.weights.values()) <= 0:
        raise InputError("the need index weights add up to 0; give at least one positive weight")
    existing = catalogue.get(key)
    if existing is not None and not existing.source.startswith("hubplan need index"):
        raise InputError(
            f"indicator key {key!r} already exists and is not a need index; choose another key"
        )


def standardise(values: pd.Series, *, method: str = "z", higher_is: str | None = None) -> pd.Series:
    """Standardise ``values`` so that higher means more need.

    ``z``: ``(x - mean) / std`` (population std; 0 when all values are equal). ``rank``:
    average rank divided by the number of values, in (0, 1]. Missing values stay missing.
    ``higher_is = "better"`` reverses the direction.
    """
    x = pd.to_numeric(values, errors="coerce").astype(float)
    if higher_is == "better":
        x = -x
    if method == "z":
        sd = x.std(ddof=0)
        out = (x - x.mean()) / sd if sd and np.isfinite(sd) and sd > 0 else x * 0.0
    elif method == "rank":
        out = x.rank(method="average") / x.notna().sum()
    else:
        raise InputError(f"unknown standardisation method {method!r}; use z or rank")
    return out


def compute_need_index(place: Place, spec: NeedIndexSpec) -> tuple[Indicator, pd.Series]:
    """Compute the index for every area: ``(indicator, values by area code)``."""
    check_spec(spec, place.catalogue)
    weights = {k: w for k, w in spec.normalised().items() if w > 0}
    frame = pd.DataFrame(
        {
            k: standardise(
                place.areas[k], method=spec.method, higher_is=place.catalogue[k].higher_is
            )
            for k in weights
        },
        index=place.areas.index,
    )
    w = pd.Series(weights)
    values = (frame[w.index] * w).sum(axis=1, min_count=len(w))
    values[frame.isna().any(axis=1)] = np.nan
    weight_key = place.people_key if place.people_key != spec.key else None
    parts = ", ".join(
        f"{place.catalogue[k].label} ({k}) {w:.0%}"
        + (" reversed (higher is better)" if place.catalogue[k].higher_is == "better" else "")
        for k, w in weights.items()
    )
    method = "z-scores" if spec.method == "z" else "percentile ranks (0-1)"
    indicator = Indicator(
        key=spec.key,
        label=spec.label,
        kind="mean",
        column=spec.key,
        unit="index (weighted z-score)"
        if spec.method == "z"
        else "index (weighted percentile rank)",
        weight=weight_key,
        higher_is="worse",
        source=f"hubplan need index ({spec.preset or 'custom'} weights)",
        attribution="",
        vintage="computed",
        description=f"Weighted mean of {method} across the place's areas: {parts}. "
        f"Higher means more need. Footprint values are the mean weighted by {weight_key or 'area'}.",
    )
    return indicator, values.rename(spec.key)


def apply_need_index(place: Place, spec: NeedIndexSpec) -> Place:
    """Add (or replace) the index on ``place`` in place: area column, catalogue, definition table.

    ``place`` must be a copy you own (see :func:`geo.place._edit.copy_place`).
    """
    indicator, values = compute_need_index(place, spec)
    place.areas[spec.key] = values.reindex(place.areas.index).to_numpy()
    place.catalogue[spec.key] = indicator
    rows = [
        {
            "key": spec.key,
            "label": spec.label,
            "method": spec.method,
            "preset": spec.preset,
            "indicator": k,
            "weight": float(w),
            "theme": spec.themes.get(k, ""),
        }
        for k, w in spec.weights.items()
    ]
    old = place.tables.get(TABLE)
    new = pd.DataFrame(rows)
    if old is not None and len(old):
        old = pd.DataFrame(old)
        new = pd.concat([old[old["key"].astype(str) != spec.key], new], ignore_index=True)
    place.tables[TABLE] = new
    return place


def saved_specs(place: Place) -> dict[str, NeedIndexSpec]:
    """The need indices saved in the bundle, by key."""
    table = place.tables.get(TABLE)
    if table is None or not len(table):
        return {}
    out = {}
    for key, rows in pd.DataFrame(table).groupby("key", sort=False):
        first = rows.iloc[0]
        out[str(key)] = NeedIndexSpec(
            weights={str(r.indicator): float(r.weight) for r in rows.itertuples()},
            method=str(first["method"]),
            key=str(key),
            label=str(first["label"]),
            preset="" if pd.isna(first.get("preset")) else str(first.get("preset") or ""),
            themes={
                str(r.indicator): str(r.theme)
                for r in rows.itertuples()
                if isinstance(r.theme, str) and r.theme
            },
        )
    return out


def save_need_index(path: str | Path, spec: NeedIndexSpec) -> Place:
    """Compute the index on the bundle at ``path`` and save it there atomically."""
    return edit_place(path, lambda p: apply_need_index(p, spec), what=f"need index {spec.key}")

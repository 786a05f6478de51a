"""Siting input from files: an external travel-time matrix, its demand table, hub capacities.

:func:`read_matrix` turns ``origin,destination,minutes`` and ``id,<weight>`` CSVs into a
:class:`~geo.siting.problem.SitingProblem`, checking every row strictly (one message naming the
file, the row and the value); :func:`read_capacities` reads ``--capacity`` (one number, or a
CSV of ``id,capacity``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.place.readers import read_table
from geo.siting.problem import SitingProblem


def require_columns(df: pd.DataFrame, cols: tuple[str, ...], path: Path) -> None:
    """Raise naming ``path`` and the missing columns unless ``df`` has every one of ``cols``."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; columns are: {', '.join(map(str, df.columns))}",
            path=path,
        )


def _matrix_minutes(table: pd.DataFrame, path: Path) -> pd.Series:
    raw = table["minutes"].astype(str).str.strip()
    minutes = pd.to_numeric(
        raw.str.lower().replace({"inf": "inf", "infinity": "inf"}), errors="coerce"
    )
    bad = minutes.isna()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        shown = (
            "is blank or NaN"
            if pd.isna(table["minutes"].iloc[k]) or raw.iloc[k].lower() == "nan"
            else f"{raw.iloc[k]!r} is not a number"
        )
        raise InputError(
            f"row {k + 2}: minutes {shown} ({int(bad.sum())} such row(s); "
            "write 'inf' for unreachable pairs)",
            path=path,
        )
    neg = minutes < 0
    if neg.any():
        k = int(np.flatnonzero(neg)[0])
        raise InputError(
            f"row {k + 2}: negative minutes ({minutes.iloc[k]:g}) from {table['origin'].iloc[k]!r} "
            f"to {table['destination'].iloc[k]!r}",
            path=path,
        )
    return minutes.astype(float)


def read_cost_table(costs_path: str | Path) -> pd.DataFrame:
    """The wide ``origin x destination`` minutes table of a long ``origin,destination,minutes`` CSV.

    Every pair must be given once (``inf`` for unreachable); rows and columns keep the order of
    first appearance.
    """
    path = Path(costs_path)
    table = read_table(path, dtype_str=("origin", "destination", "minutes"))
    require_columns(table, ("origin", "destination", "minutes"), path)
    if table.empty:
        raise InputError("has no rows", path=path)
    for col in ("origin", "destination"):
        blank = table[col].isna() | (table[col].astype(str).str.strip() == "")
        if blank.any():
            raise InputError(f"row {int(np.flatnonzero(blank)[0]) + 2}: blank {col}", path=path)
        table[col] = table[col].astype(str).str.strip()
    table["minutes"] = _matrix_minutes(table, path)
    dup = table.duplicated(["origin", "destination"])
    if dup.any():
        k = int(np.flatnonzero(dup)[0])
        raise InputError(
            f"row {k + 2}: pair {table['origin'].iloc[k]!r} -> {table['destination'].iloc[k]!r} "
            "appears more than once",
            path=path,
        )
    origins = list(dict.fromkeys(table["origin"]))
    dests = list(dict.fromkeys(table["destination"]))
    wide = table.pivot(index="origin", columns="destination", values="minutes").reindex(
        index=origins, columns=dests
    )
    if wide.isna().any().any():
        i, j = np.argwhere(wide.isna().to_numpy())[0]
        n_missing = int(wide.isna().sum().sum())
        raise InputError(
            f"{n_missing} origin-destination pair(s) missing, e.g. {origins[i]!r} -> {dests[j]!r} "
            "(give every pair; 'inf' for unreachable)",
            path=path,
        )
    return wide


def read_demand_table(demand_path: str | Path, *, weight: str = "weight") -> pd.Series:
    """Demand weights by ``id`` from a CSV with ``id`` and the ``weight`` column (non-negative)."""
    path = Path(demand_path)
    demand = read_table(path, dtype_str=("id",))
    require_columns(demand, ("id",), path)
    if weight not in demand.columns:
        others = [c for c in demand.columns if c != "id"]
        raise InputError(
            f"unknown weight key {weight!r}: no such column; columns are: {', '.join(others)}",
            path=path,
        )
    ids = demand["id"].astype(str).str.strip()
    if ids.duplicated().any():
        raise InputError(f"id {ids[ids.duplicated()].iloc[0]!r} appears more than once", path=path)
    values = pd.to_numeric(demand[weight], errors="coerce")
    bad = values.isna() | (values < 0) | np.isinf(values)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"row {k + 2}: weight {demand[weight].iloc[k]!r} for id {ids.iloc[k]!r} "
            "is not a non-negative number",
            path=path,
        )
    return pd.Series(values.to_numpy(dtype=float), index=ids.to_numpy(), name=weight)


def read_matrix(
    costs_path: str | Path, demand_path: str | Path, *, weight: str = "weight"
) -> SitingProblem:
    """A problem from ``origin,destination,minutes`` and ``id,<weight>`` CSVs (strict checks).

    Parameters
    ----------
    costs_path
        Long travel-time table; every origin-destination pair once, ``inf`` when unreachable.
    demand_path
        Demand rows: ``id`` (a matrix origin) and the ``weight`` column.
    weight
        The demand column to weight by (its name becomes the problem's weight label).

    Raises
    ------
    InputError
        One line naming the file, the row and the value at fault.
    """
    wide = read_cost_table(costs_path)
    weights = read_demand_table(demand_path, weight=weight)
    missing = [d for d in weights.index if d not in wide.index]
    if missing:
        raise InputError(
            f"{len(missing)} demand id(s) not among the matrix origins, e.g. "
            f"{', '.join(map(repr, missing[:3]))}",
            path=demand_path,
        )
    extra = len(wide) - len(weights)
    wide = wide.loc[list(weights.index)]
    problem = SitingProblem.from_cost_matrix(wide, weights.to_numpy(), weight_label=weight)
    if extra:
        problem.notes.append(f"{extra} matrix origin(s) have no demand row and are ignored")
    return problem


def read_capacities(spec: str | None, ids: list[str]) -> dict[str, float] | float | None:
    """Hub capacities from ``--capacity``: one positive number for every hub, or a CSV file
    with ``id`` and ``capacity`` columns whose ids are all among ``ids``; ``None`` when unset."""
    if spec is None:
        return None
    try:
        value = float(spec)
    except ValueError:
        value = None
    if value is not None:
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"--capacity must be a positive number, got {spec!r}")
        return value
    path = Path(spec)
    table = read_table(path, dtype_str=("id",))
    require_columns(table, ("id", "capacity"), path)
    caps = pd.to_numeric(table["capacity"], errors="coerce")
    if caps.isna().any() or (caps <= 0).any():
        raise InputError("capacity must be a positive number on every row", path=path)
    known = set(ids)
    unknown = [i for i in table["id"].astype(str) if i not in known]
    if unknown:
        raise InputError(f"capacity for {unknown[0]!r}, which is not a candidate", path=path)
    return dict(zip(table["id"].astype(str), caps.astype(float), strict=True))

"""Saved siting scenarios: named plans stored in SQLite (default) or PostgreSQL.

A scenario holds the hubs, the parameters (objective, mode, minutes, weight, ...) and the
results (:meth:`geo.siting.problem.SitingResult.to_dict` plus hub points and per-area minutes, for
maps of the differences). Scenarios are keyed by ``(place, name)``.

Where they live:

* **SQLite** (default): ``<bundle>.scenarios.sqlite`` beside the place bundle, WAL mode,
  every write in its own ``BEGIN IMMEDIATE`` transaction with a busy timeout, so several
  processes can save at once without losing anything.
* **PostgreSQL**: when a database URL is given (argument, or ``HUBPLAN_DATABASE_URL``), via
  psycopg 3. Each save is one transaction; the table is created under an advisory lock.

Saving a name that exists raises :class:`~geo.errors.InputError` unless ``overwrite=True``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.place._db import ENV_URL, SqlStore
from geo.place.postgis import is_database_url, parse_url

SUFFIX = ".scenarios.sqlite"
MAX_NAME = 120

SCHEMA = """
CREATE TABLE IF NOT EXISTS hubplan_scenarios (
    place TEXT NOT NULL,
    name TEXT NOT NULL,
    objective TEXT NOT NULL,
    mode TEXT,
    minutes DOUBLE PRECISION,
    hubs TEXT NOT NULL,
    params TEXT NOT NULL,
    results TEXT NOT NULL,
    created_at TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (place, name)
)
"""
COLUMNS = (
    "place",
    "name",
    "objective",
    "mode",
    "minutes",
    "hubs",
    "params",
    "results",
    "created_at",
    "saved_at",
)


@dataclass
class Scenario:
    """A named plan: what was asked (``params``) and what came out (``results``)."""

    name: str
    objective: str
    hubs: list[str]
    mode: str | None = None
    minutes: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    saved_at: str = ""

    @property
    def covered_share(self) -> float | None:
        return self.results.get("covered_share")


def from_result(
    name: str,
    result: Any,
    *,
    mode: str | None,
    params: dict[str, Any] | None = None,
    candidates: Any = None,
) -> Scenario:
    """A scenario from a :class:`geo.siting.problem.SitingResult`.

    ``candidates`` (a GeoDataFrame indexed by candidate id) adds each hub's lon/lat so the
    scenario can be mapped without the candidate set it came from.
    """
    results = result.to_dict()
    assignment = result.assignment
    results["area_minutes"] = {
        str(d): (None if pd.isna(m) else round(float(m), 3))
        for d, m in zip(assignment["demand"], assignment["minutes"], strict=True)
    }
    if result.minutes is not None:
        results["area_covered"] = {
            str(d): bool(c)
            for d, c in zip(assignment["demand"], assignment["covered"], strict=True)
        }
    results["area_hub"] = {
        str(d): (None if h is None or pd.isna(h) else str(h))
        for d, h in zip(assignment["demand"], assignment["hub"], strict=True)
    }
    if candidates is not None and len(result.selected):
        pts = candidates.loc[list(result.selected)].geometry.to_crs(4326)
        names = candidates.loc[list(result.selected)].get("name")
        results["hub_points"] = [
            {
                "hub": str(h),
                "name": str(names[h]) if names is not None else str(h),
                "lon": round(float(p.x), 6),
                "lat": round(float(p.y), 6),
            }
            for h, p in pts.items()
        ]
    return Scenario(
        name=check_name(name),
        objective=result.objective,
        hubs=list(result.selected),
        mode=mode,
        minutes=result.minutes,
        params=dict(params or {}),
        results=results,
    )


def check_name(name: str) -> str:
    """A scenario name: 1-120 printable characters, trimmed."""
    text = str(name or "").strip()
    if not text:
        raise InputError("a scenario needs a name")
    if len(text) > MAX_NAME:
        raise InputError(f"scenario name is longer than {MAX_NAME} characters")
    if not text.isprintable():
        raise InputError(f"scenario name {text!r} has control characters")
    return text


def sqlite_path_for(bundle: str | Path) -> Path:
    """``<bundle stem>.scenarios.sqlite`` beside the bundle."""
    bundle = Path(bundle)
    return bundle.with_name(bundle.stem + SUFFIX)


class ScenarioStore(SqlStore):
    """Scenario storage in SQLite (``path``) or PostgreSQL (``url``).

    Parameters
    ----------
    path
        SQLite file (created on first use).
    url
        PostgreSQL URL (``postgresql://user@host:port/db``); takes precedence over ``path``.
    """

    WHAT = "scenario"
    SCHEMA = SCHEMA
    TABLE = "hubplan_scenarios"

    @classmethod
    def for_bundle(cls, bundle: str | Path, *, url: str | None = None) -> ScenarioStore:
        """The store for a place bundle: ``url`` or ``$HUBPLAN_DATABASE_URL`` if set, else
        the SQLite file beside the bundle (for a PostGIS place, its own database)."""
        url = url or os.environ.get(ENV_URL, "").strip() or None
        if not url and is_database_url(bundle):
            url = parse_url(str(bundle)).url
        return cls(url=url) if url else cls(path=sqlite_path_for(bundle))

    def public_label(self) -> str:
        """Where scenarios are kept, for messages to users: no path, host or password."""
        if self.url:
            from urllib.parse import urlsplit

            db = urlsplit(self.url).path.strip("/")
            return f"PostgreSQL database {db!r}" if db else "PostgreSQL database"
        return "the scenario file beside the place bundle"

    # ------------------------------------------------------------------ API
    def save(self, place: str, scenario: Scenario, *, overwrite: bool = False) -> Scenario:
        """Save ``scenario`` for ``place``; a clashing name raises unless ``overwrite``."""
        name = check_name(scenario.name)
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        row = (
            place,
            name,
            scenario.objective,
            scenario.mode,
            scenario.minutes,
            json.dumps(list(scenario.hubs)),
            _dumps(scenario.params),
            _dumps(scenario.results),
            now,
            now,
        )
        insert = (
            f"INSERT INTO hubplan_scenarios ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
            "ON CONFLICT (place, name) DO "
        )
        if overwrite:  # one atomic upsert: concurrent overwrites never collide
            insert += (
                "UPDATE SET objective = excluded.objective, mode = excluded.mode, minutes = excluded.minutes, "
                "hubs = excluded.hubs, params = excluded.params, results = excluded.results, "
                "saved_at = excluded.saved_at"
            )
        else:
            insert += "NOTHING"
        with self.transaction() as con:
            cur = con.execute(self.q(insert), row)
            if not overwrite and cur.rowcount == 0:
                raise InputError(
                    f"a scenario called {name!r} already exists for {place}; "
                    "choose another name or overwrite it (--overwrite)"
                )
            created = con.execute(
                self.q("SELECT created_at FROM hubplan_scenarios WHERE place = ? AND name = ?"),
                (place, name),
            ).fetchone()[0]
        return Scenario(
            name,
            scenario.objective,
            list(scenario.hubs),
            scenario.mode,
            scenario.minutes,
            dict(scenario.params),
            dict(scenario.results),
            created,
            now,
        )

    def list_scenarios(self, place: str) -> pd.DataFrame:
        """Saved scenarios for ``place``, newest first: name, objective, mode, minutes, hubs,
        covered_share, saved_at."""
        rows = self.read(
            "SELECT name, objective, mode, minutes, hubs, results, saved_at FROM hubplan_scenarios "
            "WHERE place = ? ORDER BY saved_at DESC, name",
            (place,),
        )
        out = []
        for name, objective, mode, minutes, hubs, results, saved in rows:
            res = json.loads(results)
            out.append(
                {
                    "name": name,
                    "objective": objective,
                    "mode": mode,
                    "minutes": minutes,
                    "hubs": len(json.loads(hubs)),
                    "covered_share": res.get("covered_share"),
                    "mean_minutes": res.get("weighted_mean_minutes"),
                    "saved_at": saved,
                }
            )
        return pd.DataFrame(
            out,
            columns=[
                "name",
                "objective",
                "mode",
                "minutes",
                "hubs",
                "covered_share",
                "mean_minutes",
                "saved_at",
            ],
        )

    def names(self, place: str) -> list[str]:
        return list(self.list_scenarios(place)["name"])

    def load(self, place: str, name: str) -> Scenario:
        """The scenario called ``name``, or an error listing the saved names."""
        rows = self.read(
            f"SELECT {', '.join(COLUMNS)} FROM hubplan_scenarios WHERE place = ? AND name = ?",
            (place, name),
        )
        if not rows:
            saved = self.names(place)
            raise InputError(
                f"no scenario called {name!r} for {place}; saved: {', '.join(map(repr, saved)) or 'none'}"
            )
        r = dict(zip(COLUMNS, rows[0], strict=True))
        return Scenario(
            name=r["name"],
            objective=r["objective"],
            hubs=json.loads(r["hubs"]),
            mode=r["mode"],
            minutes=r["minutes"],
            params=json.loads(r["params"]),
            results=json.loads(r["results"]),
            created_at=r["created_at"],
            saved_at=r["saved_at"],
        )

    def delete(self, place: str, name: str) -> None:
        """Delete a scenario (an error if there is none of that name)."""
        with self.transaction() as con:
            cur = con.execute(
                self.q("DELETE FROM hubplan_scenarios WHERE place = ? AND name = ?"), (place, name)
            )
            gone = cur.rowcount
        if not gone:
            raise InputError(f"no scenario called {name!r} for {place}")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, default=_default)


def _default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in a scenario")


# ---------------------------------------------------------------------- comparing
def compare(a: Scenario, b: Scenario) -> dict[str, Any]:
    """Side-by-side comparison of two scenarios.

    Returns a dict of DataFrames: ``summary`` (metric, a, b, difference), ``equity`` (group,
    covered share a/b and difference), ``bands`` (travel-time band, share a/b), ``hubs``
    (hub, name, in ``a only`` / ``b only`` / ``both``) and ``areas`` (demand points whose
    coverage differs: ``gained`` in b or ``lost`` in b), plus ``notes``.
    """
    ra, rb = a.results, b.results
    metrics: list[tuple[str, Any, Any]] = [
        ("hubs", len(a.hubs), len(b.hubs)),
        ("covered weight", ra.get("covered_weight"), rb.get("covered_weight")),
        ("covered share", ra.get("covered_share"), rb.get("covered_share")),
        (
            "mean minutes (weighted)",
            ra.get("weighted_mean_minutes"),
            rb.get("weighted_mean_minutes"),
        ),
        ("objective value", ra.get("objective_value"), rb.get("objective_value")),
        ("total weight", ra.get("total_weight"), rb.get("total_weight")),
    ]
    summary = pd.DataFrame(
        [
            {"metric": m, "a": x, "b": y, "difference": (y - x) if _both(x, y) else None}
            for m, x, y in metrics
        ]
    )
    settings = pd.DataFrame(
        [
            {"setting": k, "a": a_val, "b": b_val}
            for k, a_val, b_val in [
                ("objective", a.objective, b.objective),
                ("mode", a.mode, b.mode),
                ("minutes", a.minutes, b.minutes),
                ("weight", ra.get("weight"), rb.get("weight")),
                ("method", ra.get("method"), rb.get("method")),
            ]
        ]
    )
    ea = pd.DataFrame(ra.get("equity") or [], columns=["group", "covered_share", "mean_minutes"])
    eb = pd.DataFrame(rb.get("equity") or [], columns=["group", "covered_share", "mean_minutes"])
    ea["group"], eb["group"] = ea["group"].astype(str), eb["group"].astype(str)
    equity = _side_by_side(ea, eb, "group")
    equity["covered_share_difference"] = pd.to_numeric(
        equity["covered_share_b"], errors="coerce"
    ) - pd.to_numeric(equity["covered_share_a"], errors="coerce")
    ba = pd.DataFrame(ra.get("time_bands") or [], columns=["band", "share"])
    bb = pd.DataFrame(rb.get("time_bands") or [], columns=["band", "share"])
    bands = _side_by_side(ba, bb, "band")
    names = {h["hub"]: h.get("name") for h in (ra.get("per_hub") or []) + (rb.get("per_hub") or [])}
    sa, sb = set(a.hubs), set(b.hubs)
    hubs = pd.DataFrame(
        [
            {
                "hub": h,
                "name": names.get(h, h),
                "in": "both" if h in sa and h in sb else ("a only" if h in sa else "b only"),
            }
            for h in sorted(sa | sb)
        ],
        columns=["hub", "name", "in"],
    )
    notes = []
    if a.minutes != b.minutes or a.mode != b.mode:
        notes.append("the scenarios use different modes or minutes: coverage is not like for like")
    if ra.get("weight") != rb.get("weight"):
        notes.append("the scenarios weigh demand differently")
    ca, cb = ra.get("area_covered") or {}, rb.get("area_covered") or {}
    changes = [
        {"demand": k, "change": "gained" if cb.get(k) else "lost"}
        for k in sorted(set(ca) | set(cb))
        if bool(ca.get(k)) != bool(cb.get(k))
    ]
    areas = pd.DataFrame(changes, columns=["demand", "change"])
    return {
        "summary": summary,
        "settings": settings,
        "equity": equity,
        "bands": bands,
        "hubs": hubs,
        "areas": areas,
        "notes": notes,
    }


def _side_by_side(a: pd.DataFrame, b: pd.DataFrame, key: str) -> pd.DataFrame:
    """Outer join on ``key`` keeping a's row order, then b's extra rows."""
    order = list(dict.fromkeys([*a[key], *b[key]]))
    out = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"))
    return out.set_index(key).reindex(order).reset_index()


def _both(x: Any, y: Any) -> bool:
    return isinstance(x, int | float) and isinstance(y, int | float)

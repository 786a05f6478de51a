"""The footprint-design workflow: design K balanced footprints (or take a saved set), compare
them with today's footprints, and save a design into the place bundle.

The Clusters page and ``hubplan cluster`` both run it; like :func:`geo.siting.plan.run_plan`
it returns data only (figures are drawn by :mod:`layers.clusters`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from geo.clusters.footprint_sets import (
    CURRENT,
    Comparison,
    compare_footprint_sets,
    footprint_sets,
    save_footprint_set,
)
from geo.clusters.regionalize import Regionalization, regionalize
from geo.errors import InputError
from geo.place.model import Place

DESIGNED = "designed"


@dataclass(frozen=True)
class FootprintDesign:
    """A footprint set (new or saved) and how it compares with the current footprints.

    Attributes
    ----------
    place
        The place designed for.
    assignment
        Footprint name by area code (every area).
    label
        ``"designed"`` for a new design, else the saved set's name.
    balance
        The indicator key balanced (and compared) on.
    notes
        Sentences to show with the design: how long it took, its balance, islands attached...
    result
        The :class:`~geo.clusters.regionalize.Regionalization` of a new design (``None`` for a
        saved set): totals, method, timing.
    """

    place: Place = field(repr=False)
    assignment: pd.Series
    label: str
    balance: str
    notes: tuple[str, ...] = ()
    result: Regionalization | None = None

    @property
    def designed(self) -> bool:
        """True for a new design, False for a saved set."""
        return self.result is not None

    @cached_property
    def comparison(self) -> Comparison:
        """The current footprints against this set: balance, compactness, changed areas."""
        return compare_footprint_sets(
            self.place,
            self.place.areas["footprint"],
            self.assignment,
            balance=self.balance,
            names=(CURRENT, self.label),
        )

    def summary_rows(self) -> list[dict]:
        """One row per set (current, this one), rounded for display."""
        return self.comparison.summary.round(3).to_dict("records")

    def footprint_rows(self) -> list[dict]:
        """Balance and compactness per footprint of both sets, rounded for display."""
        table = self.comparison.table.copy()
        table["total"] = table["total"].round(1)
        table["pct_of_mean"] = table["pct_of_mean"].round(1)
        for col in ("polsby_popper", "convex_hull_ratio"):
            table[col] = table[col].round(3)
        return table.to_dict("records")

    def changed_rows(self) -> list[dict]:
        """Areas that change footprint: ``code``, ``name``, ``from``, ``to``."""
        return self.comparison.changed.to_dict("records")

    def lookup(self) -> pd.DataFrame:
        """The ``code,footprint`` lookup (loads back through ``[footprints]`` in a config)."""
        return pd.DataFrame(
            {
                "code": self.assignment.index.astype(str),
                "footprint": self.assignment.astype(str).to_numpy(),
            }
        )


def design_footprints(
    place: Place,
    *,
    k: int,
    balance: str | None = None,
    method: str = "grow",
    respect: pd.Series | str | None = None,
    saved_set: str | None = None,
    **options,
) -> FootprintDesign:
    """Design ``k`` contiguous footprints balanced on ``balance``, or take a saved set.

    Parameters
    ----------
    place
        The place (not changed).
    k, method, respect
        As for :func:`geo.clusters.regionalize.regionalize` (ignored with ``saved_set``).
    balance
        Indicator key to balance and compare on (default :attr:`Place.default_balance`).
    saved_set
        Compare with this saved footprint set instead of designing a new one.
    **options
        Passed to :func:`~geo.clusters.regionalize.regionalize` (``refine``, ``prefix``,
        ``seed``, ``tolerance``, ``time_limit``).

    Raises
    ------
    geo.errors.InputError
        Unknown saved set or indicator, bad ``k`` or method.
    """
    balance = balance or place.default_balance
    if saved_set is not None:
        sets = footprint_sets(place)
        if saved_set not in sets:
            known = ", ".join(sets)
            raise InputError(f"no saved footprint set {saved_set!r} (sets: {known})")
        place.indicator(balance)
        return FootprintDesign(place, sets[saved_set], saved_set, balance)
    result = regionalize(place, k=k, balance=balance, method=method, respect=respect, **options)
    notes = (
        f"Designed {result.k} footprints in {result.seconds:.1f} s by {result.method}: "
        f"largest deviation from the mean {100 * result.max_deviation():.1f}%.",
        *result.notes,
    )
    return FootprintDesign(place, result.assignment, DESIGNED, balance, notes, result)


def check_set_name(place: Place, name: str | None) -> str:
    """The name a design can be saved under (stripped), or :class:`InputError` saying why not."""
    name = (name or "").strip()
    if not name:
        raise InputError("give the footprint set a name")
    if name == CURRENT:
        raise InputError(f"a footprint set needs a name other than {CURRENT!r}")
    if place.path is None:
        raise InputError("this place has no bundle file to save into")
    return name


def save_design(place: Place, design: FootprintDesign, name: str | None) -> tuple[Place, str]:
    """Save a new ``design`` into the place's bundle as footprint set ``name`` (locked, atomic).

    Returns the saved place and a sentence saying what was saved.
    """
    name = check_set_name(place, name)
    if not design.designed:
        raise InputError(f"{design.label!r} is already a saved set")
    saved = save_footprint_set(place.path, name, design.assignment)
    message = (
        f"Saved {name!r} ({design.assignment.nunique()} footprints) into {saved.path.name}: "
        "compare with it here, or rebuild with it as the footprints lookup."
    )
    return saved, message

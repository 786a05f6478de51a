"""The in-memory place: areas with indicators, footprints, sites, catalogue and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import InputError
from geo.place.config import Indicator

SYNTHETIC_LABEL = "synthetic demo data"
#: Child-population counts, broadest first (:attr:`Place.children_key`).
CHILDREN_KEYS = ("children_0_17", "children_0_15", "children_0_4")
#: Need indicators in order of preference (:attr:`Place.need_key`).
NEED_KEYS = ("need_index", "imd_score", "imd25_score", "idaci_score", "idaci_rate")
#: The siting demand weight tried first: under-fives, family hubs' core users.
UNDER_FIVES_KEY = "children_0_4"
POPULATION_KEY = "population"


def plural(label: str) -> str:
    """``"Footprint"`` -> ``"Footprints"``; the plural goes before a trailing bracket."""
    head, sep, tail = label.partition(" (")
    if sep and label.endswith(")"):
        return f"{plural(head)}{sep}{tail}"
    if not head or head.endswith("s"):
        return head
    if head.endswith("y") and head[-2:-1] not in "aeiou":
        return head[:-1] + "ies"
    return head + "s"


@dataclass(frozen=True)
class Finding:
    """Something the build noticed and carried on from (a warning) or wants to say (info)."""

    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.message}"


@dataclass(frozen=True)
class Attribution:
    """A data source and the attribution text its licence requires."""

    source: str
    text: str


@dataclass
class Place:
    """A built place, as read from or written to a place bundle.

    Attributes
    ----------
    areas
        Small areas indexed by ``code``: ``name``, ``footprint`` and one column per indicator
        key, geometry in the working CRS.
    footprints
        One dissolved polygon per footprint (``footprint``, ``areas``), working CRS.
    sites
        Points with ``site_id``, ``name``, ``kind``, ``area_code``, ``footprint``, ``outside``
        and any detail columns, working CRS.
    catalogue
        Indicator metadata by key, in config order.
    """

    name: str
    crs: str
    areas: gpd.GeoDataFrame
    footprints: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    catalogue: dict[str, Indicator]
    attributions: list[Attribution] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    synthetic: bool = False
    footprint_label: str = "Footprint"
    config_text: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: The bundle file, or the PostGIS place URL (a ``str``, see :mod:`geo.place.postgis`).
    path: Path | str | None = None

    @property
    def site_kinds(self) -> list[str]:
        return sorted(self.sites["kind"].dropna().unique().tolist()) if len(self.sites) else []

    @property
    def footprint_names(self) -> list[str]:
        return sorted(self.areas["footprint"].dropna().unique().tolist())

    @property
    def footprint_plural(self) -> str:
        """The footprint label in the plural, before any bracket: ``Test footprints (wards
        grouped)``, not ``Test footprint (wards grouped)s``."""
        return plural(self.footprint_label)

    @property
    def boundary(self):
        """The union of all areas (shapely geometry, working CRS)."""
        return self.areas.geometry.union_all()

    # ------------------------------------------------------------------ defaults
    # The one home of every "which indicator by default" rule: pages, layers, CLI and geo
    # modules read these and never keep their own lists of keys.

    @property
    def default_indicator(self) -> str:
        """The indicator views open on: the first need indicator (``higher_is = "worse"``, not
        sensitive) in catalogue order, else the first key."""
        self._check_catalogue()
        for key, ind in self.catalogue.items():
            if ind.higher_is == "worse" and not ind.sensitive:
                return key
        return next(iter(self.catalogue))

    @property
    def children_key(self) -> str | None:
        """The broadest child-population count: one of :data:`CHILDREN_KEYS` (0-17, else 0-15,
        else 0-4), else the first other count whose key starts with ``children``; ``None``
        when the place has none."""
        counts = [k for k, i in self.catalogue.items() if i.kind == "count"]
        preferred = [k for k in CHILDREN_KEYS if k in counts]
        others = [k for k in counts if k.startswith("children")]
        return next(iter(preferred or others), None)

    @property
    def people_key(self) -> str | None:
        """The count of people to summarise or balance on: :attr:`children_key`, else
        ``population``; ``None`` when the place has neither."""
        if self.children_key is not None:
            return self.children_key
        return POPULATION_KEY if POPULATION_KEY in self.catalogue else None

    @property
    def default_balance(self) -> str:
        """What new footprints are balanced on by default: :attr:`people_key`, else the first
        indicator."""
        self._check_catalogue()
        return self.people_key or next(iter(self.catalogue))

    @property
    def need_key(self) -> str | None:
        """The need indicator hot spots and school clusters use by default: the first of
        :data:`NEED_KEYS` the place has (need index, then IMD, then IDACI), else ``None``."""
        return next((k for k in NEED_KEYS if k in self.catalogue), None)

    @property
    def default_weight(self) -> str:
        """The siting demand weight by default: children aged 0-4, else :attr:`children_key`,
        else ``population``, else the first indicator."""
        self._check_catalogue()
        for key in (UNDER_FIVES_KEY, self.children_key, POPULATION_KEY):
            if key is not None and key in self.catalogue:
                return key
        return next(iter(self.catalogue))

    def _check_catalogue(self) -> None:
        if not self.catalogue:
            raise InputError(f"place {self.name!r} has no indicators")

    def indicator(self, key: str) -> Indicator:
        """Return the catalogue entry for ``key`` or raise a clear error."""
        try:
            return self.catalogue[key]
        except KeyError:
            raise InputError(
                f"unknown indicator {key!r}; known: {', '.join(self.catalogue)}"
            ) from None

    def values(self) -> pd.DataFrame:
        """Indicator values by area code (one column per catalogue key)."""
        return pd.DataFrame(self.areas[list(self.catalogue)])

    def attribution_text(self) -> str:
        """All attributions on one line each, synthetic label first where it applies."""
        lines = [a.text for a in self.attributions if a.text]
        if self.synthetic and not any(SYNTHETIC_LABEL in line.lower() for line in lines):
            lines.insert(0, f"Demo place: {SYNTHETIC_LABEL}.")
        return "\n".join(dict.fromkeys(lines))

"""The in-memory place: areas with indicators, footprints, sites, catalogue and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import InputError
from geo.place.config import Indicator

SYNTHETIC_LABEL = "synthetic demo data"


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
    path: Path | None = None

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

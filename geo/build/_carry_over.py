"""Keep what people added to a bundle when it is rebuilt from its place config.

Uploaded indicators, saved need indices and designed footprint sets live only in the bundle
(the config does not know them). Rebuilding the bundle after a data refresh must not lose
them, so :func:`geo.build.pipeline.build_bundle` passes the bundle it is about to replace through
:func:`carry_over`:

* an **uploaded indicator** keeps its values by area code; areas new to the rebuilt place get
  no value (said in a finding); an upload whose key the config now defines is left to the
  config; one that matches no area any more is dropped (said);
* a **need index** is recomputed from its saved weights on the rebuilt data, unless one of
  its indicators is gone (dropped, said);
* a **footprint set** is kept when it still assigns every area, else dropped (said).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio

from geo.clusters.footprint_sets import CURRENT, add_footprint_set, footprint_sets
from geo.clusters.footprint_sets import TABLE as SETS_TABLE
from geo.errors import InputError
from geo.indicators.need_index import TABLE as NEED_TABLE
from geo.indicators.need_index import apply_need_index, saved_specs
from geo.indicators.uploads import UPLOADS_TABLE
from geo.place.model import Attribution, Finding, Place

#: The bundle tables that record what people added.
ADDED_TABLES = (UPLOADS_TABLE, NEED_TABLE, SETS_TABLE)


def may_hold_added(path: Path) -> bool:
    """Whether the bundle at ``path`` may hold something to carry over (cheap: layer names
    only). True when the layers cannot be listed, so the full read reports the problem."""
    try:
        layers = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    except Exception:  # not readable as a GeoPackage: let read_place say why
        return True
    return bool(layers & set(ADDED_TABLES))


def _uploads(old: Place, new: Place, notes: list[Finding]) -> None:
    table = old.tables.get(UPLOADS_TABLE)
    if table is None or not len(table):
        return
    kept = []
    for row in pd.DataFrame(table).to_dict("records"):
        key = str(row["key"])
        ind = old.catalogue.get(key)
        if ind is None or key not in old.areas:
            continue
        if key in new.catalogue:
            notes.append(
                Finding(
                    "info",
                    f"uploaded indicator {key!r} is now defined by the config; "
                    "the config's values are used",
                )
            )
            continue
        values = pd.Series(old.areas[key].to_numpy(dtype=float), index=old.areas.index.astype(str))
        values = values.reindex(new.areas.index.astype(str))
        if not values.notna().any():
            notes.append(
                Finding(
                    "warning",
                    f"uploaded indicator {key!r} dropped: none of its areas "
                    "are in the rebuilt place",
                )
            )
            continue
        new.areas[key] = values.to_numpy()
        new.catalogue[key] = ind
        if ind.attribution and ind.attribution not in {a.text for a in new.attributions}:
            new.attributions.append(Attribution(ind.source, ind.attribution))
        kept.append(row)
        missing = int((~new.areas.index.astype(str).isin(old.areas.index.astype(str))).sum())
        text = f"kept uploaded indicator {key!r} ({row.get('filename', '?')})"
        if missing > 0:
            notes.append(
                Finding("warning", f"{text}; {missing} area(s) new to the place have no value")
            )
        else:
            notes.append(Finding("info", text))
    if kept:
        new.tables[UPLOADS_TABLE] = pd.DataFrame(kept)


def _need_indices(old: Place, new: Place, notes: list[Finding]) -> None:
    for key, spec in saved_specs(old).items():
        try:
            apply_need_index(new, spec)
        except InputError as exc:
            notes.append(Finding("warning", f"need index {key!r} dropped: {exc}"))
            continue
        notes.append(Finding("info", f"need index {key!r} recomputed on the rebuilt data"))


def _footprint_sets(old: Place, new: Place, notes: list[Finding]) -> None:
    for name, assignment in footprint_sets(old).items():
        if name == CURRENT:
            continue
        missing = int(assignment.reindex(new.areas.index.astype(str)).isna().sum())
        if missing:
            notes.append(
                Finding(
                    "warning",
                    f"footprint set {name!r} dropped: {missing} area(s) of the "
                    "rebuilt place are not in it (save it again)",
                )
            )
            continue
        add_footprint_set(new, name, assignment.dropna())
        notes.append(Finding("info", f"kept footprint set {name!r}"))


def carry_over(old: Place, new: Place) -> list[Finding]:
    """Copy uploads, need indices and footprint sets from ``old`` into ``new`` (changed in
    place, a place you own); return findings that say what was kept and what was not."""
    notes: list[Finding] = []
    _uploads(old, new, notes)
    _need_indices(old, new, notes)  # after the uploads: an index may weigh an upload
    _footprint_sets(old, new, notes)
    return notes

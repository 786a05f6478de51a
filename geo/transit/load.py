"""Attach a timetable to a place being built (``[network.transit]``)."""

from __future__ import annotations

import numpy as np
import shapely

from geo.network.graph import has_network, mode_graph
from geo.network.routing import snap
from geo.place.model import Attribution, Finding, Place
from geo.transit.config import TransitConfig
from geo.transit.feed import Timetable, read_timetable
from geo.transit.store import TRANSFERS, stop_xy, timetable_tables

_LISTED = 10


def attach_timetable(place: Place, config: TransitConfig, *, table: Timetable | None = None):
    """Read the feeds of ``config`` for its date and store the timetable in ``place``.

    Changes ``place`` in place (tables, meta, findings, attributions) and returns it. Stops
    further than ``max_walk_m`` from the walking network (or, with no network, from every
    area) are listed in a warning: nobody can walk to them.
    """
    if table is None:
        table = read_timetable(config.gtfs, config.date)
    place.tables.pop(TRANSFERS, None)
    place.tables.update(timetable_tables(table, crs=place.crs))
    for note in table.notes:
        place.findings.append(Finding("warning", f"transit: {note}"))
    place.meta.update(config.as_meta())
    xy = stop_xy(place)
    if has_network(place):
        far = snap(mode_graph(place, "walk"), xy).distance_m > config.max_walk_m
        where = "the walking network"
    else:
        gap = shapely.distance(place.areas.geometry.union_all(), shapely.points(xy))
        far = gap > config.max_walk_m
        where = "the place's areas"
    far = np.asarray(far, bool)
    if far.any():
        names = [
            f"{i} ({n})" for i, n in zip(table.stop_ids[far], table.stop_names[far], strict=True)
        ]
        more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
        place.findings.append(
            Finding(
                "warning",
                f"transit: {len(names)} stop(s) are more than {config.max_walk_m:g} m from "
                f"{where} and cannot be walked to: {', '.join(names[:_LISTED])}{more}",
            )
        )
    place.findings.append(
        Finding(
            "info",
            f"transit: {table.n_stops:,} stops, {table.n_trips:,} trips in "
            f"{len(table.patterns):,} patterns on {config.date.isoformat()}; departures each "
            f"minute {config.window}",
        )
    )
    text = config.attribution or (
        "Public transport timetables: GTFS feed(s) " + ", ".join(p.name for p in config.gtfs)
    )
    if all(a.text != text for a in place.attributions):
        place.attributions.append(Attribution("timetables", text))
    return place

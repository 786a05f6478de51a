"""Travel modes of a place: their speeds and the crow-fly detour factor."""

from __future__ import annotations

from geo.errors import NetworkError
from geo.place.config import DEFAULT_SPEEDS_KMH
from geo.place.model import Place

MODES = ("walk", "cycle", "drive")  # modes on the road network
TRANSIT = "transit"  # walking plus timetabled public transport (geo.transit)
ALL_MODES = (*MODES, TRANSIT)
MODE_LABELS = {
    "walk": "Walking",
    "cycle": "Cycling",
    "drive": "Driving",
    TRANSIT: "Public transport",
}
CROWFLY_NOTE = "approximate: straight-line distance x detour factor (no road network)"


def speeds_kmh(place: Place) -> dict[str, float]:
    """Mode speeds from the place's config (``network_speeds_kmh`` meta), else defaults."""
    speeds = dict(DEFAULT_SPEEDS_KMH)
    raw = place.meta.get("network_speeds_kmh", "")
    for part in filter(None, raw.split(",")):
        mode, _, value = part.partition("=")
        speeds[mode.strip()] = float(value)
    return speeds


def available_modes(place: Place) -> list[str]:
    """Modes to offer for ``place``: its configured speeds, plus ``transit`` with a timetable."""
    modes = list(speeds_kmh(place))
    stops = place.tables.get("transit_stops")
    return [*modes, TRANSIT] if stops is not None and len(stops) else modes


def mode_label(mode: str) -> str:
    """The words for ``mode`` in choices (``transit`` is "Public transport", with walking)."""
    return MODE_LABELS.get(mode, mode)


def detour(place: Place) -> float:
    return float(place.meta.get("network_detour", 1.3))


def check_mode(place: Place, mode: str) -> float:
    """Return the mode's speed in km/h or raise naming the unknown mode.

    ``transit`` needs the place's timetable (``[network.transit]``); its speed is walking's.
    """
    speeds = speeds_kmh(place)
    if mode == TRANSIT:
        stops = place.tables.get("transit_stops")
        if stops is None or len(stops) == 0:
            raise NetworkError(
                "mode 'transit' needs a public transport timetable: add a [network.transit] "
                "table (gtfs, date, window) to the place's config and rebuild it"
            )
        return speeds["walk"]
    if mode not in speeds:
        raise NetworkError(f"unknown mode {mode!r}; use one of {', '.join(speeds)}")
    return speeds[mode]

"""The ``[network.transit]`` options of a place config, checked.

::

    [network.transit]
    gtfs = ["feed.zip"]       # one or more GTFS feeds (zip or folder), merged
    date = "2026-03-10"       # the service day
    window = "07:00-09:00"    # departures from the origin, one each minute (end excluded)
    max_walk_m = 1000         # longest walk to, from or between stops
    board_slack_s = 0         # extra time needed to board
    hub_kind = "family_hub"   # site kinds of the per-area indicators (geo.transit.indicators)
    school_kind = "school"

This module imports only :mod:`geo.errors` so that :mod:`geo.place.config` may call it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import ConfigError

KEYS = (
    "gtfs", "date", "window", "max_walk_m", "board_slack_s", "attribution", "hub_kind",
    "school_kind",
)  # fmt: skip
DEFAULT_WINDOW = "07:00-09:00"
DEFAULT_MAX_WALK_M = 1000.0
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class TransitConfig:
    """Checked ``[network.transit]`` options.

    Attributes
    ----------
    gtfs
        Absolute paths of the feeds (zip files or folders).
    date
        The service day.
    start_s, end_s
        The departure window in seconds after midnight; departures every minute from
        ``start_s`` up to but excluding ``end_s``.
    max_walk_m
        Longest walk to, from or between stops (metres on the walking network).
    board_slack_s
        Extra seconds needed to board a vehicle.
    """

    gtfs: tuple[Path, ...]
    date: dt.date
    start_s: int
    end_s: int
    max_walk_m: float = DEFAULT_MAX_WALK_M
    board_slack_s: float = 0.0
    attribution: str = ""
    hub_kind: str = "family_hub"
    school_kind: str = "school"

    @property
    def window(self) -> str:
        return f"{clock(self.start_s)}-{clock(self.end_s)}"

    def departures(self) -> list[int]:
        """Departure times (seconds after midnight), one each minute of the window."""
        return list(range(self.start_s, self.end_s, 60))

    def as_meta(self) -> dict[str, str]:
        """The options as strings for :attr:`geo.place.model.Place.meta`."""
        return {
            "transit_date": self.date.isoformat(),
            "transit_window": self.window,
            "transit_max_walk_m": f"{self.max_walk_m:g}",
            "transit_board_slack_s": f"{self.board_slack_s:g}",
            "transit_feeds": ";".join(p.name for p in self.gtfs),
        }


def clock(seconds: int) -> str:
    """``HH:MM`` for seconds after midnight (hours may pass 24)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def parse_window(text: str, *, where: str = "network.transit.window", path: object = None):
    """``"07:00-09:00"`` as ``(start_s, end_s)``; the end may pass 24:00 but must follow the start."""
    parts = text.split("-") if isinstance(text, str) else []
    matches = [_CLOCK.match(p) for p in parts]
    if len(parts) != 2 or not all(matches):
        raise ConfigError(f"'{where}' = {text!r} must look like \"07:00-09:00\"", path=path)
    start, end = ((int(m.group(1)) * 60 + int(m.group(2))) * 60 for m in matches)
    if any(int(m.group(2)) > 59 for m in matches) or start >= 48 * 3600 or end > 48 * 3600:
        raise ConfigError(f"'{where}' = {text!r} has an impossible time", path=path)
    if end <= start:
        raise ConfigError(f"'{where}' = {text!r}: the end must come after the start", path=path)
    return start, end


def parse_transit(data: Any, *, file: Path) -> TransitConfig:
    """Check the ``[network.transit]`` table ``data`` of config ``file`` (paths resolve beside it)."""
    if not isinstance(data, dict):
        raise ConfigError("[network.transit] must be a table", path=file)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"[network.transit] has unknown key(s) {unknown}; known: {', '.join(KEYS)}", path=file
        )
    feeds = data.get("gtfs")
    if isinstance(feeds, str):
        feeds = [feeds]
    if not feeds or not isinstance(feeds, list) or not all(isinstance(f, str) and f for f in feeds):
        raise ConfigError(
            "'network.transit.gtfs' must name one or more GTFS feeds (zip or folder)", path=file
        )
    paths = []
    for f in feeds:
        p = Path(f).expanduser()
        paths.append(p if p.is_absolute() else (file.parent / p).resolve())
    raw_date = data.get("date")
    if isinstance(raw_date, dt.date) and not isinstance(raw_date, dt.datetime):
        date = raw_date
    else:
        try:
            date = dt.date.fromisoformat(str(raw_date))
        except ValueError:
            raise ConfigError(
                f"'network.transit.date' = {raw_date!r} must be a date like \"2026-03-10\"",
                path=file,
            ) from None
    start, end = parse_window(data.get("window", DEFAULT_WINDOW), path=file)
    numbers = {}
    for key, default, low in (
        ("max_walk_m", DEFAULT_MAX_WALK_M, 0.0),
        ("board_slack_s", 0.0, None),
    ):
        value = data.get(key, default)
        bad = isinstance(value, bool) or not isinstance(value, int | float)
        if bad or (low is not None and value <= low) or (low is None and value < 0):
            need = "a positive number" if low is not None else "a number of seconds, 0 or more"
            raise ConfigError(f"'network.transit.{key}' = {value!r} must be {need}", path=file)
        numbers[key] = float(value)
    texts = {}
    for key, default in (
        ("attribution", ""),
        ("hub_kind", "family_hub"),
        ("school_kind", "school"),
    ):
        texts[key] = data.get(key, default)
        if not isinstance(texts[key], str):
            raise ConfigError(f"'network.transit.{key}' must be a string", path=file)
    return TransitConfig(gtfs=tuple(paths), date=date, start_s=start, end_s=end, **numbers, **texts)

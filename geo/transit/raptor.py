"""Range RAPTOR: the earliest arrival for every departure minute of a window, many origins at once.

The router follows Delling, Pajor and Werneck, *Round-Based Public Transit Routing* (2012):
rounds scan the *patterns* (trips over the same stops) serving stops improved in the previous
round, then relax walking transfers from stops reached by vehicle. *Range* RAPTOR runs the
departures from the latest to the earliest and keeps the labels between them: an arrival
reachable when leaving later is reachable when leaving earlier (one may wait), so each earlier
departure only has to improve on them. The result is the exact earliest arrival for each
departure time.

Labels are ``(stops, origins)`` arrays, so every step works on all origins at once, and a
pattern is scanned in one go: for each of its stops the first trip one can board there is a
:func:`numpy.searchsorted` in that stop's departure column, and the trip ridden at a later
stop is the cumulative minimum of those (trips in a pattern never overtake).

Two labels per stop keep walking legs from being chained: ``ride`` (arrived by vehicle; the
only label walked on from, to another stop or to a destination) and ``ready`` (may board:
reached by the access walk, by vehicle or by one transfer walk). Walking the whole way
(``direct``) counts too, so a destination is never reached later than on foot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo.transit.feed import Pattern

_OFFSET = 1e7  # separates the departure columns of a pattern in one sorted array


@dataclass(frozen=True)
class Legs:
    """Walking seconds of a query, as ``(from, to, seconds)`` pairs within the walking limit.

    Attributes
    ----------
    access
        ``(stops, origins)`` seconds from each origin to each stop (``inf`` beyond the limit).
    transfer
        Pairs ``(stop, stop, seconds)`` between distinct stops.
    egress
        Pairs ``(stop, destination, seconds)``.
    direct
        ``(origins, destinations)`` seconds walking the whole way (``inf`` where not allowed).
    """

    access: np.ndarray
    transfer: tuple[np.ndarray, np.ndarray, np.ndarray]
    egress: tuple[np.ndarray, np.ndarray, np.ndarray]
    direct: np.ndarray


def _grouped(src: np.ndarray, dst: np.ndarray, sec: np.ndarray):
    """Pairs sorted by destination, with the start of each destination's run."""
    order = np.lexsort((src, dst))
    src, dst, sec = src[order], dst[order], sec[order]
    starts = np.flatnonzero(np.r_[True, dst[1:] != dst[:-1]]) if len(dst) else np.empty(0, int)
    return src.astype(np.int64), dst.astype(np.int64), sec.astype(float), starts


class _Scan:
    """One pattern, prepared for vectorised scanning."""

    def __init__(self, pattern: Pattern) -> None:
        n, k = pattern.dep.shape
        self.stops = pattern.stops
        self.n = n
        offsets = np.arange(k) * _OFFSET
        self.offsets = offsets[:, None]
        self.flat = (pattern.dep.T + self.offsets).ravel()  # column after column: sorted
        self.base = (np.arange(k) * n)[:, None]
        self.arr = np.vstack([pattern.arr, np.full((1, k), np.inf)])
        self.cols = np.arange(k)[:, None]

    def arrivals(self, ready: np.ndarray) -> np.ndarray:
        """Arrival at each stop of the pattern (``(k, Q)``) boarding from ``ready`` (``(k, Q)``)."""
        pos = np.searchsorted(self.flat, ready + self.offsets) - self.base
        board = np.clip(pos, 0, self.n)  # self.n: no trip left
        riding = np.minimum.accumulate(board, axis=0)
        ridden = np.empty_like(riding)
        ridden[0] = self.n
        ridden[1:] = riding[:-1]  # alight only after boarding at an earlier stop
        return self.arr[ridden, self.cols]


def earliest_arrivals(
    patterns: Sequence[Pattern],
    n_stops: int,
    legs: Legs,
    departures: Sequence[float],
    *,
    board_slack_s: float = 0.0,
) -> np.ndarray:
    """Earliest arrival (seconds after midnight) at each destination, per departure and origin.

    Parameters
    ----------
    patterns
        The timetable's patterns (:attr:`geo.transit.feed.Timetable.patterns`).
    n_stops
        Number of stops that pattern stop indices refer to.
    legs
        The walking legs of the query (see :class:`Legs`).
    departures
        Departure times from the origins (seconds after midnight).
    board_slack_s
        Extra seconds needed to board, after reaching a stop.

    Returns
    -------
    numpy.ndarray
        ``(departures, origins, destinations)``; ``inf`` where a destination cannot be reached.
    """
    access = np.asarray(legs.access, float)
    n_origins = access.shape[1]
    direct = np.asarray(legs.direct, float)
    n_dest = direct.shape[1]
    t_src, t_dst, t_sec, _t_starts = _grouped(*legs.transfer)
    e_src, e_dst, e_sec, e_starts = _grouped(*legs.egress)
    scans = [_Scan(p) for p in patterns if p.dep.shape[0] and len(p.stops) > 1]
    serving: list[list[int]] = [[] for _ in range(n_stops)]
    for i, scan in enumerate(scans):
        for s in np.unique(scan.stops):
            serving[s].append(i)
    ride = np.full((n_stops, n_origins), np.inf)
    ready = np.full((n_stops, n_origins), np.inf)
    order = np.argsort(np.asarray(departures, float))[::-1]
    out = np.full((len(departures), n_origins, n_dest), np.inf)
    for d in order:
        t = float(departures[d])
        start = t + access
        marked = (start < ready).any(axis=1)
        np.minimum(ready, start, out=ready)
        while marked.any():
            todo = sorted({i for s in np.flatnonzero(marked) for i in serving[s]})
            ride_better = np.zeros(n_stops, bool)
            for i in todo:
                scan = scans[i]
                cand = scan.arrivals(ready[scan.stops] + board_slack_s)
                better = (cand < ride[scan.stops]).any(axis=1)
                if better.any():
                    np.minimum.at(ride, scan.stops, cand)
                    ride_better[scan.stops[better]] = True
            marked = np.zeros(n_stops, bool)
            if not ride_better.any():
                break
            rows = np.flatnonzero(ride_better)
            marked[rows] = (ride[rows] < ready[rows]).any(axis=1)
            ready[rows] = np.minimum(ready[rows], ride[rows])
            if len(t_src):
                use = ride_better[t_src]
                if use.any():
                    src, dst, sec = t_src[use], t_dst[use], t_sec[use]
                    starts = np.flatnonzero(np.r_[True, dst[1:] != dst[:-1]])
                    best = np.minimum.reduceat(ride[src] + sec[:, None], starts, axis=0)
                    targets = dst[starts]
                    gain = best < ready[targets]
                    marked[targets] |= gain.any(axis=1)
                    ready[targets] = np.minimum(ready[targets], best)
        arrive = t + direct
        if len(e_src):
            best = np.minimum.reduceat(ride[e_src] + e_sec[:, None], e_starts, axis=0)
            targets = e_dst[e_starts]
            arrive[:, targets] = np.minimum(arrive[:, targets], best.T)
        out[d] = arrive
    return out

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


def _by_source(src: np.ndarray, dst: np.ndarray, sec: np.ndarray, n: int):
    """Pairs as CSR arrays by source stop: ``indptr``, ``dst``, ``sec``."""
    order = np.argsort(src, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
    return indptr, np.asarray(dst)[order].astype(np.int64), np.asarray(sec)[order].astype(float)


def _expand(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry of ``rows``, the positions of its CSR row: (entry index, position)."""
    counts = indptr[rows + 1] - indptr[rows]
    total = int(counts.sum())
    entry = np.repeat(np.arange(len(rows)), counts)
    first = np.repeat(indptr[rows] - (np.cumsum(counts) - counts), counts)
    return entry, first + np.arange(total)


class _Scan:
    """One pattern, prepared for vectorised scanning."""

    def __init__(self, pattern: Pattern) -> None:
        n, k = pattern.dep.shape
        self.stops = pattern.stops
        self.unique = len(np.unique(pattern.stops)) == k  # a loop visits a stop twice
        self.n = n
        offsets = np.arange(k) * _OFFSET
        self.offsets = offsets[:, None]
        self.flat = (pattern.dep.T + self.offsets).ravel()  # column after column: sorted
        self.base = (np.arange(k) * n)[:, None]
        self.arr = np.vstack([pattern.arr, np.full((1, k), np.inf)])
        self.cols = np.arange(k)[:, None]

    def arrivals(self, ready: np.ndarray) -> np.ndarray:
        """Arrival at each stop of the pattern (``(k, Q)``) boarding from ``ready`` (``(k, Q)``)."""
        pos = np.searchsorted(self.flat, (ready + self.offsets).ravel()).reshape(ready.shape)
        pos -= self.base
        np.maximum(pos, 0, out=pos)
        np.minimum(pos, self.n, out=pos)  # self.n: no trip left
        riding = np.minimum.accumulate(pos, axis=0)
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
        Departure times from the origins (seconds after midnight): ``(D,)`` shared by every
        origin, or ``(D, origins)`` with each column non-decreasing (one range per origin).
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
    t_indptr, t_dst, t_sec = _by_source(*legs.transfer, n_stops)
    e_src, e_dst, e_sec, e_starts = _grouped(*legs.egress)
    scans = [_Scan(p) for p in patterns if p.dep.shape[0] and len(p.stops) > 1]
    serving: list[list[int]] = [[] for _ in range(n_stops)]
    for i, scan in enumerate(scans):
        for s in np.unique(scan.stops):
            serving[s].append(i)
    ride = np.full((n_stops, n_origins), np.inf)
    ready = np.full((n_stops, n_origins), np.inf)
    deps = np.asarray(departures, float)
    if deps.ndim == 1:
        order = np.argsort(deps)[::-1]
    else:
        if np.any(np.diff(deps, axis=0) < 0):
            raise ValueError("each origin's departures must be in increasing order")
        order = np.arange(len(deps))[::-1]
    out = np.full((len(deps), n_origins, n_dest), np.inf)
    for d in order:
        t = deps[d] if deps.ndim == 1 else deps[d][None, :]
        start = t + access
        changed = start < ready  # (stop, origin) labels improved: rescan from them
        np.minimum(ready, start, out=ready)
        while changed.any():
            marked = np.flatnonzero(changed.any(axis=1))
            todo = sorted({i for s in marked for i in serving[s]})
            rode = np.zeros_like(changed)
            for i in todo:
                scan = scans[i]
                cols = np.flatnonzero(changed[scan.stops].any(axis=0))
                if len(cols) == 0:
                    continue
                rows = scan.stops[:, None]
                cand = scan.arrivals(ready[rows, cols] + board_slack_s)
                old = ride[rows, cols]
                better = cand < old
                if not better.any():
                    continue
                if scan.unique:
                    ride[rows, cols] = np.minimum(old, cand)
                    rode[rows, cols] |= better
                else:
                    np.minimum.at(ride, (rows, cols[None, :]), cand)
                    np.logical_or.at(rode, (rows, cols[None, :]), better)
            # a stop reached by vehicle is ready to board there...
            changed = rode & (ride < ready)
            ready[changed] = ride[changed]
            # ...and, after one walk, at the stops near it
            p, o = np.nonzero(rode)
            if len(p) and len(t_dst):
                entry, pos = _expand(t_indptr, p)
                q, oo = t_dst[pos], o[entry]
                val = ride[p[entry], oo] + t_sec[pos]
                gain = val < ready[q, oo]
                if gain.any():
                    q, oo, val = q[gain], oo[gain], val[gain]
                    flat = ready.reshape(-1)
                    np.minimum.at(flat, q * n_origins + oo, val)
                    changed[q, oo] = True
        arrive = (t if deps.ndim == 1 else t.T) + direct
        if len(e_src):
            best = np.minimum.reduceat(ride[e_src] + e_sec[:, None], e_starts, axis=0)
            targets = e_dst[e_starts]
            arrive[:, targets] = np.minimum(arrive[:, targets], best.T)
        out[d] = arrive
    return out

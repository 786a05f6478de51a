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

from geo.transit.feed import Pattern, TransferRules

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
    same_stop
        ``(stops,)`` seconds needed to change vehicles at a stop (``transfers.txt``
        ``min_transfer_time``; ``inf`` where not possible); None means no time.
    """

    access: np.ndarray
    transfer: tuple[np.ndarray, np.ndarray, np.ndarray]
    egress: tuple[np.ndarray, np.ndarray, np.ndarray]
    direct: np.ndarray
    same_stop: np.ndarray | None = None


def apply_rules(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray], rules: TransferRules, n_stops: int
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray | None]:
    """Walking pairs between stops and per-stop change times, after ``transfers.txt``.

    Between two stops, ``transfer_type`` 3 removes the walk and 2 makes it take at least
    ``min_transfer_time`` (adding it when the walk is longer than the limit: the feed
    declares it); 0 (recommended) and 1 (timed) change nothing. At one stop, 3 forbids
    changing vehicles there and 2 needs ``min_transfer_time`` to change (returned per stop,
    None when no stop has a rule).
    """
    src, dst, sec = (np.asarray(a) for a in pairs)
    if len(rules) == 0:
        return (src, dst, sec), None
    walks = {(int(a), int(b)): float(w) for a, b, w in zip(src, dst, sec, strict=True)}
    same = np.zeros(n_stops)
    for a, b, kind, min_s in zip(rules.src, rules.dst, rules.kind, rules.min_s, strict=True):
        a, b = int(a), int(b)
        if a < 0 or b < 0 or kind not in (2, 3):
            continue
        if a == b:
            same[a] = np.inf if kind == 3 else float(min_s)
        elif kind == 3:
            walks.pop((a, b), None)
        else:
            walks[(a, b)] = max(walks.get((a, b), 0.0), float(min_s))
    keys = sorted(walks)
    out = (
        np.array([k[0] for k in keys], np.int64),
        np.array([k[1] for k in keys], np.int64),
        np.array([walks[k] for k in keys], float),
    )
    return out, (same if same.any() else None)


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
        arr = (
            pattern.arr if pattern.alight is None else np.where(pattern.alight, pattern.arr, np.inf)
        )
        self.arr = np.vstack([arr, np.full((1, k), np.inf)])  # no drop off: never arrive there
        self.cols = np.arange(k)[:, None]
        self.no_board = None if pattern.board is None else ~pattern.board

    def arrivals(self, ready: np.ndarray) -> np.ndarray:
        """Arrival at each stop of the pattern (``(k, Q)``) boarding from ``ready`` (``(k, Q)``)."""
        pos = np.searchsorted(self.flat, (ready + self.offsets).ravel()).reshape(ready.shape)
        pos -= self.base
        np.maximum(pos, 0, out=pos)
        np.minimum(pos, self.n, out=pos)  # self.n: no trip left
        if self.no_board is not None:
            pos[self.no_board] = self.n  # no pickup there
        riding = np.minimum.accumulate(pos, axis=0)
        ridden = np.empty_like(riding)
        ridden[0] = self.n
        ridden[1:] = riding[:-1]  # alight only after boarding at an earlier stop
        return self.arr[ridden, self.cols]


def earliest_arrivals(
    patterns: Sequence[Pattern],
    n_stops: int,
    legs: Legs,
    departures: Sequence[float] | np.ndarray,
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
    same = None if legs.same_stop is None else np.asarray(legs.same_stop, float)
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
            # a stop reached by vehicle is ready to board there (after any change time)...
            again = ride if same is None else ride + same[:, None]
            changed = rode & (again < ready)
            ready[changed] = again[changed]
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


_CELLS = 4_000_000  # (stops x deadlines) labels per block of the reverse search
_EPS = 1e-6  # seconds: a time reached by subtracting walks is compared with this tolerance


class _Back:
    """One pattern, prepared for scanning backwards (latest departures for given deadlines)."""

    def __init__(self, pattern: Pattern) -> None:
        n, k = pattern.arr.shape
        self.stops = pattern.stops
        self.unique = len(np.unique(pattern.stops)) == k
        self.n = n
        self.offsets = (np.arange(k) * _OFFSET)[:, None]
        self.flat = (pattern.arr.T + self.offsets).ravel()  # column after column: sorted
        self.base = (np.arange(k) * n)[:, None]
        self.arr = pattern.arr
        dep = (
            pattern.dep if pattern.board is None else np.where(pattern.board, pattern.dep, -np.inf)
        )
        self.dep = np.vstack([dep, np.full((1, k), -np.inf)])  # no pickup: never board there
        self.cols = np.arange(k)[:, None]
        self.no_alight = None if pattern.alight is None else ~pattern.alight

    def departures(self, latest: np.ndarray) -> np.ndarray:
        """Latest departure at each stop (``(k, Q)``) to alight by ``latest`` (``(k, Q)``)."""
        pos = np.searchsorted(self.flat, (latest + _EPS + self.offsets).ravel(), side="right")
        pos = pos.reshape(latest.shape) - self.base - 1  # last trip arriving in time, or -1
        np.clip(pos, -1, self.n - 1, out=pos)
        if self.no_alight is not None:
            pos[self.no_alight] = -1  # no drop off there
        after = np.maximum.accumulate(pos[::-1], axis=0)[::-1]
        riding = np.full_like(pos, -1)
        riding[:-1] = after[1:]  # board only to alight at a later stop
        riding[riding < 0] = self.n  # the row of -inf: no trip
        return self.dep[riding, self.cols]


def _slots(src: np.ndarray, dst: np.ndarray, sec: np.ndarray, n: int):
    """Walking pairs in slots: the k-th walk out of every stop that has k walks or more.

    Returns ``(rows, to, seconds)`` per slot, so a dense step over all stops is one slot at
    a time, each stop once per slot.
    """
    indptr, to, walk = _by_source(np.asarray(src, np.int64), dst, sec, n)
    degree = np.diff(indptr)
    out = []
    for k in range(int(degree.max()) if n and len(to) else 0):
        rows = np.flatnonzero(degree > k)
        out.append((rows, to[indptr[rows] + k], walk[indptr[rows] + k]))
    return out


def arrival_profiles(
    patterns: Sequence[Pattern],
    n_stops: int,
    *,
    transfer: tuple[np.ndarray, np.ndarray, np.ndarray],
    egress: tuple[np.ndarray, np.ndarray, np.ndarray],
    start_s: float,
    end_s: float = np.inf,
    board_slack_s: float = 0.0,
    same_stop: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per stop, the earliest arrival at any destination as a step function of the ready time.

    A reverse search from the destinations, exact for every ready time from ``start_s`` on. The
    candidate arrival times at a destination are the vehicle arrivals at stops within walking
    of one (``start_s`` or later) plus that walk. Each is a *deadline*, and RAPTOR run backwards
    gives, for all deadlines at once (one column each), the latest time one may be ready to board
    at each stop and still arrive by it. The earliest arrival when ready at stop ``p`` at time
    ``t`` is then the first deadline whose latest ready time at ``p`` is ``t`` or later. Walking
    legs follow :func:`earliest_arrivals`: walk to a destination or to one other stop only
    after a ride; a profile starts ready at its own stop (the access walk is the caller's).

    Parameters
    ----------
    patterns, n_stops, board_slack_s
        As for :func:`earliest_arrivals`.
    same_stop
        As :attr:`Legs.same_stop`.
    transfer, egress
        Walking pairs ``(stop, stop, seconds)`` and ``(stop, destination, seconds)``.
    start_s
        The earliest ready time asked about (seconds after midnight).
    end_s
        The latest arrival asked about: arrivals after it are not found (the search is
        smaller); every arrival up to it is exact.

    Returns
    -------
    tuple of numpy.ndarray
        ``stop``, ``tau``, ``arrive`` sorted by ``(stop, tau)``: when ready at ``stop`` at any
        time after the previous ``tau`` of that stop and up to ``tau``, the earliest arrival
        at a destination is ``arrive``; after the stop's last ``tau`` none is reached.
    """
    e_src, _e_dst, e_sec = (np.asarray(a) for a in egress)
    walk_out = np.full(n_stops, np.inf)
    np.minimum.at(walk_out, e_src.astype(np.int64), e_sec.astype(float))
    scans = [_Back(p) for p in patterns if p.arr.shape[0] and len(p.stops) > 1]
    deadlines = []
    for scan in scans:
        arr, walk = scan.arr[:, 1:], walk_out[scan.stops[1:]][None, :]
        if scan.no_alight is not None:
            walk = np.where(scan.no_alight[None, 1:], np.inf, walk)
        due = arr + walk
        deadlines.append(due[(arr >= start_s) & np.isfinite(walk) & (due <= end_s)])
    due = np.unique(np.concatenate(deadlines)) if deadlines else np.empty(0)
    empty = np.empty(0, np.int64), np.empty(0), np.empty(0)
    if len(due) == 0:
        return empty
    serving: list[list[int]] = [[] for _ in range(n_stops)]
    for i, scan in enumerate(scans):
        for s in np.unique(scan.stops):
            serving[s].append(i)
    slots = _slots(*transfer, n_stops)
    same = None if same_stop is None else np.asarray(same_stop, float)[:, None]
    # deadlines are independent columns: a block at a time bounds the memory
    block = max(1, _CELLS // max(n_stops, 1))
    out_stop, out_tau, out_due = [], [], []
    before = np.full(n_stops, -np.inf)  # latest ready time for the deadlines done so far
    for first in range(0, len(due), block):
        part = due[first : first + block]
        ready = _latest_ready(scans, serving, slots, walk_out, part, board_slack_s, same)
        # a later deadline never needs an earlier ready time; keep the first deadline of each
        # step
        ready = np.maximum.accumulate(np.column_stack([before, ready]), axis=1)
        step = np.isfinite(ready[:, 1:]) & (ready[:, 1:] >= start_s - _EPS)
        step &= ready[:, 1:] > ready[:, :-1]
        stop, col = np.nonzero(step)
        out_stop.append(stop)
        out_tau.append(ready[stop, col + 1] + _EPS)
        out_due.append(part[col])
        before = ready[:, -1]
    stop = np.concatenate(out_stop).astype(np.int64)
    order = np.argsort(stop, kind="stable")  # by stop, then (blocks in order) by time
    return stop[order], np.concatenate(out_tau)[order], np.concatenate(out_due)[order]


def _latest_ready(
    scans: list[_Back],
    serving: list[list[int]],
    slots: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    walk_out: np.ndarray,
    due: np.ndarray,
    board_slack_s: float,
    same: np.ndarray | None,
) -> np.ndarray:
    """Latest ready time at each stop ``(stops, deadlines)`` to arrive by each deadline."""
    n_stops, n_due = len(walk_out), len(due)
    # latest arrival by vehicle (``alight``) and latest ready time (``ready``) per deadline
    alight = np.full((n_stops, n_due), -np.inf)
    ends = np.isfinite(walk_out)
    alight[ends] = due[None, :] - walk_out[ends][:, None]
    ready = np.full((n_stops, n_due), -np.inf)
    changed = np.isfinite(alight)
    while changed.any():
        marked = np.flatnonzero(changed.any(axis=1))
        todo = sorted({i for s in marked for i in serving[s]})
        boarded = np.zeros_like(changed)
        for i in todo:
            scan = scans[i]
            cols = np.flatnonzero(changed[scan.stops].any(axis=0))
            if len(cols) == 0:
                continue
            rows = scan.stops[:, None]
            cand = scan.departures(alight[rows, cols]) - board_slack_s
            old = ready[rows, cols]
            better = cand > old
            if not better.any():
                continue
            if scan.unique:
                ready[rows, cols] = np.maximum(old, cand)
                boarded[rows, cols] |= better
            else:
                np.maximum.at(ready, (rows, cols[None, :]), cand)
                np.logical_or.at(boarded, (rows, cols[None, :]), better)
        # ready to board at a stop: one may arrive there by vehicle as late (less any change
        # time)...
        again = ready if same is None else ready - same
        changed = boarded & (again > alight)
        alight[changed] = again[changed]
        # ...or at a stop one walk away, that much earlier
        if boarded.any():
            best = np.full((n_stops, n_due), -np.inf)
            for rows, to, sec in slots:
                best[rows] = np.maximum(best[rows], ready[to] - sec[:, None])
            gain = best > alight
            alight[gain] = best[gain]
            changed |= gain
    return ready

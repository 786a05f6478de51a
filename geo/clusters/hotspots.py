"""Hot and cold spots: where an indicator clusters, tested by permutation and FDR-corrected.

Two local statistics from PySAL esda over shared-boundary (rook) neighbours:

- ``"gi"``: Getis-Ord Gi* (each area with its neighbours, row-standardised weights). A
  significant positive z is a hot spot (high values surrounded by high values), a negative
  one a cold spot.
- ``"moran"``: local Moran's I. Significant high-high areas are hot spots, low-low cold
  spots; high-low and low-high areas are spatial outliers.

Significance is a conditional permutation pseudo p-value (esda, ``permutations`` random
relabellings of the neighbours), corrected for testing every area with the
Benjamini-Hochberg false discovery rate (``fdr=True``, default) at level ``alpha``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.clusters.contiguity import Contiguity, rook_contiguity
from geo.errors import InputError
from geo.place.model import Place

METHODS = ("gi", "moran")
HOT, COLD, NOT_SIGNIFICANT = "hot", "cold", "not significant"
HIGH_LOW, LOW_HIGH = "high-low outlier", "low-high outlier"
CLASSES = (HOT, COLD, HIGH_LOW, LOW_HIGH, NOT_SIGNIFICANT)
MANY_AREAS = 2_000
METHOD_NAMES = {"gi": "Getis-Ord Gi*", "moran": "Local Moran's I"}


def benjamini_hochberg(p: np.ndarray, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg FDR: ``(significant mask, adjusted p-values)``.

    Missing p-values (NaN) are never significant and do not count as tests.
    """
    p = np.asarray(p, dtype=float)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    adjusted = np.full(p.shape, np.nan)
    significant = np.zeros(p.shape, dtype=bool)
    if m == 0:
        return significant, adjusted
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    adj = np.empty(m)
    adj[order] = ranked
    adjusted[ok] = adj
    significant[ok] = adj <= alpha
    return significant, adjusted


@dataclass(frozen=True)
class Hotspots:
    """Per-area hot/cold spot classes for one indicator.

    Attributes
    ----------
    table
        Indexed by area code: ``value``, ``statistic`` (Gi* z or local I), ``z``, ``p`` (pseudo
        p-value), ``p_adjusted`` (after FDR), ``cls`` (hot, cold, outlier or not significant).
    method_text
        One sentence stating the method, neighbours, permutations and correction.
    """

    indicator: str
    method: str
    table: pd.DataFrame
    method_text: str
    alpha: float
    fdr: bool
    notes: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        vc = self.table["cls"].value_counts()
        return {
            c: int(vc.get(c, 0)) for c in CLASSES if c in vc or c in (HOT, COLD, NOT_SIGNIFICANT)
        }


def hotspots(
    place: Place,
    *,
    indicator: str,
    method: str = "gi",
    permutations: int | None = None,
    alpha: float = 0.05,
    fdr: bool = True,
    seed: int = 0,
    contiguity: Contiguity | None = None,
) -> Hotspots:
    """Find significant hot and cold spots of ``indicator`` over a place's areas.

    Parameters
    ----------
    place : Place
        The place (not changed).
    indicator : str
        Indicator key.
    method : str
        ``"gi"`` (Getis-Ord Gi*) or ``"moran"`` (local Moran's I).
    permutations : int, optional
        Conditional permutations for the pseudo p-values (99 to 99999). By default 9999 for
        places of up to :data:`MANY_AREAS` areas (so the FDR correction has the power to
        find clusters) and 999 above that (speed).
    alpha : float
        Significance level (false discovery rate when ``fdr``).
    fdr : bool
        Apply the Benjamini-Hochberg correction.
    seed : int
        Permutation seed (results are reproducible).
    contiguity : Contiguity, optional
        Precomputed :func:`~geo.clusters.contiguity.rook_contiguity` of ``place.areas``.
    """
    ind = place.indicator(indicator)
    if method not in METHODS:
        raise InputError(
            f"unknown hotspot method {method!r}; use gi (Getis-Ord Gi*) or moran (local Moran's I)"
        )
    if permutations is None:
        permutations = 9_999 if len(place.areas) <= MANY_AREAS else 999
    if not 99 <= permutations <= 99_999:
        raise InputError(f"permutations = {permutations} must be between 99 and 99999")
    if not 0 < alpha < 1:
        raise InputError(f"alpha = {alpha} must be between 0 and 1")
    values = place.areas[indicator].astype(float)
    present = values.notna().to_numpy()
    notes: list[str] = []
    if present.sum() < 3:
        raise InputError(f"indicator {indicator!r} has values for fewer than 3 areas")
    if not present.all():
        missing = place.areas.index[~present].tolist()
        notes.append(
            f"{len(missing)} area(s) without a {indicator} value left out: {', '.join(missing[:10])}"
        )
    if float(np.nanstd(values.to_numpy())) == 0:
        raise InputError(
            f"indicator {indicator!r} has the same value in every area; nothing to test"
        )
    contiguity = contiguity or rook_contiguity(place.areas.geometry)
    notes += contiguity.report()
    adj = contiguity.matrix
    keep = np.flatnonzero(present)
    sub = adj[keep][:, keep]
    alone = np.asarray((sub > 0).sum(axis=1)).ravel() == 0
    if alone.any():  # neighbours all without a value: nothing to compare the area with
        lonely = place.areas.index[keep[alone]].tolist()
        notes.append(
            f"{len(lonely)} area(s) left out because none of their neighbours has a value: "
            f"{', '.join(lonely[:10])}"
        )
        keep = keep[~alone]
        sub = adj[keep][:, keep]
    if len(keep) < 3:
        raise InputError(f"indicator {indicator!r}: fewer than 3 areas with neighbours to test")
    y = values.to_numpy()[keep]
    w = _weights(sub)
    stat, z, p, quad = _run(method, y, w, permutations=permutations, seed=seed)
    floor = 1.0 / (permutations + 1)
    if fdr and floor > alpha / len(y):
        needed = int(np.ceil(floor * len(y) / alpha))
        notes.append(
            f"With {permutations} permutations the smallest possible p-value is {floor:.4f}, so after "
            f"the FDR correction over {len(y)} areas an area can be significant only if at least "
            f"{needed} areas reach it; use more permutations for more power"
        )
    if fdr:
        sig, p_adj = benjamini_hochberg(p, alpha=alpha)
    else:
        p_adj = p.copy()
        sig = p <= alpha
    cls = np.full(len(y), NOT_SIGNIFICANT, dtype=object)
    if method == "gi":
        cls[sig & (z > 0)] = HOT
        cls[sig & (z < 0)] = COLD
    else:
        cls[sig & (quad == 1)] = HOT
        cls[sig & (quad == 3)] = COLD
        cls[sig & (quad == 4)] = HIGH_LOW
        cls[sig & (quad == 2)] = LOW_HIGH
    table = pd.DataFrame(
        {
            "value": np.nan,
            "statistic": np.nan,
            "z": np.nan,
            "p": np.nan,
            "p_adjusted": np.nan,
            "cls": NOT_SIGNIFICANT,
        },
        index=place.areas.index.astype(str),
    )
    table["cls"] = table["cls"].astype(object)
    rows = table.index[keep]
    table.loc[rows, "value"] = y
    table.loc[rows, "statistic"] = stat
    table.loc[rows, "z"] = z
    table.loc[rows, "p"] = p
    table.loc[rows, "p_adjusted"] = p_adj
    table.loc[rows, "cls"] = cls
    table.index.name = "code"
    correction = (
        f"Benjamini-Hochberg false discovery rate {alpha:g}"
        if fdr
        else f"p <= {alpha:g}, no multiple-testing correction"
    )
    text = (
        f"{METHOD_NAMES[method]} on {ind.label} ({indicator}), shared-boundary neighbours"
        f"{' including the area itself' if method == 'gi' else ''}, row-standardised; "
        f"{permutations} conditional permutations (seed {seed}); significant at {correction}."
    )
    return Hotspots(
        indicator=indicator,
        method=method,
        table=table,
        method_text=text,
        alpha=alpha,
        fdr=fdr,
        notes=tuple(notes),
    )


def _weights(adj):
    """A libpysal W over positions ``0..n-1`` (areas left without neighbours keep none)."""
    from libpysal.weights import WSP

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return WSP((adj > 0).astype(float).tocsr()).to_W(silence_warnings=True)


def _run(method: str, y: np.ndarray, w, *, permutations: int, seed: int):
    """``(statistic, z, pseudo p, Moran quadrant)`` from esda."""
    import esda

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        if method == "gi":
            g = esda.G_Local(y, w, transform="R", permutations=permutations, star=True, seed=seed,
                             keep_simulations=False, n_jobs=1)  # fmt: skip
            return (
                np.asarray(g.Zs),
                np.asarray(g.Zs),
                np.asarray(g.p_sim, float),
                np.zeros(len(y), int),
            )
        m = esda.Moran_Local(y, w, transformation="r", permutations=permutations, seed=seed,
                             keep_simulations=False, n_jobs=1)  # fmt: skip
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.asarray(m.Is) - np.asarray(m.EIc)) / np.sqrt(np.asarray(m.VIc))
        return np.asarray(m.Is), z, np.asarray(m.p_sim, float), np.asarray(m.q)

"""Fingertips-style spine chart of a footprint profile (see :func:`geo.indicators.footprint_profile.spine_data`).

Each indicator is a row scaled 0..1 around the comparator (England where given, else the
borough; the average footprint for counts) at the centre line. The light bar is the range
across footprints, the darker bar the middle half (quartiles), the open diamond the borough
and the circle this footprint, coloured by its comparison with the borough (rates with a 95%
confidence interval). The **worse side is always on the left**; indicators with no direction
put higher values on the right and their circle is white.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from geo.numbers import format_number

# Colour-blind-safe (Okabe-Ito based); shape also differs so colour is never the only cue.
COMPARISON_STYLE = {
    "worse": ("#D55E00", "circle", "Worse than the borough (95% CI)"),
    "similar": ("#F0E442", "circle", "Similar to the borough"),
    "better": ("#0072B2", "circle", "Better than the borough (95% CI)"),
    "not compared": ("#ffffff", "circle", "Not compared (no interval or no direction)"),
}
RANGE_COLOUR = "#d9d9d9"
IQR_COLOUR = "#969696"
ROW_PX = 30


def spine_figure(
    spine: pd.DataFrame, *, title: str | None = None, footprint: str = "This footprint"
) -> go.Figure:
    """The spine chart figure for the rows of :func:`geo.indicators.footprint_profile.spine_data`."""
    rows = spine.reset_index(drop=True)
    # Row fields are mixed (text, numbers, NaN): typed Any rather than pandas' scalar union.
    records: list[Any] = list(rows.itertuples())
    labels = [
        f"{r.label}"
        + (f" ({r.unit})" if r.unit and r.unit not in ("%",) else (" (%)" if r.unit == "%" else ""))
        for r in records
    ]
    y = list(range(len(rows)))
    hover = [
        "<br>".join(
            [
                f"<b>{r.label}</b>",
                f"{footprint}: {r.display}",
                f"Borough: {format_number(r.borough, unit=r.unit)}"
                + (" (total)" if r.kind == "count" else ""),
                f"England: {format_number(r.england, unit=r.unit)}"
                if np.isfinite(r.england)
                else "England: not given",
                f"Range across footprints: {format_number(r.worst, unit=r.unit)} (worst) to {format_number(r.best, unit=r.unit)} (best)"
                if r.higher_is
                else f"Range across footprints: {format_number(min(r.worst, r.best), unit=r.unit)} to {format_number(max(r.worst, r.best), unit=r.unit)}",
                f"Rank {int(r.rank)} of {r.n}"
                + (" (1 = worst)" if r.higher_is else " (1 = highest)")
                if np.isfinite(r.rank)
                else "",
                f"95% CI {format_number(r.ci_low, unit=r.unit)} to {format_number(r.ci_high, unit=r.unit)}; {r.vs_borough} vs borough"
                if np.isfinite(r.ci_low)
                else "",
                f"Centre line: {r.comparator}",
            ]
        )
        for r in records
    ]
    lo = np.fmin(rows["pos_worst"], rows["pos_best"])
    hi = np.fmax(rows["pos_worst"], rows["pos_best"])
    qlo = np.fmin(rows["pos_q_worse"], rows["pos_q_better"])
    qhi = np.fmax(rows["pos_q_worse"], rows["pos_q_better"])
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=y,
            x=(hi - lo),
            base=lo,
            orientation="h",
            marker={"color": RANGE_COLOUR},
            width=0.6,
            name="Range across footprints",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Bar(
            y=y,
            x=(qhi - qlo),
            base=qlo,
            orientation="h",
            marker={"color": IQR_COLOUR},
            width=0.6,
            name="Middle half of footprints (quartiles)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=y,
            x=rows["pos_borough"],
            mode="markers",
            name="Borough",
            marker={"symbol": "diamond-open", "size": 11, "color": "#000000", "line": {"width": 2}},
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=y,
            x=rows["pos_england"],
            mode="markers",
            name="England",
            marker={
                "symbol": "line-ns",
                "size": 16,
                "color": "#CC79A7",
                "line": {"width": 3, "color": "#CC79A7"},
            },
            hoverinfo="skip",
        )
    )
    for key, (colour, symbol, name) in COMPARISON_STYLE.items():
        sel = rows["vs_borough"] == key
        if not sel.any():
            continue
        fig.add_trace(
            go.Scatter(
                y=[i for i, s in zip(y, sel, strict=True) if s],
                x=rows.loc[sel, "pos_value"],
                mode="markers",
                name=f"{footprint}: {name.lower()}"
                if key != "not compared"
                else f"{footprint}: not compared",
                marker={
                    "symbol": symbol,
                    "size": 13,
                    "color": colour,
                    "line": {"width": 1.5, "color": "#000000"},
                },
                text=[h for h, s in zip(hover, sel, strict=True) if s],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.add_shape(
        type="line",
        x0=0.5,
        x1=0.5,
        y0=-0.6,
        y1=len(rows) - 0.4,
        line={"color": "#000000", "width": 1},
    )
    for x, text, anchor in (
        (0, "\u2190 worse (or lower)", "left"),
        (0.5, "centre: England, else borough", "center"),
        (1, "better (or higher) \u2192", "right"),
    ):
        fig.add_annotation(
            x=x,
            y=1.0,
            xref="x",
            yref="paper",
            yanchor="bottom",
            xanchor=anchor,
            text=text,
            showarrow=False,
            font={"size": 11, "color": "#444444"},
        )
    fig.update_layout(
        title={"text": title, "x": 0.01} if title else None,
        barmode="overlay",
        height=max(260, ROW_PX * len(rows) + 140),
        margin={"l": 10, "r": 10, "t": 60 if title else 30, "b": 70},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        font={
            "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "color": "#1a1a1a",
            "size": 12,
        },
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0, "font": {"size": 11}},
        xaxis={
            "range": [-0.02, 1.02],
            "showticklabels": False,
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        yaxis={
            "tickvals": y,
            "ticktext": labels,
            "autorange": "reversed",
            "automargin": True,
            "showgrid": False,
            "fixedrange": True,
        },
        hoverlabel={"bgcolor": "#ffffff", "font": {"color": "#1a1a1a"}},
    )
    return fig


VERDICT_STYLE = {
    "worse": ("#D55E00", "Worse"),
    "similar": ("#F0E442", "Similar"),
    "better": ("#0072B2", "Better"),
    "not compared": ("#ffffff", "Not compared"),
}


def spine_positions(record: dict) -> dict[str, float | None]:
    """0..1 positions of one spine record of :func:`geo.indicators.contract.profile_contract`.

    The comparator (England where the record has it, else the borough) sits at 0.5; the
    worse side is always on the left. The scale reaches the furthest of the footprint range,
    this value, the borough and England. Keys: ``lowest, highest, q1, q3, value, borough,
    england`` (``None`` where the figure is missing) and ``left, right`` (the range bar, worse
    end first) and ``iqr_left, iqr_right``.
    """
    centre = record["england"] if record["compared_with"] == "England" else record["borough"]
    names = ("lowest", "highest", "q1", "q3", "value", "borough", "england")
    figures = {n: record.get(n) for n in names}
    if centre is None:
        return {n: None for n in (*names, "left", "right", "iqr_left", "iqr_right")}
    sign = -1.0 if record.get("higher_is") == "worse" else 1.0
    spread = max((abs(v - centre) for v in figures.values() if v is not None), default=0.0)
    out: dict[str, float | None] = {}
    for n, v in figures.items():
        if v is None:
            out[n] = None
        elif not spread:
            out[n] = 0.5
        else:
            out[n] = float(np.clip(0.5 + sign * (v - centre) / (2 * spread), 0.0, 1.0))
    pairs = (("left", "right", "lowest", "highest"), ("iqr_left", "iqr_right", "q1", "q3"))
    for lo_name, hi_name, a, b in pairs:
        va, vb = out[a], out[b]
        if va is None or vb is None:
            out[lo_name] = out[hi_name] = None
        else:
            out[lo_name], out[hi_name] = min(va, vb), max(va, vb)
    return out


def verdict_text(record: dict) -> str:
    """``"Worse than England"``, ``"Similar to the borough"``, ``"Not compared"``..."""
    verdict = record["verdict"]
    if verdict == "not compared":
        return "Not compared"
    where = "England" if record["compared_with"] == "England" else "the borough"
    joiner = "to" if verdict == "similar" else "than"
    return f"{verdict.capitalize()} {joiner} {where}"

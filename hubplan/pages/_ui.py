"""Small layout pieces every page shares: notices, the synthetic-data banner, the footer."""

from __future__ import annotations

from dash import html

from geo.place.model import Place
from layers.base import attribution_lines


def notice_box(notices: list[str] | None, *, id: str | None = None) -> html.Div:
    """A polite live region listing friendly notices (hidden when there are none)."""
    notices = [n for n in (notices or []) if n]
    kwargs = {"id": id} if id else {}
    return html.Div(
        [html.P(n, className="notice-line") for n in notices],
        className="notice" if notices else "notice notice-empty",
        role="status",
        **{"aria-live": "polite"},
        **kwargs,
    )


def synthetic_banner(place: Place) -> html.Div | None:
    """A visible "Synthetic demo data" banner for synthetic places (``None`` otherwise)."""
    if not place.synthetic:
        return None
    return html.Div(
        [
            html.Strong("Synthetic demo data: "),
            "not real places or people. Use it to try the tool, never to make decisions.",
        ],
        className="synthetic-banner",
        role="note",
    )


def attribution_footer(place: Place, *, extra: list[str] | None = None) -> html.Footer:
    """The data attributions of ``place`` (one line each), plus any ``extra`` lines."""
    lines = attribution_lines(place) + list(extra or [])
    return html.Footer(
        [html.H2("Data sources", className="visually-hidden")]
        + [html.P(line, className="attribution-line") for line in lines],
        className="attribution-footer",
    )


def radio_group(radio, label: str) -> html.Div:
    """``radio`` (a ``dcc.RadioItems``) inside an ARIA radio group named ``label``, so a screen
    reader announces the choices as one group with its name (the radios share no fieldset of
    their own: WCAG 1.3.1, axe ``radiogroup``)."""
    return html.Div(radio, role="radiogroup", **{"aria-label": label})


def described(graph, summary: str) -> html.Figure:
    """A chart or map with a text alternative: ``graph`` in a ``<figure>`` whose caption (read
    by screen readers, not shown) says what it shows and where its figures are (WCAG 1.1.1).
    Without it a screen reader announces a Plotly chart by its tool buttons only."""
    return html.Figure(
        [graph, html.Figcaption(summary, className="visually-hidden")], className="chart-figure"
    )

"""``/profile``: every footprint of the place, each linking to its profile (Profiles in the nav).

The current footprints come first, then every saved footprint set (from the Clusters page or
``hubplan cluster --save-as``), whose profiles open with ``?set=NAME``.
"""

from __future__ import annotations

import dash
from dash import dcc, html

from geo.indicators.profile import profile_table
from geo.numbers import format_number
from geo.place.model import Place
from hubplan.pages._profile_cache import cached_profile
from hubplan.pages._sets import place_view, saved_sets
from hubplan.pages._state import Notices, current_place_key, first, open_place_safe, page_href
from hubplan.pages._ui import attribution_footer, notice_box, synthetic_banner

dash.register_page(
    __name__,
    path="/profile",
    name="Profiles",
    title="Profiles · Locality & Hub Planner",
    order=2.5,
)


def footprint_table(view: Place, key: str, *, set_name: str | None, id: str) -> html.Table:
    """Footprints of ``view`` (areas, population, children), each linking to its profile."""
    table = cached_profile(view) if set_name is None else profile_table(view).set_index("footprint")
    counts = [k for k in ("population", "children_0_17", "children_0_15") if k in table.columns]
    head = ["Profile", "Small areas"] + [view.catalogue[k].label for k in counts]
    extra = {"set": set_name} if set_name else {}
    rows = [
        html.Tr(
            [
                html.Th(
                    dcc.Link(name, href=page_href(f"/profile/{name}", key, **extra)), scope="row"
                ),
                html.Td(format_number(table.at[name, "areas"], kind="count"), className="num"),
                *[
                    html.Td(format_number(table.at[name, k], kind="count"), className="num")
                    for k in counts
                ],
            ]
        )
        for name in view.footprint_names
    ]
    return html.Table(
        [html.Thead(html.Tr([html.Th(h, scope="col") for h in head])), html.Tbody(rows)],
        className="values-table",
        id=id,
    )


def layout(place=None, **_other):
    """The current footprints, then each saved footprint set, every one linking to a profile."""
    notices = Notices()
    the_place, n = open_place_safe(first(place))
    notices.add(n)
    key = current_place_key(the_place)
    plural = the_place.footprint_plural.lower()
    parts = [
        synthetic_banner(the_place),
        notice_box(notices.items, id="profiles-notice"),
        html.H1(
            f"{the_place.name}: {the_place.footprint_label.lower()} profiles",
            className="page-title",
        ),
        html.P(
            f"{len(the_place.footprint_names)} {plural}. Open one for its spine chart, counts, "
            "deprivation deciles, sites and printable report."
        ),
        html.H2(f"Current {plural}"),
        footprint_table(the_place, key, set_name=None, id="profiles-list"),
    ]
    sets = saved_sets(the_place)
    if sets:
        parts.append(html.H2("Saved footprint sets"))
    for i, name in enumerate(sets):
        view, _ = place_view(the_place, name)
        parts += [
            html.H3(f"Set {name!r} ({len(view.footprint_names)} footprints)"),
            footprint_table(view, key, set_name=name, id=f"profiles-set-{i}"),
        ]
    parts.append(attribution_footer(the_place))
    return html.Div(parts, className="page page-profiles")

"""``/profile``: every footprint of the place, each linking to its profile (Profiles in the nav)."""

from __future__ import annotations

import dash
from dash import dcc, html

from geo.numbers import format_number
from hubplan.pages._profile_cache import cached_profile
from hubplan.pages._state import Notices, first, open_place_safe, page_href
from hubplan.pages._ui import attribution_footer, notice_box, synthetic_banner

dash.register_page(
    __name__,
    path="/profile",
    name="Profiles",
    title="Profiles · Locality & Hub Planner",
    order=2.5,
)


def layout(place=None, **_other):
    """A table of every footprint (areas, population, children) linking to its profile."""
    notices = Notices()
    the_place, n = open_place_safe(first(place))
    notices.add(n)
    table = cached_profile(the_place)
    counts = [k for k in ("population", "children_0_17", "children_0_15") if k in table.columns]
    head = ["Profile", "Small areas"] + [the_place.catalogue[k].label for k in counts]
    rows = [
        html.Tr(
            [
                html.Th(dcc.Link(name, href=page_href(f"/profile/{name}", the_place)), scope="row"),
                html.Td(format_number(table.at[name, "areas"], kind="count"), className="num"),
                *[
                    html.Td(format_number(table.at[name, k], kind="count"), className="num")
                    for k in counts
                ],
            ]
        )
        for name in the_place.footprint_names
    ]
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="profiles-notice"),
            html.H1(
                f"{the_place.name}: {the_place.footprint_label.lower()} profiles",
                className="page-title",
            ),
            html.P(
                f"{len(rows)} {the_place.footprint_plural.lower()}. Open one for its spine chart, "
                "counts, deprivation deciles, sites and printable report."
            ),
            html.Table(
                [
                    html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                    html.Tbody(rows),
                ],
                className="values-table",
                id="profiles-list",
            ),
            attribution_footer(the_place),
        ],
        className="page page-profiles",
    )

"""Direction-aware, colour-blind-safe palettes."""

from __future__ import annotations

import pytest

from geo.place.config import Indicator
from layers import palettes
from layers.palettes import contrast_ratio, indicator_colorscale, legend_hint, relative_luminance


def ind(higher_is=None, kind="mean"):
    return Indicator(key="x", label="X", kind=kind, higher_is=higher_is)


def lum_ends(scale):
    return relative_luminance(scale[0][1]), relative_luminance(scale[-1][1])


def test_worse_is_darker_at_the_high_end():
    low, high = lum_ends(indicator_colorscale(ind("worse")))
    assert high < low


def test_better_is_darker_at_the_low_end():
    low, high = lum_ends(indicator_colorscale(ind("better")))
    assert low < high


def test_worse_and_better_share_one_hue_family_reversed():
    worse = [c for _, c in indicator_colorscale(ind("worse"))]
    better = [c for _, c in indicator_colorscale(ind("better"))]
    assert worse == better[::-1]
    # "worse" end is the same colour either way.
    assert worse[-1] == better[0]


def test_neutral_uses_a_different_scale_darker_for_more():
    neutral = indicator_colorscale(ind(None, kind="count"))
    assert [c for _, c in neutral] != [c for _, c in indicator_colorscale(ind("worse"))]
    low, high = lum_ends(neutral)
    assert high < low
    assert legend_hint(ind(None)) == "darker = more"


@pytest.mark.parametrize("scale", [palettes.OR_RD, palettes.BLUES])
def test_sequential_scales_get_monotonically_darker(scale):
    lums = [relative_luminance(c) for c in scale]
    assert lums == sorted(lums, reverse=True)


def test_scale_stops_span_zero_to_one():
    scale = indicator_colorscale(ind("worse"))
    assert scale[0][0] == 0 and scale[-1][0] == 1
    assert [s for s, _ in scale] == sorted(s for s, _ in scale)


def test_line_colours_are_visible_on_white():
    # WCAG 2.1 non-text contrast (1.4.11) needs 3:1 for graphical objects.
    for colour in palettes.OKABE_ITO_LINES:
        assert contrast_ratio(colour, "#ffffff") >= 3.0, colour


def test_contrast_ratio_known_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def _delta_e(a: str, b: str) -> float:
    from coloraide import Color

    return Color(a).delta_e(b, method="2000")


def test_footprint_palette_is_at_least_delta_e_20_apart_and_readable():
    import itertools

    colours = [*palettes.FOOTPRINT_LINES, palettes.SELECTED_COLOUR]
    assert len(set(colours)) == len(colours)
    for a, b in itertools.combinations(colours, 2):
        assert _delta_e(a, b) >= palettes.MIN_FOOTPRINT_DELTA_E, (a, b)
    for colour in palettes.FOOTPRINT_LINES:
        assert contrast_ratio(colour, "#ffffff") >= 3.0, colour
    # The pair the issue found (A #0072B2 and F #2D7FB0, ΔE about 5) cannot come back.
    assert _delta_e("#0072B2", "#2D7FB0") < 20


def test_footprint_colours_hold_for_neighbours_when_there_are_many():
    import itertools

    names = [f"F{i:02d}" for i in range(30)]
    # A 5 x 6 grid of footprints, each touching its rook and queen neighbours.
    pos = {n: divmod(i, 6) for i, n in enumerate(names)}
    neighbours = {
        a: [
            b
            for b in names
            if b != a and max(abs(pos[a][0] - pos[b][0]), abs(pos[a][1] - pos[b][1])) == 1
        ]
        for a in names
    }
    colours = palettes.footprint_colours(names, neighbours=neighbours)
    assert set(colours) == set(names)
    for a, others in neighbours.items():
        for b in others:
            assert _delta_e(colours[a], colours[b]) >= 20, (a, b)
    few = palettes.footprint_colours(names[:8])
    for a, b in itertools.combinations(few.values(), 2):
        assert _delta_e(a, b) >= 20
    clique = {n: [m for m in names[:9] if m != n] for n in names[:9]}
    with pytest.raises(ValueError, match="need 9 colours"):
        palettes.footprint_colours(names[:9], neighbours=clique)

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

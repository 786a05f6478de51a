"""Colour-blind-safe palettes, direction-aware so that "worse" always reads darker.

* Indicators with ``higher_is = "worse"`` or ``"better"`` use the ColorBrewer **OrRd**
  sequential scale (single hue family, safe for the common colour-vision deficiencies and in
  greyscale); the scale is reversed for ``"better"`` so the worse end is always the dark end.
* Indicators with no direction (counts such as population) use ColorBrewer **Blues**, darker
  for more, so they are not read as good or bad.
* Categorical layers (footprints, site kinds) use the Okabe-Ito palette.
"""

from __future__ import annotations

from geo.place.config import Indicator

# ColorBrewer OrRd / Blues (9 classes), lightest class dropped so low values still show on white.
OR_RD = ["#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000", "#7f0000"]
BLUES = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
NO_DATA = "#bdbdbd"

# Okabe & Ito (2008), black moved last; safe for deuteranopia, protanopia and tritanopia.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
# Darker variants usable as text or thin lines on white (contrast >= 3:1).
OKABE_ITO_LINES = [
    "#0072B2",
    "#D55E00",
    "#007A5A",
    "#B4578E",
    "#A86F00",
    "#2D7FB0",
    "#8A7F00",
    "#000000",
]


def _scale(colours: list[str]) -> list[list]:
    n = len(colours) - 1
    return [[i / n, c] for i, c in enumerate(colours)]


def direction(ind: Indicator) -> str | None:
    """``"worse"`` / ``"better"`` (what higher values mean) or ``None``."""
    return ind.higher_is if ind.higher_is in ("worse", "better") else None


def indicator_colorscale(ind: Indicator) -> list[list]:
    """Plotly colorscale for ``ind``: the dark end is always the worse end."""
    d = direction(ind)
    if d == "worse":
        return _scale(OR_RD)
    if d == "better":
        return _scale(OR_RD[::-1])
    return _scale(BLUES)


def legend_hint(ind: Indicator) -> str:
    """A short note on how to read the colours, e.g. ``"darker = worse"``."""
    d = direction(ind)
    if d == "worse":
        return "higher = worse, darker = worse"
    if d == "better":
        return "higher = better, darker = worse"
    return "darker = more"


def categorical(i: int, *, lines: bool = False) -> str:
    """The ``i``-th categorical colour (cycles)."""
    pal = OKABE_ITO_LINES if lines else OKABE_ITO
    return pal[i % len(pal)]


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``."""
    h = hex_colour.lstrip("#")
    out = []
    for i in (0, 2, 4):
        c = int(h[i : i + 2], 16) / 255
        out.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * out[0] + 0.7152 * out[1] + 0.0722 * out[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio between two ``#rrggbb`` colours."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)

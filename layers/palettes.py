"""Colour-blind-safe palettes, direction-aware so that "worse" always reads darker.

* Indicators with ``higher_is = "worse"`` or ``"better"`` use the ColorBrewer **OrRd**
  sequential scale (single hue family, safe for the common colour-vision deficiencies and in
  greyscale); the scale is reversed for ``"better"`` so the worse end is always the dark end.
* Indicators with no direction (counts such as population) use ColorBrewer **Blues**, darker
  for more, so they are not read as good or bad.
* Categorical layers (site kinds, clusters) use the Okabe-Ito palette.
* Footprint outlines use :data:`FOOTPRINT_LINES`: eight colours, each at least 3:1 against
  white and every pair at least ΔE 20 apart (CIEDE2000); black is kept for the selected
  footprint. With more than eight footprints no palette can keep every pair 20 apart and
  still read on white, so :func:`footprint_colours` holds it for *neighbours*: footprints
  that touch never share a colour (any two palette colours are ΔE 20 apart), found by a
  smallest-last greedy colouring (at most six colours for a planar map).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

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

#: Footprint outline colours: Okabe-Ito blue, vermillion, bluish green and reddish purple,
#: then olive, purple, brown and grey; >= 3:1 on white, every pair >= ΔE 20 (CIEDE2000),
#: and >= ΔE 20 from :data:`SELECTED_COLOUR`.
FOOTPRINT_LINES = [
    "#0072B2",
    "#D55E00",
    "#007A5A",
    "#B4578E",
    "#8A7F00",
    "#6A3D9A",
    "#8C564B",
    "#767676",
]
#: The selected footprint's outline.
SELECTED_COLOUR = "#000000"
#: The smallest colour difference (CIEDE2000) between two footprints (neighbours, when many).
MIN_FOOTPRINT_DELTA_E = 20


def footprint_colours(
    names: Sequence[str], *, neighbours: Mapping[str, Iterable[str]] | None = None
) -> dict[str, str]:
    """A colour from :data:`FOOTPRINT_LINES` for each footprint name.

    Up to eight footprints all get different colours (in order). Beyond that, colours are
    reused, but never by two footprints listed as ``neighbours`` of each other (a
    smallest-last greedy colouring of the adjacency graph); without ``neighbours`` the
    palette simply cycles. Raises ``ValueError`` if the neighbours need more colours than the
    palette has (impossible for footprints that tile a map: those need at most six).
    """
    names = [str(n) for n in names]
    if len(names) <= len(FOOTPRINT_LINES) or neighbours is None:
        return {n: FOOTPRINT_LINES[i % len(FOOTPRINT_LINES)] for i, n in enumerate(names)}
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(names)
    for name, others in neighbours.items():
        graph.add_edges_from((str(name), str(o)) for o in others if str(o) != str(name))
    slots = nx.greedy_color(graph, strategy="smallest_last")
    if max(slots.values(), default=0) >= len(FOOTPRINT_LINES):
        raise ValueError(
            f"{len(names)} footprints need {max(slots.values()) + 1} colours so that "
            f"neighbours differ; the palette has {len(FOOTPRINT_LINES)}"
        )
    return {n: FOOTPRINT_LINES[slots[n]] for n in names}


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

"""Shape compactness measures (GeoSeries -> Series on the same index).

Both are 1 for a disc (Polsby-Popper) or a convex shape (convex hull ratio) and fall
towards 0 for long, thin or ragged shapes. Use a projected CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd


def polsby_popper(geometry: gpd.GeoSeries) -> pd.Series:
    """``4 pi area / perimeter²`` (1 for a circle)."""
    area = geometry.area.to_numpy()
    perimeter = geometry.length.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(perimeter > 0, 4 * np.pi * area / perimeter**2, np.nan)
    return pd.Series(value, index=geometry.index, name="polsby_popper")


def convex_hull_ratio(geometry: gpd.GeoSeries) -> pd.Series:
    """``area / area of the convex hull`` (1 for a convex shape)."""
    area = geometry.area.to_numpy()
    hull = geometry.convex_hull.area.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(hull > 0, area / hull, np.nan)
    return pd.Series(value, index=geometry.index, name="convex_hull_ratio")

"""An in-memory place on an ``nx`` x ``ny`` grid of 1 km squares, for engine tests.

Codes are ``r{row:02d}c{col:02d}``; values are given per indicator as 2-D arrays
``[row, col]``. Every indicator is a ``count`` unless listed in ``means``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from geo.place.config import Indicator
from geo.place.model import Place

X0, Y0, SIDE = 400_000.0, 300_000.0, 1_000.0


def code(row: int, col: int) -> str:
    return f"r{row:02d}c{col:02d}"


def grid_place(values: dict[str, np.ndarray], *, means: tuple[str, ...] = ()) -> Place:
    ny, nx = next(iter(values.values())).shape
    codes, geoms = [], []
    for r in range(ny):
        for c in range(nx):
            codes.append(code(r, c))
            geoms.append(
                box(X0 + c * SIDE, Y0 + r * SIDE, X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)
            )
    data = {
        "name": codes,
        "footprint": ["West" if c < nx // 2 else "East" for r in range(ny) for c in range(nx)],
    }
    data |= {k: np.asarray(v, float).ravel() for k, v in values.items()}
    areas = gpd.GeoDataFrame(data, geometry=geoms, index=pd.Index(codes, name="code"), crs=27700)
    catalogue = {
        k: Indicator(
            key=k, label=k.replace("_", " "), kind="mean" if k in means else "count", column=k
        )
        for k in values
    }
    footprints = areas.dissolve("footprint").reset_index()[["footprint", "geometry"]]
    sites = gpd.GeoDataFrame({"site_id": [], "name": [], "kind": []}, geometry=[], crs=27700)
    return Place(name="Grid test place", crs="EPSG:27700", areas=areas, footprints=footprints, sites=sites,
                 catalogue=catalogue, synthetic=True)  # fmt: skip

"""A tiny hand-checkable place written to a temp folder: 4x3 grid of 1 km squares.

Areas ``A01``..``A12`` (row-major from the south-west corner at easting 400000, northing
300000). Footprints: ``West`` = columns 0-1, ``East`` = columns 2-3. Indicator values are
simple functions of the area number so tests can recompute them by hand.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

X0, Y0, SIDE = 400_000.0, 300_000.0, 1_000.0
NX, NY = 4, 3


def grid() -> gpd.GeoDataFrame:
    rows = []
    for j in range(NY):
        for i in range(NX):
            n = j * NX + i + 1
            rows.append(
                {
                    "code": f"A{n:02d}",
                    "label": f"Area {n}",
                    "col": i,
                    "geometry": box(
                        X0 + i * SIDE, Y0 + j * SIDE, X0 + (i + 1) * SIDE, Y0 + (j + 1) * SIDE
                    ),
                }
            )
    return gpd.GeoDataFrame(rows, crs=27700)


def indicator_table() -> pd.DataFrame:
    n = list(range(1, NX * NY + 1))
    return pd.DataFrame(
        {
            "area": [f"A{i:02d}" for i in n],
            "pop": [1000 + 100 * i for i in n],
            "kids": [200 + 10 * i for i in n],
            "score": [float(i) for i in n],
            "events": [i % 4 for i in n],
        }
    )


def sites_table() -> pd.DataFrame:
    # Site centres inside A01, A02, A07 and one just outside the east edge (500 m).
    return pd.DataFrame(
        {
            "sid": ["S1", "S2", "S3", "S4"],
            "sname": ["One", "Two", "Three", "Outside"],
            "e": [X0 + 500, X0 + 1500, X0 + 2500, X0 + NX * SIDE + 500],
            "n": [Y0 + 500, Y0 + 500, Y0 + 1500, Y0 + 500],
            "phase": ["Primary", "Primary", "Secondary", "Primary"],
        }
    )


TOML = """
name = "Tiny"

[areas]
path = "areas.geojson"
code = "code"
name = "label"
attribution = "Tiny areas (test)"

[[indicators]]
path = "ind.csv"
code = "area"
attribution = "Tiny indicators (test)"
  [[indicators.columns]]
  key = "population"
  column = "pop"
  label = "Population"
  kind = "count"
  [[indicators.columns]]
  key = "children"
  column = "kids"
  label = "Children"
  kind = "count"
  [[indicators.columns]]
  key = "score"
  column = "score"
  label = "Score"
  kind = "mean"
  weight = "population"
  higher_is = "worse"
  [[indicators.columns]]
  key = "events"
  column = "events"
  label = "Events"
  kind = "count"
  sensitive = true
  [[indicators.columns]]
  key = "event_rate"
  label = "Event rate"
  kind = "rate"
  numerator = "events"
  denominator = "children"
  per = 1000

[[sites]]
path = "sites.csv"
kind = "school"
id = "sid"
name = "sname"
x = "e"
y = "n"
crs = "EPSG:27700"
details = { phase = "phase" }

[footprints]
path = "fp.csv"
code = "area"
name = "fp"
"""


def write_tiny_place(folder: Path, *, toml: str | None = None) -> Path:
    """Write the tiny place's files and config into ``folder``; return the TOML path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    areas = grid()
    areas.to_crs(4326).to_file(folder / "areas.geojson", driver="GeoJSON")
    indicator_table().to_csv(folder / "ind.csv", index=False)
    sites_table().to_csv(folder / "sites.csv", index=False)
    pd.DataFrame(
        {"area": areas["code"], "fp": ["West" if c < 2 else "East" for c in areas["col"]]}
    ).to_csv(folder / "fp.csv", index=False)
    path = folder / "place.toml"
    path.write_text(toml if toml is not None else TOML, encoding="utf-8")
    return path

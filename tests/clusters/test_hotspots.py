"""Hot spots: a planted cluster is found, FDR keeps false positives down, methods stated."""

from __future__ import annotations

import numpy as np
import pytest

from geo.build.places import open_place
from geo.clusters.hotspots import CLASSES, COLD, HOT, NOT_SIGNIFICANT, benjamini_hochberg, hotspots
from geo.errors import InputError
from tests.support.grid_place import code, grid_place

N = 20  # 20 x 20 grid


@pytest.fixture(scope="module")
def planted():
    """Noise with a 5x5 block of high values (rows/cols 3-7) and one of low values (12-16)."""
    rng = np.random.default_rng(7)
    v = rng.normal(50, 5, size=(N, N))
    v[3:8, 3:8] += 25
    v[12:17, 12:17] -= 25
    return grid_place({"need": v}, means=("need",))


@pytest.mark.parametrize("method", ["gi", "moran"])
def test_planted_hot_and_cold_clusters_are_found(planted, method):
    result = hotspots(planted, indicator="need", method=method, permutations=999)
    cls = result.table["cls"]
    hot_block = [code(r, c) for r in range(4, 7) for c in range(4, 7)]  # the block's interior
    cold_block = [code(r, c) for r in range(13, 16) for c in range(13, 16)]
    assert (cls[hot_block] == HOT).all()
    assert (cls[cold_block] == COLD).all()
    # hot spots are in or next to the planted block only
    rows = np.array([int(c[1:3]) for c in cls.index])
    cols = np.array([int(c[4:6]) for c in cls.index])
    near_hot = (rows >= 2) & (rows <= 8) & (cols >= 2) & (cols <= 8)
    assert not ((cls.to_numpy() == HOT) & ~near_hot).any()
    assert set(cls.unique()) <= set(CLASSES)
    assert "Benjamini-Hochberg" in result.method_text
    assert ("Getis-Ord Gi*" if method == "gi" else "Local Moran's I") in result.method_text


def test_fdr_reduces_false_positives_on_random_data():
    rng = np.random.default_rng(11)
    place = grid_place({"noise": rng.normal(size=(30, 30))}, means=("noise",))
    raw = hotspots(place, indicator="noise", fdr=False, permutations=999, seed=1)
    fdr = hotspots(place, indicator="noise", fdr=True, permutations=999, seed=1)
    n_raw = int((raw.table["cls"] != NOT_SIGNIFICANT).sum())
    n_fdr = int((fdr.table["cls"] != NOT_SIGNIFICANT).sum())
    assert n_raw > 0.02 * 900  # uncorrected tests at 5% flag plenty of random areas
    assert n_fdr < n_raw
    assert n_fdr <= 0.01 * 900
    assert "no multiple-testing correction" in raw.method_text


def test_benjamini_hochberg_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5, np.nan])
    sig, adj = benjamini_hochberg(p, alpha=0.05)
    # sorted: 0.005, 0.01, 0.03, 0.04, 0.5 (m = 5) -> raw adj 0.025, 0.025, 0.05, 0.05, 0.5
    assert adj[:5] == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.5])
    assert sig.tolist() == [True, True, True, True, False, False]
    assert np.isnan(adj[5])


def test_missing_values_are_left_out_and_reported(planted):
    from geo.place._edit import copy_place

    place = copy_place(planted)
    place.areas.loc[code(0, 0), "need"] = np.nan
    result = hotspots(place, indicator="need", permutations=99)
    assert result.table.loc[code(0, 0), "cls"] == NOT_SIGNIFICANT
    assert np.isnan(result.table.loc[code(0, 0), "p"])
    assert any(code(0, 0) in n for n in result.notes)


def test_demo_hotspots(tmp_path):
    place = open_place("demo")
    result = hotspots(place, indicator="imd_score", permutations=199)
    assert len(result.table) == len(place.areas)
    counts = result.counts()
    assert counts[HOT] > 0 and counts[COLD] > 0  # the demo's deprivation is clustered by design
    # hot spots are more deprived than cold spots
    t = result.table
    assert t.loc[t["cls"] == HOT, "value"].mean() > t.loc[t["cls"] == COLD, "value"].mean()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"indicator": "nope"}, "unknown indicator 'nope'"),
        ({"indicator": "imd_score", "method": "lisa"}, "unknown hotspot method"),
        ({"indicator": "imd_score", "permutations": 5}, "permutations"),
        ({"indicator": "imd_score", "alpha": 1.5}, "alpha"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        hotspots(open_place("demo"), **kwargs)


def test_constant_indicator_is_refused():
    place = grid_place({"flat": np.ones((4, 4))})
    with pytest.raises(InputError, match="same value"):
        hotspots(place, indicator="flat")


@pytest.mark.shared_data
def test_wigan_imd_hotspots(wigan_dir, tmp_path):
    from geo.place.bundle import read_place
    from tests.support.bundles import wigan_bundle

    place = read_place(wigan_bundle(wigan_dir, tmp_path))
    few = hotspots(place, indicator="imd_score", permutations=99)
    assert any("more permutations" in n for n in few.notes)  # 1/100 > 0.05/200
    for method in ("gi", "moran"):
        result = hotspots(place, indicator="imd_score", method=method, permutations=999)
        t = result.table
        assert len(t) == len(place.areas)
        assert (t["cls"] == HOT).sum() > 0
        assert t.loc[t["cls"] == HOT, "value"].min() > t["value"].median() * 0.8

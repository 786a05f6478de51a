"""``hubplan export-map`` on the real Wigan bundle (crowfly network, schools only): the
isochrones layer is accepted and drawn (issue 14), not refused."""

from __future__ import annotations

import pytest

from geo.place.bundle import read_place
from hubplan.cli.main import main
from layers.snapshot import known_layers, snapshot_figure
from tests.support.bundles import wigan_bundle


@pytest.fixture(scope="module")
def wigan(tmp_path_factory, wigan_dir):
    return wigan_bundle(wigan_dir, tmp_path_factory.mktemp("wigan-maps"))


def test_isochrones_known_and_drawn_on_wigan(wigan):
    place = read_place(wigan)
    assert place.meta.get("network_source") == "crowfly"
    assert "isochrones" in known_layers(place)
    fig = snapshot_figure(place, layers=["areas", "isochrones"])
    bands = [t for t in fig.data if (t.uid or "").startswith("overlay-isochrones")]
    assert len(bands) == 4  # 5, 10, 15 and 20 minutes
    assert all("walk to schools" in t.name and "approx" in t.name for t in bands)
    assert all(len(t.locations) >= 1 for t in bands)


@pytest.mark.browser
def test_export_map_with_isochrones_on_wigan(wigan, tmp_path, capsys):
    out = tmp_path / "wigan-iso.svg"
    code = main(["export-map", str(wigan), "--layers", "areas", "isochrones", "--out", str(out)])
    _stdout, err = capsys.readouterr()
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "walk to schools" in text and "Wigan" in text

"""Rebuilding a bundle keeps what people added to it (geo/carry_over.py via build_bundle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.build._carry_over import carry_over
from geo.build.pipeline import build_bundle
from geo.clusters.footprint_sets import footprint_sets, save_footprint_set
from geo.indicators.need_index import NeedIndexSpec, save_need_index, saved_specs
from geo.indicators.uploads import UPLOADS_TABLE, store_upload
from geo.place._edit import copy_place
from geo.place.bundle import read_place
from geo.place.config import Indicator
from hubplan.cli.main import main as cli_main
from tests.support.tiny import write_tiny_place


@pytest.fixture
def added(tmp_path):
    """A tiny bundle with an upload, a need index weighing it and a designed footprint set."""
    config = write_tiny_place(tmp_path / "src")
    out = tmp_path / "tiny.gpkg"
    place = build_bundle(config, out)
    codes = list(place.areas.index)
    csv = "code,n\n" + "".join(f"{c},{10 + k}\n" for k, c in enumerate(codes))
    store_upload(
        out,
        csv.encode(),
        filename="referrals.csv",
        code_column="code",
        value_column="n",
        indicator=Indicator(
            key="referrals",
            label="Referrals",
            kind="count",
            column="referrals",
            higher_is="worse",
            attribution="Referrals (c) Town Council",
        ),
    )
    save_need_index(
        out, NeedIndexSpec(weights={"score": 1, "referrals": 2}, key="need", label="Need")
    )
    save_footprint_set(
        out, "halves", pd.Series(["N" if i < 6 else "S" for i in range(len(codes))], index=codes)
    )
    return config, out, read_place(out)


def test_rebuild_keeps_uploads_need_index_and_footprint_sets(added):
    config, out, before = added
    after = build_bundle(config, out)
    again = read_place(out)
    np.testing.assert_array_equal(again.areas["referrals"], before.areas["referrals"])
    assert again.catalogue["referrals"] == before.catalogue["referrals"]
    assert "Referrals (c) Town Council" in {a.text for a in again.attributions}
    assert list(pd.DataFrame(again.tables[UPLOADS_TABLE])["filename"]) == ["referrals.csv"]
    np.testing.assert_allclose(again.areas["need"], before.areas["need"])
    assert saved_specs(again)["need"].weights == {"score": 1.0, "referrals": 2.0}
    pd.testing.assert_series_equal(
        footprint_sets(again)["halves"], footprint_sets(before)["halves"]
    )
    said = " | ".join(str(f) for f in after.findings)
    assert "kept uploaded indicator 'referrals'" in said and "need index 'need' recomputed" in said
    assert "kept footprint set 'halves'" in said


def test_fresh_build_drops_them_and_the_cli_says_what_it_kept(added, capsys):
    config, out, _ = added
    assert cli_main(["build", str(config), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "kept uploaded indicator 'referrals'" in err and "kept footprint set 'halves'" in err
    assert cli_main(["build", str(config), "--out", str(out), "--fresh"]) == 0
    again = read_place(out)
    assert "referrals" not in again.catalogue and "need" not in again.catalogue
    assert list(footprint_sets(again)) == ["current"]


def test_changed_areas_are_said_not_silently_lost(added):
    _, _, before = added
    new = copy_place(before)
    for key in ("referrals", "need"):  # a rebuilt place: the config knows neither
        new.areas = new.areas.drop(columns=key)
        del new.catalogue[key]
    new.tables = {}
    gone, fresh = new.areas.index[0], "Z99"
    new.areas = new.areas.rename(index={gone: fresh})
    notes = [str(f) for f in carry_over(before, new)]
    assert any("kept uploaded indicator 'referrals'" in n and "1 area(s) new" in n for n in notes)
    assert np.isnan(new.areas.at[fresh, "referrals"])
    assert (
        new.areas.at[new.areas.index[1], "referrals"]
        == before.areas.at[before.areas.index[1], "referrals"]
    )
    assert any("footprint set 'halves' dropped: 1 area(s)" in n for n in notes)
    assert "need" in new.catalogue  # recomputed: its indicators are all there


def test_need_index_without_its_indicator_is_dropped_with_a_warning(added):
    _, _, before = added
    new = copy_place(before)
    old = copy_place(before)
    old.tables = {k: v for k, v in old.tables.items() if k != UPLOADS_TABLE}  # upload not carried
    for key in ("referrals", "need"):
        new.areas = new.areas.drop(columns=key)
        del new.catalogue[key]
    new.tables = {}
    notes = [str(f) for f in carry_over(old, new)]
    assert any(
        n.startswith("warning: need index 'need' dropped") and "referrals" in n for n in notes
    )
    assert "need" not in new.catalogue


def test_unreadable_old_bundle_is_replaced_with_a_warning(tmp_path):
    config = write_tiny_place(tmp_path / "src")
    out = tmp_path / "tiny.gpkg"
    out.write_bytes(b"not a geopackage")
    place = build_bundle(config, out)
    assert any("cannot be read" in str(f) for f in place.findings)
    assert len(read_place(out).areas) == len(place.areas)


def test_a_bundle_with_nothing_added_is_not_read_again(tmp_path, monkeypatch):
    import geo.build.pipeline

    config = write_tiny_place(tmp_path / "src")
    out = tmp_path / "tiny.gpkg"
    build_bundle(config, out)
    reads = []
    monkeypatch.setattr(geo.build.pipeline, "read_place", lambda path: reads.append(path))
    build_bundle(config, out)
    assert reads == []  # layer names only: nothing to carry over

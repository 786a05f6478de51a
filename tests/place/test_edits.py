"""Shared edits (issue 17): stored in a database keyed by the place's identity, applied over the
read-only bundle whenever the place is opened; the bundle file is never rewritten."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.build.pipeline import build_bundle
from geo.build.places import open_place
from geo.clusters.footprint_sets import footprint_sets, save_footprint_set
from geo.indicators.need_index import NeedIndexSpec, save_need_index
from geo.indicators.profile import profile_table
from geo.place._edit import copy_place
from geo.place.bundle import read_meta, read_place
from geo.place.config import Indicator
from geo.place.edits import EditStore, PlaceChange, diff_places, place_id
from hubplan.cli.main import main
from tests.support.postgres import postgres_url  # noqa: F401  (fixture)
from tests.support.tiny import write_tiny_place

ROOT = Path(__file__).resolve().parents[2]
REFERRALS = Indicator(
    key="referrals", label="Referrals", kind="count", column="referrals", higher_is="worse",
    attribution="Referrals (c) Town Council",
)  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch):
    """Each test runs on SQLite beside the bundle and on a throwaway PostgreSQL database."""
    if request.param == "postgresql":
        monkeypatch.setenv("HUBPLAN_DATABASE_URL", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    return request.param


@pytest.fixture
def tiny(tmp_path):
    config = write_tiny_place(tmp_path / "src")
    return build_bundle(config, tmp_path / "tiny.gpkg").path


def _csv(path: Path, offset: int = 10) -> bytes:
    codes = list(read_place(path, edits=False).areas.index)
    return ("code,n\n" + "".join(f"{c},{offset + k}\n" for k, c in enumerate(codes))).encode()


def test_build_stores_an_identity_and_copies_share_it(tiny, tmp_path):
    meta = read_meta(tiny)
    assert len(meta["place_id"]) == 32
    copy = tmp_path / "elsewhere" / "copy.gpkg"
    copy.parent.mkdir()
    shutil.copy(tiny, copy)
    assert place_id(read_place(copy)) == meta["place_id"]


def test_add_indicator_leaves_the_bundle_byte_identical_and_a_copy_sees_it(tiny, tmp_path, backend):
    before = tiny.read_bytes()
    upload = tmp_path / "referrals.csv"
    upload.write_bytes(_csv(tiny))
    code = main(["add-indicator", str(tiny), "--csv", str(upload), "--code", "code",
                 "--column", "n", "--key", "referrals", "--label", "Referrals", "--kind", "count"])  # fmt: skip
    assert code == 0
    assert tiny.read_bytes() == before
    # Another machine's copy of the same bundle, pointed at the same store.
    copy = tmp_path / "machine-b" / "tiny.gpkg"
    copy.parent.mkdir()
    shutil.copy(tiny, copy)
    if backend == "sqlite":  # the SQLite store travels beside the bundle
        shutil.copy(tiny.with_name("tiny.edits.sqlite"), copy.with_name("tiny.edits.sqlite"))
    seen = open_place(copy)
    assert "referrals" in seen.catalogue
    table = profile_table(seen).set_index("footprint")
    expected = sum(10 + k for k in range(len(seen.areas)))
    assert table.loc["All areas", "referrals"] == expected


def test_need_index_and_footprint_set_saves_do_not_rewrite_the_bundle(tiny, backend):
    before = tiny.read_bytes()
    save_need_index(tiny, NeedIndexSpec(weights={"score": 1}, key="need", label="Need"))
    codes = list(read_place(tiny).areas.index)
    save_footprint_set(tiny, "halves", pd.Series(["N"] * 6 + ["S"] * (len(codes) - 6), index=codes))
    assert tiny.read_bytes() == before
    place = open_place(tiny)
    assert "need" in place.catalogue and np.isfinite(place.areas["need"]).all()
    assert set(footprint_sets(place)) == {"current", "halves"}
    assert [e.what for e in EditStore.for_bundle(tiny).edits(place_id(place))] == [
        "need index need",
        "footprint set halves",
    ]


def test_open_place_sees_an_edit_saved_by_another_process(tiny, backend, monkeypatch):
    monkeypatch.setenv("HUBPLAN_EDITS_TTL", "0")  # immediately, not within the cache's TTL
    assert "need" not in open_place(tiny).catalogue  # cached now
    script = (
        "import sys; from geo.indicators.need_index import NeedIndexSpec, save_need_index; "
        "save_need_index(sys.argv[1], NeedIndexSpec(weights={'score': 1}, key='need', label='Need'))"
    )
    subprocess.run([sys.executable, "-c", script, str(tiny)], check=True, cwd=ROOT, timeout=120)
    assert "need" in open_place(tiny).catalogue


def test_concurrent_saves_from_several_processes_lose_nothing(tiny, backend):
    script = (
        "import sys, pandas as pd; from geo.place.bundle import read_place; "
        "from geo.clusters.footprint_sets import save_footprint_set; "
        "codes = list(read_place(sys.argv[1], edits=False).areas.index); "
        "save_footprint_set(sys.argv[1], sys.argv[2], pd.Series(['A'] * len(codes), index=codes))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tiny), f"set{i}"], cwd=ROOT)
        for i in range(4)
    ]
    assert [p.wait(timeout=180) for p in procs] == [0, 0, 0, 0]
    assert set(footprint_sets(open_place(tiny))) == {"current", "set0", "set1", "set2", "set3"}
    seqs = [e.seq for e in EditStore.for_bundle(tiny).edits(place_id(read_place(tiny)))]
    assert seqs == [1, 2, 3, 4]


def test_a_failed_change_stores_nothing(tiny, backend):
    with pytest.raises(Exception, match="misses"):
        save_footprint_set(tiny, "bad", pd.Series(["A"], index=["nope"]))
    assert EditStore.for_bundle(tiny).edits(place_id(read_place(tiny))) == []


def test_cli_edits_list_export_and_apply(tiny, tmp_path, capsys, backend):
    save_need_index(tiny, NeedIndexSpec(weights={"score": 1}, key="need", label="Need"))
    assert main(["edits", str(tiny), "list"]) == 0
    out = capsys.readouterr().out
    assert "1 edit(s) of" in out and "need index need" in out and "1 area column" in out
    assert str(tiny.parent) not in out  # where the store is, without local paths
    exported = tmp_path / "edits.json"
    assert main(["edits", str(tiny), "export", "--out", str(exported)]) == 0
    data = json.loads(exported.read_text())
    assert data["place_id"] == place_id(read_place(tiny)) and len(data["edits"]) == 1
    assert "need" in data["edits"][0]["change"]["columns"]
    folded = tmp_path / "offline.gpkg"
    assert main(["edits", str(tiny), "apply", "--out", str(folded)]) == 0
    offline = read_place(folded, edits=False)  # the file alone holds the edit
    assert "need" in offline.catalogue
    np.testing.assert_allclose(offline.areas["need"], open_place(tiny).areas["need"])
    assert place_id(offline) != place_id(read_place(tiny))
    assert read_place(folded).catalogue == offline.catalogue  # no edit applies to it twice
    assert main(["edits", str(tiny), "apply", "--out", str(tiny)]) == 2
    assert "never rewritten" in capsys.readouterr().err


def test_diff_round_trips_through_json(tiny):
    place = read_place(tiny)
    after = copy_place(place)
    after.areas["x"] = np.arange(len(after.areas), dtype=float)
    after.areas.iloc[0, after.areas.columns.get_loc("x")] = np.nan
    after.tables["notes"] = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    change = PlaceChange.from_json(diff_places(place, after).to_json())
    assert set(change.columns) == {"x"} and change.columns["x"][str(place.areas.index[0])] is None
    assert set(change.tables) == {"notes"}
    with pytest.raises(ValueError, match="rebuild"):
        moved = copy_place(place)
        moved.areas = moved.areas.iloc[1:]
        diff_places(place, moved)

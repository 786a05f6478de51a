"""Bad input raises the specific kind of :class:`geo.errors.InputError`.

Config and settings problems are :class:`ConfigError`, a source file's contents
:class:`DataError`, a road network or travel mode :class:`NetworkError`; a bad argument stays a
plain :class:`InputError`. All of them are still ``InputError`` (and ``ValueError``), so code
catching those keeps working.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import geo
from geo.build.pipeline import build_bundle
from geo.clusters.footprint_sets import read_lookup
from geo.errors import ConfigError, DataError, InputError, NetworkError
from geo.indicators.uploads import UploadError
from geo.network.graph import mode_graph
from geo.network.modes import check_mode
from geo.place.bundle import read_place
from geo.settings import cache_dir
from geo.siting import candidates
from tests.support.tiny import TOML, write_tiny_place

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
LONLAT_SITES = TOML.replace('x = "e"\ny = "n"\ncrs = "EPSG:27700"', 'lon = "lon"\nlat = "lat"')
NETWORK = TOML + '\n[network]\nsource = "roads.osm"\n'
KINDS = (ConfigError, DataError, NetworkError)


def _build(tmp_path: Path, *, toml: str, replace: tuple[str, str] | None = None) -> None:
    src = tmp_path / "src"
    cfg = write_tiny_place(src, toml=toml)
    if replace is not None:
        corpus_file, slot = replace
        shutil.copyfile(CORPUS / corpus_file, src / slot)
    build_bundle(cfg, tmp_path / "place.gpkg")


def _kind(exc: InputError) -> type:
    return next((k for k in KINDS if isinstance(exc, k)), InputError)


def test_the_kinds_are_input_errors():
    for kind in KINDS:
        assert issubclass(kind, InputError) and issubclass(kind, ValueError)
    assert issubclass(UploadError, DataError)
    assert geo.DataError is DataError and geo.NetworkError is NetworkError


@pytest.mark.parametrize(
    ("corpus_file", "slot", "toml"),
    [
        ("sites_duplicate_ids.csv", "sites.csv", LONLAT_SITES),
        ("sites_far_outside.csv", "sites.csv", LONLAT_SITES),
        ("sites_swapped_lonlat.csv", "sites.csv", LONLAT_SITES),
    ],
)
def test_a_bad_source_file_is_a_data_error(tmp_path, corpus_file, slot, toml):
    with pytest.raises(DataError) as info:
        _build(tmp_path, toml=toml, replace=(corpus_file, slot))
    assert slot in str(info.value)  # still names the file


@pytest.mark.parametrize("corpus_file", ["osm_not_xml.osm", "osm_no_highways.osm"])
def test_a_bad_osm_file_is_a_network_error(tmp_path, corpus_file):
    with pytest.raises(NetworkError, match=r"roads\.osm: "):
        _build(tmp_path, toml=NETWORK, replace=(corpus_file, "roads.osm"))


def test_a_bad_network_option_is_a_config_error(tmp_path):
    toml = TOML + '\n[network]\nsource = "crowfly"\naccess = ["nursery"]\n'
    with pytest.raises(
        ConfigError, match=r"place\.toml: 'network\.access' names unknown site kind"
    ):
        _build(tmp_path, toml=toml)


def test_an_unusable_cache_folder_is_a_config_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("HUBPLAN_CACHE", str(blocker / "cache"))
    with pytest.raises(ConfigError, match="HUBPLAN_CACHE"):
        cache_dir()


def test_a_file_that_is_not_a_bundle_is_a_data_error(tmp_path):
    fake = tmp_path / "fake.gpkg"
    fake.write_text("hello", encoding="utf-8")
    with pytest.raises(DataError, match="not a place bundle"):
        read_place(fake)


def test_lookup_and_candidate_files_are_data_errors(tmp_path):
    lookup = tmp_path / "lookup.csv"
    pd.DataFrame({"code": ["A01"], "fp": ["West"]}).to_csv(lookup, index=False)
    with pytest.raises(DataError, match="missing column 'footprint'"):
        read_lookup(lookup, pd.Index(["A01"]))

    src = tmp_path / "src"
    place = read_place(_tiny_bundle(tmp_path))
    dupes = src / "candidates.csv"
    pd.DataFrame({"id": ["C1", "C1"], "x": [400_500, 401_500], "y": [300_500, 300_500]}).to_csv(
        dupes, index=False
    )
    with pytest.raises(DataError, match="candidate id 'C1' appears more than once"):
        candidates.from_file(place, dupes)


def _tiny_bundle(tmp_path: Path) -> Path:
    cfg = write_tiny_place(tmp_path / "src")
    out = tmp_path / "tiny.gpkg"
    build_bundle(cfg, out)
    return out


def test_travel_modes_and_missing_networks_are_network_errors(tmp_path):
    place = read_place(_tiny_bundle(tmp_path))  # no [network]: crow-fly only
    with pytest.raises(NetworkError, match="unknown mode 'hovercraft'"):
        check_mode(place, "hovercraft")
    with pytest.raises(NetworkError, match="has no road network"):
        mode_graph(place, "walk")


def test_a_bad_argument_stays_a_plain_input_error(tmp_path):
    place = read_place(_tiny_bundle(tmp_path))
    with pytest.raises(InputError) as info:
        geo.regionalize(place, k=0, balance="population")
    assert _kind(info.value) is InputError

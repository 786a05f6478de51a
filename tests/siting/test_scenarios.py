"""Saved scenarios in SQLite (WAL) and PostgreSQL: CRUD, name clashes, concurrent saves, compare."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3

import numpy as np
import pytest

from geo.errors import InputError
from geo.siting.problem import SitingProblem
from geo.siting.scenarios import Scenario, ScenarioStore, compare, from_result, sqlite_path_for
from tests.support.postgres import postgres_url  # noqa: F401  (fixture)

WORKERS, EACH = 4, 15


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return ScenarioStore(path=tmp_path / "plans.scenarios.sqlite")
    url = request.getfixturevalue("postgres_url")
    db = f"t{abs(hash(request.node.name)) % 10**8}"
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {db}")
        con.execute(f"CREATE DATABASE {db}")
    return ScenarioStore(url=url.rsplit("/", 1)[0] + "/" + db)


def _result(hubs: int):
    costs = np.array([[1.0, 9.0, 20.0], [9.0, 1.0, 20.0], [20.0, 20.0, 1.0], [3.0, 30.0, 30.0]])
    problem = SitingProblem.from_cost_matrix(
        costs,
        [10, 20, 30, 5],
        candidate_ids=["a", "b", "c"],
        demand_ids=["d1", "d2", "d3", "d4"],
        groups=[1, 1, 2, 2],
    )
    return problem.solve(objective="coverage", hubs=hubs, minutes=5)


def test_crud_clash_and_overwrite(store):
    res = _result(1)
    sc = from_result("Plan A", res, mode="walk", params={"weight": "kids"})
    saved = store.save("Town", sc)
    assert saved.created_at and saved.saved_at
    assert store.names("Town") == ["Plan A"] and store.names("Other") == []
    loaded = store.load("Town", "Plan A")
    assert loaded.hubs == res.selected and loaded.params == {"weight": "kids"}
    assert loaded.results["covered_share"] == pytest.approx(res.covered_share)
    assert loaded.results["area_covered"]["d3"] is True
    with pytest.raises(InputError, match=r"'Plan A' already exists for Town; .*overwrite"):
        store.save("Town", from_result("Plan A", _result(2), mode="walk"))
    assert store.load("Town", "Plan A").hubs == res.selected  # unchanged after the refused save
    store.save("Town", from_result("Plan A", _result(2), mode="cycle"), overwrite=True)
    again = store.load("Town", "Plan A")
    assert len(again.hubs) == 2 and again.mode == "cycle" and again.created_at == saved.created_at
    with pytest.raises(InputError, match="no scenario called 'Nope' for Town; saved: 'Plan A'"):
        store.load("Town", "Nope")
    store.delete("Town", "Plan A")
    assert store.list_scenarios("Town").empty
    with pytest.raises(InputError, match="no scenario called 'Plan A'"):
        store.delete("Town", "Plan A")
    with pytest.raises(InputError, match="needs a name"):
        store.save("Town", Scenario(name="  ", objective="coverage", hubs=[]))


def _save_many(args):
    kind, target, worker = args
    st = ScenarioStore(path=target) if kind == "sqlite" else ScenarioStore(url=target)
    for k in range(EACH):
        st.save(
            "Town",
            Scenario(
                name=f"w{worker}-{k}",
                objective="coverage",
                hubs=[f"h{k}"],
                results={"covered_share": k / EACH},
            ),
        )
        st.save(
            "Town", Scenario(name="shared", objective="median", hubs=[f"w{worker}"]), overwrite=True
        )
    return worker


def test_concurrent_saves_lose_nothing(store):
    target = str(store.path) if store.backend == "sqlite" else store.url
    ctx = mp.get_context("fork")
    with ctx.Pool(WORKERS) as pool:
        done = pool.map(_save_many, [(store.backend, target, w) for w in range(WORKERS)])
    assert sorted(done) == list(range(WORKERS))
    names = set(store.names("Town"))
    expected = {f"w{w}-{k}" for w in range(WORKERS) for k in range(EACH)} | {"shared"}
    assert names == expected
    assert store.load("Town", "shared").hubs[0] in {f"w{w}" for w in range(WORKERS)}


def _save_one(args):
    target, worker = args
    ScenarioStore(path=target).save(
        "Town", Scenario(name=f"w{worker}", objective="coverage", hubs=[])
    )
    return worker


def test_many_processes_creating_one_sqlite_database_all_succeed(tmp_path):
    # Switching a new database to WAL can answer SQLITE_BUSY without waiting; each
    # opener must retry rather than fail. Without the retry this failed in ~1 of 5 rounds.
    ctx = mp.get_context("fork")
    with ctx.Pool(8) as pool:
        for round_ in range(30):
            target = tmp_path / f"r{round_}.scenarios.sqlite"
            assert sorted(pool.map(_save_one, [(target, w) for w in range(8)])) == list(range(8))
            assert len(ScenarioStore(path=target).names("Town")) == 8


def test_sqlite_is_wal_and_beside_the_bundle(tmp_path):
    path = sqlite_path_for(tmp_path / "wigan.gpkg")
    assert path == tmp_path / "wigan.scenarios.sqlite"
    ScenarioStore(path=path).save("W", from_result("x", _result(1), mode="walk"))
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_for_bundle_uses_database_url_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_DATABASE_URL", "postgresql://u:secret@db.example:5433/plans")
    st = ScenarioStore.for_bundle(tmp_path / "x.gpkg")
    assert (
        st.backend == "postgresql"
        and "secret" not in st.describe()
        and "5433/plans" in st.describe()
    )
    monkeypatch.delenv("HUBPLAN_DATABASE_URL")
    assert ScenarioStore.for_bundle(tmp_path / "x.gpkg").backend == "sqlite"


def test_compare_side_by_side():
    a = from_result("one", _result(1), mode="walk")
    b = from_result("two", _result(2), mode="walk")
    out = compare(a, b)
    summary = out["summary"].set_index("metric")
    assert summary.loc["hubs", "difference"] == 1
    assert summary.loc["covered weight", "difference"] == pytest.approx(
        b.results["covered_weight"] - a.results["covered_weight"]
    )
    hubs = out["hubs"].set_index("hub")["in"].to_dict()
    assert set(hubs.values()) <= {"both", "a only", "b only"}
    assert sum(v == "b only" for v in hubs.values()) == 1
    gained = out["areas"].set_index("demand")["change"].to_dict()
    assert gained and set(gained.values()) == {"gained"}
    assert list(out["equity"]["group"])[-1] == "All"
    assert list(out["bands"]["band"])[:2] == ["0-5", "5-10"]
    assert out["notes"] == []


def test_reading_never_creates_the_sqlite_file(tmp_path):
    path = tmp_path / "x.scenarios.sqlite"
    store = ScenarioStore(path=path)
    assert store.list_scenarios("X").empty and store.names("X") == []
    with pytest.raises(InputError, match="no scenario called 'a'"):
        store.load("X", "a")
    assert not path.exists()

"""Places in PostGIS (issue 17, part 4): ``hubplan build CONFIG --out postgresql://...?schema=S``
writes the place into a schema (PostGIS geometry in the working CRS, so QGIS opens it), every
PLACE argument and the app take the URL, edits go to the same database, and a rebuild
replaces the schema atomically. A password in the URL never reaches a message or a page."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from geo.build.pipeline import build_bundle
from geo.build.places import open_place
from geo.errors import InputError
from geo.indicators.need_index import NeedIndexSpec, save_need_index
from geo.place._edit import copy_place
from geo.place.bundle import CORE_LAYERS, read_meta, read_place, write_place
from geo.place.edits import EditStore, place_id
from geo.place.postgis import describe, parse_url
from geo.siting.scenarios import ScenarioStore
from hubplan.cli.main import main
from tests.support.dash_http import find_component, flask_post, router_body, texts, update_body
from tests.support.postgres import _required, postgres_url  # noqa: F401  (fixture)
from tests.support.tiny import write_tiny_place

SECRET = "s3cretpw"  # the test cluster trusts every login, so any password works


def place_url(server: str, schema: str) -> str:
    """``server`` with a password in it and ``?schema=schema``."""
    return server.replace("postgres@", f"postgres:{SECRET}@") + f"?schema={schema}"


@pytest.fixture(scope="module", autouse=True)
def postgis_available(postgres_url):  # noqa: F811
    """Skip when the server has no PostGIS extension files (fail under REQUIRE_POSTGRES=1)."""
    found = sql(postgres_url, "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    if not found:
        msg = "the PostGIS extension is not installed (apt-get install postgis)"
        if _required():
            pytest.fail(f"{msg}; REQUIRE_POSTGRES=1 so this is an error", pytrace=False)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    return write_tiny_place(tmp_path_factory.mktemp("tiny-src"))


@pytest.fixture(scope="module")
def built(config, tmp_path_factory, postgres_url):  # noqa: F811
    """The tiny place built twice: into a GeoPackage and into PostGIS schema ``tiny``."""
    gpkg = build_bundle(config, tmp_path_factory.mktemp("tiny-gpkg") / "tiny.gpkg").path
    url = place_url(postgres_url, "tiny")
    built = build_bundle(config, url)
    assert built.path == url
    return gpkg, url


def sql(server: str, query: str, params: tuple | None = None) -> list[tuple]:
    with psycopg.connect(server, autocommit=True) as con:
        cur = con.execute(query, params)
        return cur.fetchall() if cur.description else []


# --------------------------------------------------------------------------- URLs


def test_place_urls_are_checked_and_described_without_password():
    place = parse_url(
        f"postgresql://me:{SECRET}@db.example.org:6543/plans?schema=wigan&sslmode=require"
    )
    assert place.schema == "wigan" and place.label == "wigan@db.example.org/plans"
    assert "schema" not in place.url and "sslmode=require" in place.url and SECRET in place.url
    assert describe(f"postgresql://me:{SECRET}@h/db?schema=wigan") == "wigan@h/db"
    assert describe("/some/where/tiny.gpkg") == "/some/where/tiny.gpkg"
    bad = {
        f"postgresql://me:{SECRET}@h/db": "needs ?schema=NAME",
        f"postgresql://me:{SECRET}@h/db?schema=": "needs ?schema=NAME",
        f"postgresql://me:{SECRET}@h/db?schema=Wigan;drop": "not a usable place name",
        f"postgresql://me:{SECRET}@h/db?schema=public": "reserved",
        f"postgres://me:{SECRET}@h/db?schema=pg_catalog": "reserved",
    }
    for url, words in bad.items():
        with pytest.raises(InputError) as info:
            parse_url(url)
        assert words in str(info.value) and SECRET not in str(info.value)
        assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- build and open


def test_postgis_place_equals_the_geopackage_build(built):
    gpkg, url = built
    a, b = read_place(gpkg, edits=False), read_place(url, edits=False)
    assert b.path == url and b.name == a.name and b.crs == a.crs == "EPSG:27700"
    cols = [c for c in a.areas.columns if c != "geometry"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(b.areas[cols]), pd.DataFrame(a.areas[cols]), check_dtype=False
    )
    assert b.areas.geometry.geom_equals(a.areas.geometry).all()
    assert b.areas.crs.equals(a.areas.crs)
    for what in ("footprints", "sites"):
        left, right = getattr(a, what), getattr(b, what)
        pd.testing.assert_frame_equal(
            pd.DataFrame(right.drop(columns="geometry")),
            pd.DataFrame(left.drop(columns="geometry")),
            check_dtype=False,
        )
        assert right.geometry.geom_equals(left.geometry).all(), what
        assert right.crs.equals(left.crs), what
    assert b.catalogue == a.catalogue
    assert b.attributions == a.attributions and b.findings == a.findings
    assert {k: v for k, v in b.meta.items() if k not in ("built_at", "place_id")} == {
        k: v for k, v in a.meta.items() if k not in ("built_at", "place_id")
    }
    assert b.config_text == a.config_text and b.synthetic == a.synthetic


def test_schema_holds_postgis_tables_in_the_working_crs(built, postgres_url):  # noqa: F811
    _, url = built
    rows = sql(
        postgres_url,
        "SELECT f_table_name, srid, type FROM geometry_columns WHERE f_table_schema = 'tiny'",
    )
    geometry = {name: srid for name, srid, _ in rows}
    assert geometry == {"areas": 27700, "footprints": 27700, "sites": 27700}
    tables = {
        r[0] for r in sql(postgres_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'tiny'")
    }
    assert set(CORE_LAYERS) <= tables
    # QGIS edits need a key: areas have their code as primary key.
    key = sql(
        postgres_url,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'tiny.areas'::regclass AND i.indisprimary",
    )
    assert key == [("code",)]
    assert read_meta(url)["format"] == "hubplan-place"
    # No temporary schema is left behind by the build.
    assert not sql(
        postgres_url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE '%hubplan_tmp%'"
    )


def test_cli_takes_the_url_and_never_prints_the_password(built, config, capsys, postgres_url):  # noqa: F811
    from hubplan.web import prepare_place

    _, url = built
    cli_url = place_url(postgres_url, "from_cli")
    assert main(["build", str(config), "--out", cli_url, "--quiet"]) == 0
    out = capsys.readouterr()
    assert "built from_cli@127.0.0.1/postgres" in out.out and SECRET not in out.out + out.err
    assert read_place(cli_url).name == read_place(url).name
    assert main(["edits", cli_url, "list"]) == 0
    out = capsys.readouterr()
    assert "0 edit(s)" in out.out and SECRET not in out.out + out.err
    assert prepare_place(url) == url  # hubplan serve --place URL / HUBPLAN_PLACE=URL
    assert main(["info", url]) == 0
    out = capsys.readouterr()
    assert "tiny@127.0.0.1/postgres" in out.out and SECRET not in out.out + out.err
    assert main(["profile", url]) == 0
    out = capsys.readouterr()
    assert "West" in out.out and SECRET not in out.out + out.err


# --------------------------------------------------------------------------- errors


def test_bad_url_missing_schema_and_unreachable_server_are_one_line(
    postgres_url,  # noqa: F811
    capsys,
):
    cases = {
        postgres_url.replace("postgres@", f"postgres:{SECRET}@"): "needs ?schema=NAME",
        place_url(postgres_url, "nosuchplace"): "no place in schema 'nosuchplace'",
        f"postgresql://postgres:{SECRET}@127.0.0.1:1/postgres?schema=x": "cannot connect",
    }
    for url, words in cases.items():
        assert main(["info", url]) == 2, url
        err = capsys.readouterr().err
        assert words in err and SECRET not in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err


def test_a_schema_that_is_not_a_place_is_never_replaced(built, postgres_url):  # noqa: F811
    gpkg, _ = built
    sql(postgres_url, "CREATE SCHEMA other; CREATE TABLE other.precious (x int)")
    url = place_url(postgres_url, "other")
    with pytest.raises(InputError, match="not a hubplan place") as info:
        write_place(read_place(gpkg, edits=False), url)
    assert SECRET not in str(info.value)
    assert sql(postgres_url, "SELECT to_regclass('other.precious') IS NOT NULL") == [(True,)]
    with pytest.raises(InputError, match="not a complete place"):
        read_place(url)


def test_missing_postgis_extension_that_the_role_cannot_create_is_one_line(
    built,
    postgres_url,  # noqa: F811
):
    gpkg, _ = built
    sql(postgres_url, "CREATE ROLE planner LOGIN")
    sql(postgres_url, "CREATE DATABASE noext OWNER planner")
    url = postgres_url.replace("postgres@", "planner@").rsplit("/", 1)[0] + "/noext?schema=w"
    with pytest.raises(InputError, match="no postgis extension") as info:
        write_place(read_place(gpkg, edits=False), url)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- edits and cache


def test_edits_go_to_the_same_database_and_reopen(config, postgres_url, monkeypatch):  # noqa: F811
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    url = place_url(postgres_url, "edited")
    build_bundle(config, url)
    before = open_place(url)
    assert "need_index" not in before.catalogue
    store = EditStore.for_bundle(url)
    assert store.backend == "postgresql" and SECRET not in store.describe()
    assert ScenarioStore.for_bundle(url).backend == "postgresql"
    assert "schema" not in ScenarioStore.for_bundle(url).url  # the server URL alone, for libpq
    spec = NeedIndexSpec(weights={"score": 1.0}, key="need_index", label="Need index")
    saved = save_need_index(url, spec)
    assert saved.path == url and "need_index" in saved.catalogue
    again = open_place(url)
    assert "need_index" in again.catalogue and again.meta.get("edits") == "1"
    assert store.version(place_id(again)) == 1
    rows = sql(
        postgres_url,
        "SELECT count(*) FROM public.hubplan_edits WHERE place_id = %s",
        (place_id(again),),
    )
    assert rows == [(1,)]
    # Reading the place alone (no edits) still gives the stored place.
    assert "need_index" not in read_place(url, edits=False).catalogue
    # HUBPLAN_DATABASE_URL, when set, is where edits go instead.
    monkeypatch.setenv("HUBPLAN_DATABASE_URL", postgres_url.rsplit("/", 1)[0] + "/template1")
    assert EditStore.for_bundle(url).url.endswith("/template1")


def test_open_cache_notices_a_rebuild(config, postgres_url):  # noqa: F811
    url = place_url(postgres_url, "rebuilt")
    first = build_bundle(config, url)
    opened = open_place(url)
    assert opened.name == first.name and open_place(url) is opened  # cached while unchanged
    assert opened.meta["place_id"] == read_meta(url)["place_id"]
    changed = copy_place(opened)
    changed.name = "Renamed town"
    changed.meta = {
        **changed.meta,
        "place_id": "second-build",
        "built_at": "2030-01-01T00:00:00+00:00",
    }
    write_place(changed, url)
    reopened = open_place(url)
    assert reopened.name == "Renamed town" and reopened.meta["place_id"] == "second-build"


# --------------------------------------------------------------------------- atomic rebuild


def test_a_reader_during_rebuilds_always_sees_a_whole_place(built, postgres_url):  # noqa: F811
    gpkg, _ = built
    url = place_url(postgres_url, "atomic")
    base = read_place(gpkg, edits=False)
    versions = {}
    for n in (1, 2):
        place = copy_place(base)
        place.name = f"version {n}"
        place.areas["population"] = base.areas["population"] * n
        place.meta = {**place.meta, "place_id": f"v{n}"}
        versions[n] = place
    write_place(versions[1], url)
    seen: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                got = read_place(url, edits=False)
            except BaseException as exc:  # reported by the test below
                errors.append(exc)
                return
            n = int(got.name.split()[-1])
            whole = (
                got.meta["place_id"] == f"v{n}"
                and got.areas["population"].tolist() == versions[n].areas["population"].tolist()
                and len(got.footprints) == len(base.footprints)
                and len(got.sites) == len(base.sites)
            )
            seen.append(got.name if whole else f"MIXED {got.name}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in (2, 1, 2, 1):
            write_place(versions[n], url)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not errors, errors
    assert seen and not [s for s in seen if s.startswith("MIXED")]
    assert read_place(url, edits=False).name == "version 1"


def test_a_failed_write_leaves_the_old_place(built, postgres_url):  # noqa: F811
    gpkg, _ = built
    url = place_url(postgres_url, "kept")
    place = read_place(gpkg, edits=False)
    write_place(place, url)
    broken = copy_place(place)
    broken.name = "broken"
    broken.tables["bad"] = pd.DataFrame({"x": [{"not": "storable"}]})
    with pytest.raises(InputError, match="old place is unchanged") as info:
        write_place(broken, url)
    assert SECRET not in str(info.value)
    assert read_place(url, edits=False).name == place.name
    assert not sql(
        postgres_url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kept%hubplan_tmp%'"
    )


# --------------------------------------------------------------------------- serving


def test_the_app_serves_a_postgis_place(built):
    from hubplan.pages._state import place_choices, place_key
    from hubplan.web import create_app

    _, url = built
    app = create_app(place=url)
    client = app.server.test_client()
    page = client.get("/")
    assert page.status_code == 200 and SECRET.encode() not in page.data
    post = flask_post(client)
    status, data = post("/_dash-update-component", router_body("/", ""))
    assert status == 200 and SECRET.encode() not in data and b"postgresql://" not in data
    tree = json.loads(data)["response"]["_pages_content"]["children"]
    fig = find_component(tree, "home-map")["props"]["figure"]
    index = find_component(tree, "home-index")["props"]["data"]
    state = find_component(tree, "home-state")["props"]["data"]
    place = open_place(url)
    assert state["place"] == place_key(url) == "tiny"
    assert sorted(fig["data"][index["areas"]]["locations"]) == sorted(place.areas.index)
    with app.server.app_context():
        labels = {c["value"]: c["label"] for c in place_choices()}
    assert labels["tiny"] == "tiny@127.0.0.1/postgres"
    body = update_body(
        [
            ("home-map", "figure"),
            ("home-panel", "children"),
            ("home-values-table", "children"),
            ("home-indicator-note", "children"),
            ("home-state", "data"),
        ],
        [
            ("home-indicator", "value", "score"),
            ("home-footprint", "value", "West"),
            ("home-layers", "value", state["layers"]),
            ("home-basemap", "value", "none"),
        ],
        state=[("home-index", "data", index), ("home-state", "data", state)],
        changed=["home-footprint.value"],
    )
    status, data = post("/_dash-update-component", body)
    assert status == 200 and SECRET.encode() not in data
    response = json.loads(data)["response"]
    assert "West" in texts(response["home-panel"]["children"])


def test_a_dead_writers_temp_schema_is_dropped_and_a_live_ones_kept(built, postgres_url):  # noqa: F811
    from geo.place.postgis import _temp_lock

    gpkg, _ = built
    url = place_url(postgres_url, "leftover")
    dead, live = "leftover__hubplan_tmp_deadbeef", "leftover__hubplan_tmp_0badcafe"
    sql(postgres_url, f"CREATE SCHEMA {dead}; CREATE TABLE {dead}.areas (x int)")
    sql(postgres_url, f"CREATE SCHEMA {live}")
    with psycopg.connect(postgres_url, autocommit=True) as holder:  # a writer still at work
        holder.execute("SELECT pg_advisory_lock(%s)", (_temp_lock(live),))
        write_place(read_place(gpkg, edits=False), url)
        temps = sql(
            postgres_url,
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'leftover__') ORDER BY 1",
        )
        assert temps == [(live,)]
    assert read_place(url, edits=False).name == read_place(gpkg, edits=False).name


def test_a_rebuild_keeps_what_users_added(config, postgres_url, monkeypatch):  # noqa: F811
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    url = place_url(postgres_url, "carried")
    build_bundle(config, url)
    first_id = read_meta(url)["place_id"]
    spec = NeedIndexSpec(weights={"score": 1.0}, key="need_index", label="Need index")
    save_need_index(url, spec)
    rebuilt = build_bundle(config, url)
    assert read_meta(url)["place_id"] != first_id
    opened = open_place(url)
    assert "need_index" in opened.catalogue and "edits" not in opened.meta
    assert any("need index" in f.message.lower() for f in rebuilt.findings)

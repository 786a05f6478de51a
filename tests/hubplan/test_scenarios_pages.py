"""A saved scenario everywhere (issue 16): reopened in the Planner from ``?scenario=NAME``,
shown on the Map page (hubs and catchments) and chosen as the hub set on the Access page, and
drawn in map exports (the dashboard's and ``hubplan export-map --scenario``). Over HTTP with
the Flask test client, on a copy of the demo bundle with one saved plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from benchmarks.load_test import PLANNER_OUTPUTS as RUN_OUTPUTS  # one list of the Run's outputs
from geo.build.places import demo_bundle_path, open_place
from geo.siting.plan import run_plan
from geo.siting.scenarios import ScenarioStore, from_result
from hubplan.web import create_app
from tests.support.dash_http import (
    end_id,
    find_component,
    flask_post,
    router_body,
    run_background,
    update_body,
)

NAME = "Five, none kept"
CONTROL_IDS = [
    "planner-objective",
    "planner-hubs",
    "planner-minutes",
    "planner-target",
    "planner-mode",
    "planner-weight",
    "planner-candidates",
    "planner-existing",
    "planner-staff",
]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A demo copy with one saved p-median plan: 5 hubs, 10 minutes, schools, no existing
    hubs kept (a blank ``existing`` must survive the round trip), one added site."""
    folder = tmp_path_factory.mktemp("scenarios_pages")
    bundle = Path(shutil.copy(demo_bundle_path(), folder / "demo-scen.gpkg"))
    place = open_place(bundle)
    plan = run_plan(
        place,
        objective="median",
        hubs=5,
        minutes=10.0,
        candidates="school",
        existing=[],
        added=[(-1.95, 53.42)],
        curve_to=0,
    )
    scenario = from_result(
        NAME, plan.result, mode="walk", params=plan.params, candidates=plan.candidates
    )
    ScenarioStore.for_bundle(bundle).save(place.name, scenario)
    return bundle, scenario


@pytest.fixture(scope="module")
def app(saved):
    return create_app(place=str(saved[0]))


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def render(client, path: str, search: str) -> dict:
    status, data = flask_post(client)("/_dash-update-component", router_body(path, search))
    assert status == 200, data[:300]
    return json.loads(data)["response"]["_pages_content"]["children"]


def post(client, body) -> dict:
    status, data = flask_post(client)("/_dash-update-component", body)
    assert status == 200, data[:500]
    return json.loads(data)["response"]


def props(tree, component_id: str) -> dict:
    found = find_component(tree, component_id)
    assert found is not None, component_id
    return found["props"]


def test_the_planner_reopens_a_scenario_from_its_name(client, saved, monkeypatch):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    bundle, scenario = saved
    tree = render(client, "/planner", f"?place={bundle}&scenario={NAME}")
    controls = [(i, "value", props(tree, i)["value"]) for i in CONTROL_IDS]
    values = {i.removeprefix("planner-"): v for i, _, v in controls}
    assert values["objective"] == "median" and values["hubs"] == 5 and values["minutes"] == 10
    assert values["existing"] == [] and values["candidates"] == "school"
    added = props(tree, "planner-added")["data"]
    assert added == [[-1.95, 53.42]]
    opened = props(tree, "planner-scenario")["data"]
    assert opened["name"] == NAME and opened["hubs"] == sorted(scenario.hubs)
    # the page's Run (a background job) re-makes exactly the saved plan
    run_body = update_body(
        RUN_OUTPUTS,
        [
            ("planner-run", "n_clicks", 0),
            ("planner-added", "data", added),
            ("planner-removed", "data", []),
        ],
        state=[*controls, ("planner-state", "data", {"place": str(bundle)})],
        changed=[],
    )
    end = end_id(client.get("/planner").get_data(as_text=True))
    payload = run_background(flask_post(client), run_body, end=end)["planner-result"]["data"]
    assert sorted(payload["hubs"]) == sorted(scenario.hubs)
    assert payload["results"]["objective_value"] == pytest.approx(
        scenario.results["objective_value"]
    )
    assert payload["settings"] == opened["settings"]

    def stale(controls, scen):
        body = update_body(
            [
                ("planner-stale", "children"),
                ("planner-stale", "hidden"),
                ("planner-save", "disabled"),
                ("planner-save", "title"),
                ("planner-shown", "data"),
            ],
            [
                *controls,
                ("planner-added", "data", added),
                ("planner-removed", "data", []),
                ("planner-result", "data", payload),
                ("planner-scenario", "data", scen),
            ],
            changed=["planner-result.data"],
        )
        return post(client, body)

    out = stale(controls, opened)
    assert out["planner-shown"]["data"] == NAME and out["planner-stale"]["hidden"] is True
    # one setting changed: not the scenario any more (the URL drops its name)
    changed = [(i, p, 6 if i == "planner-hubs" else v) for i, p, v in controls]
    assert stale(changed, opened)["planner-shown"]["data"] is None
    # saved with other hubs than today's run chooses: said, and not shown under its name
    other = {**opened, "hubs": sorted([*scenario.hubs[:-1], "X999"])}
    out = stale(controls, other)
    assert out["planner-shown"]["data"] is None and out["planner-stale"]["hidden"] is False
    assert "adds" in out["planner-stale"]["children"] and "X999" in out["planner-stale"]["children"]


def test_an_unknown_scenario_is_said_and_ignored(client, saved):
    bundle, _ = saved
    tree = render(client, "/planner", f"?place={bundle}&scenario=Nope&hubs=4")
    notice = json.dumps(find_component(tree, "planner-notice"))
    assert "Nope" in notice and str(bundle.parent) not in notice
    assert props(tree, "planner-scenario")["data"] is None
    assert props(tree, "planner-hubs")["value"] == 4
    tree = render(client, "/", f"?place={bundle}&scenario=Nope")
    assert "Nope" in json.dumps(find_component(tree, "home-notice"))
    assert props(tree, "home-scenario")["value"] is None


def test_the_open_link_names_the_scenario(client, saved):
    bundle, _ = saved
    body = update_body(
        [("planner-open", "href"), ("planner-open", "hidden")],
        [("planner-a", "value", NAME)],
        state=[("planner-state", "data", {"place": str(bundle)})],
    )
    href = post(client, body)["planner-open"]["href"]
    query = parse_qs(urlparse(href).query, keep_blank_values=True)
    assert query["scenario"] == [NAME] and query["hubs"] == ["5"] and query["existing"] == [""]


def _trace(figure: dict, uid: str) -> dict:
    return next(t for t in figure["data"] if t.get("uid") == uid)


def test_the_map_page_shows_a_scenario_and_switches_it(app, client, saved):
    bundle, scenario = saved
    tree = render(client, "/", f"?place={bundle}&scenario={NAME}")
    assert props(tree, "home-scenario")["value"] == NAME
    assert props(tree, "home-state")["data"]["scenario"] == NAME
    fig = props(tree, "home-map")["figure"]
    index = props(tree, "home-index")["data"]
    hubs = _trace(fig, "scenario-hubs")
    lines = _trace(fig, "scenario-catchments")
    assert sorted(hubs["customdata"]) == sorted(scenario.hubs)
    assert sum(v is None for v in lines["lon"]) + 1 >= len(scenario.hubs)
    assert [fig["data"][i]["uid"] for i in index["scenario"]] == [
        "scenario-catchments",
        "scenario-hubs",
    ]
    assert "5 proposed hub(s)" in props(tree, "home-scenario-note")["children"]
    # without a scenario: empty placeholders at the same places, and the dropdown fills them
    tree = render(client, "/", f"?place={bundle}")
    fig = props(tree, "home-map")["figure"]
    index = props(tree, "home-index")["data"]
    assert len(_trace(fig, "scenario-hubs")["lon"]) == 0
    state = props(tree, "home-state")["data"]
    out = _post_scenario(app, client, index, state, NAME)
    assert out["home-state"]["data"]["scenario"] == NAME
    ops = out["home-map"]["figure"]["operations"]
    assert {tuple(op["location"]) for op in ops} == {("data", i) for i in index["scenario"]}
    drawn = {op["params"]["value"]["uid"]: op["params"]["value"] for op in ops}
    assert sorted(drawn["scenario-hubs"]["customdata"]) == sorted(scenario.hubs)
    cleared = _post_scenario(app, client, index, state, None)
    assert cleared["home-state"]["data"]["scenario"] is None
    assert all(
        len(op["params"]["value"]["lon"]) == 0 for op in cleared["home-map"]["figure"]["operations"]
    )


def _post_scenario(app, client, index, state, name) -> dict:
    """The Map page's Scenario dropdown callback (its outputs carry allow_duplicate keys)."""
    key = next(k for k in app.callback_map if "home-scenario-note.children" in k)
    body = {
        "output": key,
        "outputs": [
            {"id": o.split(".", 1)[0], "property": o.split(".", 1)[1]}
            for o in key.strip(".").split("...")
        ],
        "inputs": [{"id": "home-scenario", "property": "value", "value": name}],
        "state": [
            {"id": "home-index", "property": "data", "value": index},
            {"id": "home-state", "property": "data", "value": state},
        ],
        "changedPropIds": ["home-scenario.value"],
    }
    return post(client, body)


def test_the_access_page_takes_a_scenario_as_its_hubs(client, saved):
    bundle, _ = saved
    tree = render(client, "/access", f"?place={bundle}&kind=scenario:{NAME}")
    kind = props(tree, "access-kind")
    assert kind["value"] == f"scenario:{NAME}"
    assert any(o["value"] == f"scenario:{NAME}" for o in kind["options"])
    body = update_body(
        [
            ("access-map", "figure"),
            ("access-coverage", "rowData"),
            ("access-coverage", "columnDefs"),
            ("access-status", "children"),
        ],
        [
            ("access-kind", "value", f"scenario:{NAME}"),
            ("access-mode", "value", "walk"),
            ("access-bands", "value", "5,10"),
            ("access-candidates", "data", []),
        ],
        state=[("access-state", "data", {"place": str(bundle)})],
    )
    out = post(client, body)
    assert out["access-status"]["children"].startswith("5 hub(s)")
    markers = [t for t in out["access-map"]["figure"]["data"] if t.get("type") == "scattermap"]
    texts = json.dumps(markers)
    assert f"(scenario {NAME})" in texts
    # "Send to planner" opens that scenario
    body = update_body(
        [("access-send", "href")],
        [
            ("access-kind", "value", f"scenario:{NAME}"),
            ("access-mode", "value", "walk"),
            ("access-bands", "value", "5,10"),
            ("access-candidates", "data", []),
        ],
        state=[("access-state", "data", {"place": str(bundle)})],
    )
    href = post(client, body)["access-send"]["href"]
    assert parse_qs(urlparse(href).query)["scenario"] == [NAME]
    # an unknown scenario in the URL: said, and the default hubs
    tree = render(client, "/access", f"?place={bundle}&kind=scenario:Gone")
    assert "Gone" in json.dumps(find_component(tree, "access-notice"))
    assert props(tree, "access-kind")["value"] == "family_hub"


def test_map_exports_draw_the_scenario(client, saved, monkeypatch, tmp_path):
    """The dashboard's map export (when a scenario is shown) and ``export-map --scenario``
    put the scenario's hubs and catchments on the exported map."""
    import layers.static
    from hubplan.cli.main import main
    from hubplan.pages._export import render_export

    bundle, scenario = saved
    figures = []

    def capture(fig, **_kw):
        figures.append(fig)
        return b"PNG"

    monkeypatch.setattr(layers.static, "figure_to_bytes", capture)
    state = {"place": str(bundle), "layers": ["areas", "footprints"], "scenario": NAME}
    data, message = render_export("png", state, {})
    assert data is not None, message
    assert (
        main(["export-map", str(bundle), "--scenario", NAME, "--out", str(tmp_path / "m.png")]) == 0
    )
    assert len(figures) == 2
    for fig in figures:
        uids = [t.uid for t in fig.data]
        assert "scenario-hubs" in uids and "scenario-catchments" in uids
        hubs = next(t for t in fig.data if t.uid == "scenario-hubs")
        assert sorted(hubs.customdata) == sorted(scenario.hubs)
        footer = " ".join(a.text for a in fig.layout.annotations)
        assert f"Scenario '{NAME}': 5 proposed hub(s)" in footer

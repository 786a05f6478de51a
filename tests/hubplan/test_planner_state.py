"""The planner's result is tied to the settings that made it (stale -> Save disabled and
refused), and the URL carries added and removed sites. Over HTTP with the Flask test client."""

from __future__ import annotations

import base64
import importlib
import json
import shutil
from pathlib import Path

import pytest

from benchmarks.load_test import PLANNER_OUTPUTS as RUN_OUTPUTS  # one list of the Run's outputs
from geo.build.places import demo_bundle_path, open_place
from hubplan.web import create_app
from tests.support.dash_http import (
    end_id,
    find_component,
    flask_post,
    router_body,
    run_background,
    update_body,
)

CONTROLS = [
    ("planner-objective", "value", "coverage"),
    ("planner-hubs", "value", 7),
    ("planner-minutes", "value", 15),
    ("planner-target", "value", 60),
    ("planner-mode", "value", "walk"),
    ("planner-weight", "value", "children_0_4"),
    ("planner-candidates", "value", "school"),
    ("planner-existing", "value", ["family_hub"]),
    ("planner-staff", "value", 30),
]
STALE_OUTPUTS = [
    ("planner-stale", "children"),
    ("planner-stale", "hidden"),
    ("planner-save", "disabled"),
    ("planner-save", "title"),
    ("planner-shown", "data"),
]


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("planner_state")
    return Path(shutil.copy(demo_bundle_path(), folder / "demo-state.gpkg"))


@pytest.fixture(scope="module")
def client(demo_copy):
    app = create_app(place=str(demo_copy))
    return app.server.test_client()


@pytest.fixture(scope="module")
def planner(client):
    return importlib.import_module("hubplan.pages.planner")


def post(client, body) -> dict:
    status, data = flask_post(client)("/_dash-update-component", body)
    assert status == 200, data[:500]
    return json.loads(data)["response"]


def job(client, body) -> dict:
    """A background callback (Run, impact pack): submitted, then polled until its result."""
    end = end_id(client.get("/planner").get_data(as_text=True))
    return run_background(flask_post(client), body, end=end)


def run(client, demo_copy, controls, added=(), removed=()) -> dict:
    body = update_body(
        RUN_OUTPUTS,
        [
            ("planner-run", "n_clicks", 1),
            ("planner-added", "data", list(added)),
            ("planner-removed", "data", list(removed)),
        ],
        state=[*controls, ("planner-state", "data", {"place": str(demo_copy)})],
        changed=["planner-run.n_clicks"],
    )
    return job(client, body)["planner-result"]["data"]


def stale(client, controls, payload, added=(), removed=(), scenario=None) -> dict:
    body = update_body(
        STALE_OUTPUTS,
        [
            *controls,
            ("planner-added", "data", list(added)),
            ("planner-removed", "data", list(removed)),
            ("planner-result", "data", payload),
            ("planner-scenario", "data", scenario),
        ],
        changed=["planner-hubs.value"],
    )
    return post(client, body)


def test_stale_result_disables_save_and_the_server_refuses_it(
    client, demo_copy, planner, monkeypatch
):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    payload = run(client, demo_copy, CONTROLS)
    assert payload["settings"]["hubs"] == 7.0 and payload["hubs"]
    fresh = stale(client, CONTROLS, payload)
    assert fresh["planner-save"]["disabled"] is False and fresh["planner-stale"]["hidden"] is True
    changed = [
        (i, p, 4 if i == "planner-hubs" else (10 if i == "planner-minutes" else v))
        for i, p, v in CONTROLS
    ]
    out = stale(client, changed, payload)
    assert out["planner-save"]["disabled"] is True and out["planner-stale"]["hidden"] is False
    text = out["planner-stale"]["children"]
    assert "hubs 7 → 4" in text and "time limit 15 → 10" in text and "Press Run" in text
    # an added site alone makes it stale too
    assert stale(client, CONTROLS, payload, added=[[-2.3, 53.5]])["planner-save"]["disabled"]
    # the server refuses a stale save even if the button were pressed
    body = update_body(
        [
            ("planner-confirm", "displayed"),
            ("planner-confirm", "message"),
            ("planner-save-status", "children"),
            ("planner-a", "options"),
            ("planner-b", "options"),
            ("planner-scenario", "data"),
        ],
        [("planner-save", "n_clicks", 1), ("planner-confirm", "submit_n_clicks", None)],
        state=[
            ("planner-name", "value", "Stale plan"),
            ("planner-result", "data", payload),
            ("planner-state", "data", {"place": str(demo_copy)}),
            *changed,
            ("planner-added", "data", []),
            ("planner-removed", "data", []),
        ],
        changed=["planner-save.n_clicks"],
    )
    response = post(client, body)
    assert "Not saved" in response["planner-save-status"]["children"]
    from geo.siting.scenarios import ScenarioStore

    store = ScenarioStore.for_bundle(demo_copy)
    assert "Stale plan" not in store.names(open_place(demo_copy).name)
    # with the settings that made it, it saves, and the message names no internal path
    body["state"][3:12] = [{"id": i, "property": p, "value": v} for i, p, v in CONTROLS]
    response = post(client, body)
    message = response["planner-save-status"]["children"]
    assert message.startswith("Saved scenario 'Stale plan'")
    assert str(demo_copy.parent) not in message and ".sqlite" not in message
    # the saved plan is now the scenario on screen: its name goes into the URL
    shown = response["planner-scenario"]["data"]
    assert shown["name"] == "Stale plan" and shown["settings"] == payload["settings"]
    assert stale(client, CONTROLS, payload, scenario=shown)["planner-shown"]["data"] == (
        "Stale plan"
    )
    assert stale(client, changed, payload, scenario=shown)["planner-shown"]["data"] is None


def test_url_carries_added_and_removed_sites(client, demo_copy, planner):
    place = open_place(demo_copy)
    search = f"?place={demo_copy}&hubs=6&added=-1.95,53.42;-1.9,53.45;999,1&removed=990005,990044"
    status, data = flask_post(client)("/_dash-update-component", router_body("/planner", search))
    assert status == 200
    tree = json.loads(data)["response"]["_pages_content"]["children"]
    assert find_component(tree, "planner-added")["props"]["data"] == [
        [-1.95, 53.42],
        [-1.9, 53.45],
    ]
    assert find_component(tree, "planner-removed")["props"]["data"] == ["990005", "990044"]
    notice = json.dumps(find_component(tree, "planner-notice"))
    assert "999,1" in notice and "outside" in notice
    # the run uses them: the added points are candidates, the removed ids are not
    controls = [(i, p, 6 if i == "planner-hubs" else v) for i, p, v in CONTROLS]
    controls = [(i, p, "all" if i == "planner-candidates" else v) for i, p, v in controls]
    payload = run(
        client, demo_copy, controls, added=[[-1.95, 53.42], [-1.9, 53.45]], removed=["990005"]
    )
    assert payload["settings"]["added"] == [[-1.95, 53.42], [-1.9, 53.45]]
    assert payload["settings"]["removed"] == ["990005"] and "990005" not in payload["hubs"]
    assert place.name


def test_a_saved_scenario_reopens_with_its_settings(client, demo_copy, planner):
    from urllib.parse import parse_qs, urlparse

    from geo.siting.scenarios import Scenario

    place = open_place(demo_copy)
    controls = [(i, p, 5 if i == "planner-hubs" else v) for i, p, v in CONTROLS]
    added, removed = [[-1.95, 53.42]], ["990044"]
    payload = run(client, demo_copy, controls, added=added, removed=removed)
    scenario = Scenario(
        name="Reopen me",
        objective=payload["objective"],
        hubs=payload["hubs"],
        mode=payload["mode"],
        minutes=payload["minutes"],
        params=payload["params"],
        results=payload["results"],
    )
    query = parse_qs(urlparse(planner.scenario_query(str(demo_copy), scenario)).query)
    settings, notices = planner.planner_settings(place, query)
    got_added, got_removed, _ = planner.planner_sites(place, query)
    assert notices.items == []
    key = planner.settings_key(
        settings["objective"],
        settings["hubs"],
        settings["minutes"],
        settings["target"],
        settings["mode"],
        settings["weight"],
        settings["candidates"],
        settings["existing"],
        settings["staff"],
        got_added,
        got_removed,
    )
    assert key == payload["settings"]
    # the same settings make the same plan
    again = run(
        client,
        demo_copy,
        [(i, p, settings[i.removeprefix("planner-")]) for i, p, _ in CONTROLS],
        added=got_added,
        removed=got_removed,
    )
    assert again["hubs"] == payload["hubs"]
    assert again["results"]["objective_value"] == payload["results"]["objective_value"]


def test_impact_against_today_from_the_planner(client, demo_copy, planner):
    controls = [(i, p, "school" if i == "planner-candidates" else v) for i, p, v in CONTROLS]
    payload = run(client, demo_copy, controls, removed=["FH01"])
    place = open_place(demo_copy)
    change = planner.impact_changes(place, payload, ["family_hub"])
    assert change["close"] == ["FH01"]
    assert set(change["open_"]) == set(payload["hubs"]) - {"FH02", "FH03", "FH04"}
    body = update_body(
        [
            ("planner-impact-out", "children"),
            ("planner-impact-pdf", "data"),
            ("planner-impact-csv", "data"),
            ("planner-impact-meta", "data"),
        ],
        [("planner-impact", "n_clicks", 1)],
        state=[
            ("planner-result", "data", payload),
            ("planner-existing", "value", ["family_hub"]),
            ("planner-state", "data", {"place": str(demo_copy)}),
        ],
        changed=["planner-impact.n_clicks"],
    )
    out = job(client, body)
    summary = json.dumps(out["planner-impact-out"]["children"])
    assert "lose access within 15 minutes" in summary
    pdf = out["planner-impact-pdf"]["data"]
    assert pdf["filename"] == "impact-pack.pdf" and pdf["base64"]
    csv = base64.b64decode(out["planner-impact-csv"]["data"]["content"])
    assert csv.startswith("\ufeffSmall area code,".encode())  # plain CSV, header on row 1
    meta = base64.b64decode(out["planner-impact-meta"]["data"]["content"]).decode()
    assert out["planner-impact-meta"]["data"]["filename"] == "impact-areas.csv-metadata.json"
    assert "synthetic demo data" in meta.lower()


def test_cancel_stops_a_running_plan(client, demo_copy, planner):
    """Run is a background job: the submit answers at once with a job handle, and Cancel
    (the page's cancel callback, ``?cancelJob=``) ends the job's process, leaving no result."""
    import time
    from urllib.parse import urlencode

    import psutil

    controls = [
        (
            i,
            p,
            {"planner-objective": "median", "planner-hubs": 40, "planner-candidates": "grid"}.get(
                i, v
            ),
        )
        for i, p, v in CONTROLS
    ]
    body = update_body(
        RUN_OUTPUTS,
        [
            ("planner-run", "n_clicks", 7),
            ("planner-added", "data", []),
            ("planner-removed", "data", []),
        ],
        state=[*controls, ("planner-state", "data", {"place": str(demo_copy)})],
        changed=["planner-run.n_clicks"],
    )
    end = end_id(client.get("/planner").get_data(as_text=True))
    post = flask_post(client)
    status, raw = post(f"/_dash-update-component?{urlencode({'endId': end})}", body)
    assert status == 200, raw[:300]
    handles = json.loads(raw)
    assert handles["cancel"] == [{"id": "planner-cancel", "property": "n_clicks"}]
    pid = int(handles["job"].split("~")[0])
    assert psutil.pid_exists(pid)
    cancel = update_body([("planner-cancel", "id")], [("planner-cancel", "n_clicks", 1)])
    query = urlencode({"endId": end, "cancelJob": handles["job"]})
    status, raw = post(f"/_dash-update-component?{query}", cancel)
    assert status in (200, 204), raw[:300]

    def gone() -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    deadline = time.monotonic() + 30
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(), "the cancelled job is still running"
    poll = urlencode({"endId": end, "cacheKey": handles["cacheKey"], "job": handles["job"]})
    status, raw = post(f"/_dash-update-component?{poll}", body)
    assert status == 204, raw[:300]

"""The Access page keeps its state in the URL and sends its view to the planner."""

from __future__ import annotations

import importlib
import json
from urllib.parse import parse_qs, urlparse

import pytest

from geo.build.places import open_place
from hubplan.web import create_app
from tests.support.dash_http import find_component, flask_post, router_body


@pytest.fixture(scope="module")
def client():
    return create_app().server.test_client()


def render(client, search: str) -> dict:
    status, data = flask_post(client)("/_dash-update-component", router_body("/access", search))
    assert status == 200
    return json.loads(data)["response"]["_pages_content"]["children"]


def test_access_state_from_the_url(client):
    tree = render(client, "?place=demo&kind=none&mode=cycle&bands=5,10&dropped=-1.95,53.42;x")
    assert find_component(tree, "access-kind")["props"]["value"] is None
    assert find_component(tree, "access-mode")["props"]["value"] == "cycle"
    assert find_component(tree, "access-bands")["props"]["value"] == "5,10"
    assert find_component(tree, "access-candidates")["props"]["data"] == [[-1.95, 53.42]]
    assert "'x'" in json.dumps(find_component(tree, "access-notice"))
    default = render(client, "?place=demo")
    assert find_component(default, "access-kind")["props"]["value"] == "family_hub"
    bad = render(client, "?place=demo&kind=castle&bands=10,5")
    assert find_component(bad, "access-kind")["props"]["value"] == "family_hub"
    assert find_component(bad, "access-bands")["props"]["value"] == "5,10,15,20"


def test_send_to_planner_carries_hubs_mode_time_and_dropped_hubs(client):
    access = importlib.import_module("hubplan.pages.access")
    planner = importlib.import_module("hubplan.pages.planner")
    href = access.send_link("family_hub", "cycle", "5,10,20", [[-1.95, 53.42]], {"place": "demo"})
    query = parse_qs(urlparse(href).query)
    place = open_place("demo")
    settings, notices = planner.planner_settings(place, query)
    added, removed, _ = planner.planner_sites(place, query)
    assert urlparse(href).path.endswith("/planner") and notices.items == []
    assert settings["existing"] == ["family_hub"] and settings["mode"] == "cycle"
    assert settings["minutes"] == 20 and added == [[-1.95, 53.42]] and removed == []

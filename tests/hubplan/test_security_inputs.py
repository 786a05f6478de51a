"""Issue 13 server items: component-suite traversal is a plain 404, basic auth answers 401
before the request body is read, a malformed ``HUBPLAN_BASIC_AUTH`` is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hubplan.web import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client():
    return create_app().server.test_client()


@pytest.mark.parametrize(
    "url",
    [
        "/_dash-component-suites/dash/..%2F..%2F..",
        "/_dash-component-suites/dash/..%2F..%2F..%2Fetc%2Fpasswd",
        "/_dash-component-suites/dash/%2e%2e/%2e%2e/setup.py",
        "/_dash-component-suites/not_a_package/x.js",
        "/_dash-component-suites/dash/no_such_file.v1_0_0m1.js",
    ],
)
def test_component_suite_traversal_is_a_plain_404(client, url):
    r = client.get(url)
    assert r.status_code == 404, (url, r.status_code)
    body = r.get_data(as_text=True)
    assert "Registered" not in body and "dash_core_components" not in body and ".js" not in body


def test_real_component_suites_still_load(client):
    import re

    page = client.get("/").get_data(as_text=True)
    paths = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page)
    assert paths
    assert all(client.get(p).status_code == 200 for p in paths[:3])


@pytest.fixture()
def auth_client(monkeypatch):
    monkeypatch.setenv("HUBPLAN_BASIC_AUTH", "planner:s3cret")
    return create_app().server.test_client()


@pytest.mark.parametrize("body", ["{}", "not json", '{"output": 1}'])
def test_basic_auth_rejects_before_reading_the_body(auth_client, body):
    import flask

    seen = []
    original = flask.Request.get_json

    def spy(self, *a, **k):
        seen.append("read")
        return original(self, *a, **k)

    flask.Request.get_json = spy
    try:
        r = auth_client.post("/_dash-update-component", data=body, content_type="application/json")
    finally:
        flask.Request.get_json = original
    assert r.status_code == 401
    assert seen == []


def test_basic_auth_lets_the_right_user_in(auth_client):
    import base64

    token = base64.b64encode(b"planner:s3cret").decode()
    assert auth_client.get("/", headers={"Authorization": f"Basic {token}"}).status_code == 200
    assert auth_client.get("/").status_code == 401


@pytest.mark.parametrize("value", ["no-colon", ":password", "user:"])
def test_malformed_basic_auth_is_one_line_exit_2(value):
    env = {**__import__("os").environ, "HUBPLAN_BASIC_AUTH": value}
    r = subprocess.run([sys.executable, "-c", "import hubplan.wsgi"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0] == "hubplan: error: HUBPLAN_BASIC_AUTH must be 'user:password' (both non-empty)"

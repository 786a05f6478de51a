"""Requests no browser sends (a further set beyond test_security*.py): each is a clean 4xx with
one sentence, or the page shell, with no traceback in the log and no server path in the body."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from hubplan.web import _malformed_callback, create_app

UPDATE = "/_dash-update-component"


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture()
def client(app):
    return app.server.test_client()


def _real_body(app) -> dict:
    """A well-formed body for a registered callback (what the renderer sends)."""
    output, cb = next(iter(app.callback_map.items()))
    return {"output": output, "outputs": [], "inputs": [], "changedPropIds": [], "cb": cb}


def _no_leak(body: str) -> None:
    assert "Traceback" not in body and "/work/" not in body and "site-packages" not in body
    assert "/tmp/" not in body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "the body is not a JSON object"),
        ("[1, 2]", "the body is not a JSON object"),
        ('"text"', "the body is not a JSON object"),
        ("{}", "'output' is missing or not a string"),
        ('{"output": 5, "outputs": 5, "inputs": 5}', "'output' is missing or not a string"),
        ('{"output": "nope.children", "outputs": {}, "inputs": []}', "no such callback"),
    ],
)
def test_malformed_callback_bodies_are_a_400_without_a_traceback(client, caplog, body, reason):
    caplog.set_level(logging.DEBUG)
    r = client.post(UPDATE, data=body, content_type="application/json")
    text = r.get_data(as_text=True)
    assert r.status_code == 400, (r.status_code, text[:300])
    assert text == f"Bad callback request: {reason}."
    _no_leak(text)
    assert "Traceback" not in caplog.text and not [x for x in caplog.records if x.exc_info]


def test_a_known_output_with_wrong_inputs_is_a_400(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    output = next(iter(app.callback_map))
    for inputs in (5, [5], [{"id": "x"}], [[{"property": "y"}]]):
        body = {"output": output, "outputs": [], "inputs": inputs}
        r = client.post(UPDATE, data=json.dumps(body), content_type="application/json")
        assert r.status_code == 400, (inputs, r.status_code)
        assert r.get_data(as_text=True).startswith("Bad callback request: ")
    body = {"output": output, "outputs": [], "inputs": [], "changedPropIds": "x"}
    r = client.post(UPDATE, data=json.dumps(body), content_type="application/json")
    assert (
        r.get_data(as_text=True)
        == "Bad callback request: 'changedPropIds' is not a list of strings."
    )
    assert not [x for x in caplog.records if x.exc_info]


def test_the_check_accepts_what_the_renderer_sends(app):
    body = _real_body(app)
    body.pop("cb")
    assert _malformed_callback(body, app.callback_map) is None
    pattern = {"id": {"type": "card", "index": 1}, "property": "n_clicks", "value": 1}
    body.update(inputs=[[pattern], {"id": "a", "property": "value"}], state=[[]])
    assert _malformed_callback(body, app.callback_map) is None
    del body["outputs"]  # old renderers send no 'outputs'
    assert _malformed_callback(body, app.callback_map) is None


def test_a_body_that_is_not_json_typed_is_a_400(client):
    r = client.post(UPDATE, data="a=b", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert r.get_data(as_text=True) == "Bad callback request: the body is not a JSON object."


@pytest.mark.parametrize(
    "url",
    [
        "/?place=..%2F..%2Fetc%2Fpasswd",
        "/?place=%00",
        "/?set=..%2F..%2Fx",
        "/clusters?set=%2Fetc%2Fpasswd",
        "/planner?scenario=..%2F..%2Fetc",
        "/no-such-page",
        "/%ff%fe",
    ],
)
def test_odd_page_urls_get_the_page_shell_without_paths(client, url):
    r = client.get(url)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert body.startswith("<!DOCTYPE html>")
    _no_leak(body)


def test_head_and_options_are_answered(client):
    assert client.head("/").status_code == 200
    assert client.open("/", method="OPTIONS").status_code == 200
    assert client.put("/").status_code == 405
    assert client.delete(UPDATE).status_code == 405


@pytest.fixture()
def auth_client(monkeypatch):
    monkeypatch.setenv("HUBPLAN_BASIC_AUTH", "planner:pa:ss:word")
    return create_app().server.test_client()


def _basic(raw: bytes) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_a_password_with_colons_works(auth_client):
    assert auth_client.get("/", headers=_basic(b"planner:pa:ss:word")).status_code == 200
    assert auth_client.get("/", headers=_basic(b"planner:pa")).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        {"Authorization": "Basic !!!not*base64"},
        _basic(b"\xff\xfe:\xff"),
        _basic(b"planner"),
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic "},
        {"Authorization": "Basic " + "A" * 100_000},
    ],
)
def test_odd_authorization_headers_are_a_401(auth_client, caplog, header):
    caplog.set_level(logging.DEBUG)
    r = auth_client.post(UPDATE, data="{}", content_type="application/json", headers=header)
    assert r.status_code == 401
    _no_leak(r.get_data(as_text=True))
    assert not [x for x in caplog.records if x.exc_info]


def test_malformed_callbacks_with_the_right_password_are_a_400(auth_client):
    headers = _basic(b"planner:pa:ss:word")
    r = auth_client.post(UPDATE, data="{}", content_type="application/json", headers=headers)
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HUBPLAN_EDITS_TTL", "abc", "HUBPLAN_EDITS_TTL='abc' is not a number of seconds"),
        ("HUBPLAN_EDITS_TTL", "nan", "HUBPLAN_EDITS_TTL='nan' is not a number of seconds"),
        ("HUBPLAN_EDITS_TTL", "-1", "HUBPLAN_EDITS_TTL='-1' is not a number of seconds"),
        ("HUBPLAN_PLACES", "FILE", "HUBPLAN_PLACES names a file, not a folder"),
        ("HUBPLAN_DATABASE_URL", "mysql://u:secret@h/db", "must be a PostgreSQL URL"),
        ("HUBPLAN_DATABASE_URL", "not a url", "must be a PostgreSQL URL"),
        ("HUBPLAN_MAX_REQUEST_MB", "nan", "HUBPLAN_MAX_REQUEST_MB='nan' must be between"),
    ],
)
def test_bad_environment_is_refused_at_start(monkeypatch, tmp_path, name, value, expected):
    from geo.errors import ConfigError

    if value == "FILE":
        value = str(tmp_path / "places.txt")
        (tmp_path / "places.txt").write_text("", encoding="utf-8")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        create_app()
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert "secret" not in message  # a database URL's password is never echoed


def test_bad_environment_under_wsgi_is_one_line_exit_2():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "HUBPLAN_EDITS_TTL": "soon"}
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-c", "import hubplan.wsgi"], cwd=root, env=env,
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines == [
        "hubplan: error: HUBPLAN_EDITS_TTL='soon' is not a number of seconds from 0 to 600"
    ], r.stderr

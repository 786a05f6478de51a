"""benchmarks/load_test.py: its request bodies are ones the app answers (checked in-process)."""

from __future__ import annotations

import json
import random

import pytest

from benchmarks.load_test import MIX, MUST_UPDATE, Requests, pct
from hubplan.web import create_app


@pytest.fixture(scope="module")
def send():
    client = create_app().server.test_client()

    def post(url, body, *, timeout):
        r = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        return r.status_code, r.data

    return post


def test_every_action_in_the_mix_is_answered_with_its_output(send):
    reqs = Requests("http://127.0.0.1:0", "demo", send=send)
    rng = random.Random(0)
    assert set(MIX) == set(MUST_UPDATE)
    for action in MIX:
        status, out = send("", reqs.body(action, rng), timeout=60)
        assert status == 200, (action, out[:300])
        assert MUST_UPDATE[action] in json.loads(out)["response"], action


def test_only_loopback_and_percentiles():
    from benchmarks.load_test import post

    with pytest.raises(AssertionError, match="loopback only"):
        post("http://example.org:80", {}, timeout=1)
    assert pct([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5 and pct([5.0], 0.95) == 5.0

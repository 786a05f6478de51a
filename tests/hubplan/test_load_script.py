"""benchmarks/load_test.py: its request bodies are ones the app answers (checked in-process),
its options parse, and a tiny run with think time and user roles works end to end."""

from __future__ import annotations

import argparse
import json
import random

import psutil
import pytest

from benchmarks import load_test
from benchmarks.load_test import (
    BACKGROUND,
    HEAVY_MIX,
    LIGHT_MIX,
    MIX,
    MUST_UPDATE,
    Requests,
    end_id_from_page,
    flatness,
    parse_think,
    pct,
    run_job,
    split_users,
)
from hubplan.web import create_app


@pytest.fixture(scope="module")
def client():
    return create_app().server.test_client()


@pytest.fixture(scope="module")
def send(client):
    def post(url, body, *, timeout, query=""):
        r = client.post(
            "/_dash-update-component" + (f"?{query}" if query else ""),
            data=json.dumps(body),
            content_type="application/json",
        )
        return r.status_code, r.data

    return post


def test_every_action_in_the_mix_is_answered_with_its_output(client, send):
    reqs = Requests("http://127.0.0.1:0", "demo", send=send)
    rng = random.Random(0)
    assert set(MIX) | set(LIGHT_MIX) | set(HEAVY_MIX) == set(MUST_UPDATE)
    end_id = end_id_from_page(client.get("/planner").get_data(as_text=True))
    for action in MIX:
        if action in BACKGROUND:  # submitted, then polled
            job = run_job(
                "",
                reqs.body(action, rng),
                end_id=end_id,
                must=MUST_UPDATE[action],
                timeout=240,
                poll=0.2,
                send=send,
            )
            assert job["ok"], (action, job["detail"])
            continue
        status, out = send("", reqs.body(action, rng), timeout=60)
        assert status == 200, (action, out[:300])
        assert MUST_UPDATE[action] in json.loads(out)["response"], action


def test_only_loopback_and_percentiles():
    from benchmarks.load_test import post

    with pytest.raises(AssertionError, match="loopback only"):
        post("http://example.org:80", {}, timeout=1)
    assert pct([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5 and pct([5.0], 0.95) == 5.0


def test_roles_mixes_only_name_answered_callbacks():
    assert set(LIGHT_MIX) | set(HEAVY_MIX) <= set(MUST_UPDATE)
    assert not set(LIGHT_MIX) & set(HEAVY_MIX)


def test_the_design_background_job_is_submitted_polled_and_answered(client, send):
    """The Clusters page's design job through the app's own background manager (diskcache
    here): handles from the submit, polls until the result carries the summary."""
    reqs = Requests("http://127.0.0.1:0", "demo", send=send)
    end_id = end_id_from_page(client.get("/clusters").get_data(as_text=True))
    job = run_job(
        "",
        reqs.design(random.Random(3), clicks=1),
        end_id=end_id,
        must=MUST_UPDATE["design"],
        timeout=240,
        poll=0.2,
        send=send,
    )
    assert job["ok"], job["detail"]
    assert job["polls"] and job["submit"] <= job["total"]


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_export_background_job_returns_a_pdf(client, send):
    """The long-job users' profile PDF export: submitted, polled, answered with the file."""
    reqs = Requests("http://127.0.0.1:0", "demo", send=send)
    end_id = end_id_from_page(client.get("/clusters").get_data(as_text=True))
    job = run_job(
        "",
        reqs.body("export", random.Random(5), 1),
        end_id=end_id,
        must=MUST_UPDATE["export"],
        timeout=240,
        poll=0.2,
        send=send,
    )
    assert job["ok"], job["detail"]


def test_a_lost_job_is_an_error_not_a_hang(client, send):
    """A poll whose handle the server does not know (a lost or cancelled job) is answered
    204; the script counts it as an error instead of polling until the timeout."""

    def lose_handle(url, body, *, timeout, query=""):
        return send(url, body, timeout=timeout, query=query.replace("cacheKey=", "cacheKey=x"))

    reqs = Requests("http://127.0.0.1:0", "demo", send=send)
    end_id = end_id_from_page(client.get("/clusters").get_data(as_text=True))
    job = run_job(
        "",
        reqs.design(random.Random(4), clicks=2),
        end_id=end_id,
        must="cl-summary",
        timeout=60,
        poll=0.1,
        send=lose_handle,
    )
    assert not job["ok"] and "without a result" in job["detail"], job["detail"]


def test_end_id_from_page_says_when_it_is_missing():
    page = '<script id="_dash-config" type="application/json">{"end_id": "abc"}</script>'
    assert end_id_from_page(page) == "abc"
    with pytest.raises(RuntimeError, match="/x: no end_id"):
        end_id_from_page("<html></html>", where="/x")


def test_new_options_parse_and_bad_ones_are_refused(capsys):
    assert parse_think("2-5") == (2.0, 5.0) and parse_think("3") == (3.0, 3.0)
    for bad in ("5-2", "x", "-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_think(bad)
    for argv, message in [
        (["--celery-workers", "1"], "needs --redis"),
        (["--redis", "--think", "1-2"], "needs --celery-workers"),
        (["--redis", "--celery-workers", "1", "--mix", "all"], "go with --mix roles"),
        (["--think", "9-1"], "MIN <= MAX"),
        (["--heavy-share", "2"], "--heavy-share 0..1"),
    ]:
        with pytest.raises(SystemExit) as exc:
            load_test.main(argv)
        assert exc.value.code == 2
        assert message in capsys.readouterr().err


def test_user_split_and_memory_flatness():
    assert split_users(40, 0.2) == 8 and split_users(2, 0.2) == 1
    assert split_users(1, 0.2) == 0 and split_users(10, 0) == 0 and split_users(3, 1) == 2
    warm_then_flat = [100.0] * 3 + [200.0] * 6
    assert flatness(warm_then_flat, tolerance=0.05)["flat"] is True
    growing = [100.0 + 10 * i for i in range(9)]
    f = flatness(growing, tolerance=0.05)
    assert f["flat"] is False and f["growth"] == pytest.approx((170 - 140) / 140)
    assert flatness([1.0, 2.0], tolerance=0.05)["flat"] is None


def test_a_tiny_run_with_think_time_and_no_redis_works(tmp_path):
    """2 users (one long-job user) for 5 s on gunicorn, jobs through diskcache: a report with
    every section, 0 errors, and every process stopped."""
    out = tmp_path / "load.md"
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    code = load_test.main(
        ["--users", "2", "--seconds", "5", "--think", "0.5-1", "--workers", "1",
         "--out", str(out)]
    )  # fmt: skip
    text = out.read_text()
    assert code == 0, text
    assert "1 run long jobs" in text and "Errors: 0." in text
    for heading in ("Light callbacks", "Long jobs (end to end", "| gunicorn |", "Targets:"):
        assert heading in text
    assert "load average **" in text
    left = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert not left, f"processes left running: {left}"

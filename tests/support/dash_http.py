"""Drive Dash callbacks over HTTP the way the browser does (POST /_dash-update-component).

Used by the dashboard tests (Flask test client) and ``benchmarks/bench_dashboard.py`` (a real
server). ``post`` is any callable ``post(url, json_body) -> (status, bytes)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

Post = Callable[[str, dict], tuple[int, bytes]]


def output_key(outputs: list[tuple[str, str]]) -> str:
    """Dash's callback key: ``id.prop`` or ``..a.p...b.q..`` for several outputs."""
    if len(outputs) == 1:
        return f"{outputs[0][0]}.{outputs[0][1]}"
    return ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."


def update_body(
    outputs: list[tuple[str, str]],
    inputs: list[tuple[str, str, object]],
    *,
    state: list[tuple[str, str, object]] = (),
    changed: list[str] | None = None,
) -> dict:
    """The JSON body of one callback request."""
    return {
        "output": output_key(outputs),
        "outputs": [{"id": i, "property": p} for i, p in outputs]
        if len(outputs) > 1
        else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": changed if changed is not None else [f"{inputs[0][0]}.{inputs[0][1]}"],
    }


def router_body(pathname: str = "/", search: str = "") -> dict:
    """The Dash Pages router request that renders a page for ``pathname`` + ``search``."""
    return update_body(
        [("_pages_content", "children"), ("_pages_store", "data")],
        [("_pages_location", "pathname", pathname), ("_pages_location", "search", search)],
        changed=["_pages_location.pathname"],
    )


def find_component(tree, component_id: str):
    """Depth-first search of a serialised Dash layout for the component with ``id``."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return tree
        for value in (tree.get("props") or {}).values() if "props" in tree else tree.values():
            hit = find_component(value, component_id)
            if hit is not None:
                return hit
    elif isinstance(tree, list):
        for item in tree:
            hit = find_component(item, component_id)
            if hit is not None:
                return hit
    return None


def texts(tree) -> list[str]:
    """Every string child in a serialised layout (for checking what a page says)."""
    out: list[str] = []
    if isinstance(tree, str):
        out.append(tree)
    elif isinstance(tree, list):
        for item in tree:
            out += texts(item)
    elif isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict):
            out += texts(props.get("children"))
    return out


def flask_post(client) -> Post:
    """A ``post`` callable over a Flask test client."""

    def post(url: str, body: dict) -> tuple[int, bytes]:
        r = client.post(url, data=json.dumps(body), content_type="application/json")
        return r.status_code, r.data

    return post


def end_id(page: str) -> str:
    """The ``end_id`` of a page load (``<script id="_dash-config">``), which a browser echoes
    as ``?endId=`` on background callbacks."""
    import re

    found = re.search(
        r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S
    )
    value = json.loads(found[1]).get("end_id") if found else None
    assert value, "no end_id in the page's _dash-config"
    return value


def run_background(
    post: Post, body: dict, *, end: str, timeout: float = 240.0, poll: float = 0.2
) -> dict:
    """Submit a background callback and poll it, as the browser does, until its result
    arrives; the ``response`` part of the answer. AssertionError if the job is lost or late."""
    import time
    from urllib.parse import urlencode

    status, raw = post(f"/_dash-update-component?{urlencode({'endId': end})}", body)
    assert status == 200, raw[:500]
    handles = json.loads(raw)
    assert {"cacheKey", "job"} <= set(handles), handles
    query = urlencode({"endId": end, "cacheKey": handles["cacheKey"], "job": handles["job"]})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, raw = post(f"/_dash-update-component?{query}", body)
        assert status in (200, 204), raw[:500]
        assert status != 204, "the job ended without a result (cancelled or lost)"
        answer = json.loads(raw)
        if "response" in answer:
            return answer["response"]
        time.sleep(poll)
    raise AssertionError(f"no result within {timeout:g} s")

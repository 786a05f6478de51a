"""Drive Dash background callbacks (hubplan.jobs) the way the browser does.

The browser posts the callback once (the answer is a signed job handle), then polls with the
handle until the result comes; Cancel posts the cancel input with ``cancelJob``. These helpers
do the same over HTTP (:func:`http_send`, a real server) or a Flask test client
(:func:`client_send`), so tests can run a job, collect it (from another server too), or
cancel it.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.dash_http import update_body

#: ``send(path_and_query, json_body_or_None) -> (status, text)``; GET when the body is None.
Send = Callable[[str, dict | None], tuple[int, str]]


def http_send(base: str, *, timeout: float = 120) -> Send:
    """A :data:`Send` over HTTP to the server at ``base`` (``http://127.0.0.1:PORT``)."""

    def send(path: str, body: dict | None) -> tuple[int, str]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            base + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    return send


def client_send(client) -> Send:
    """A :data:`Send` over a Flask test client."""

    def send(path: str, body: dict | None) -> tuple[int, str]:
        if body is None:
            r = client.get(path)
        else:
            r = client.post(path, data=json.dumps(body), content_type="application/json")
        return r.status_code, r.get_data(as_text=True)

    return send


def end_id(send: Send, path: str = "/") -> str:
    """The page load's ``end_id`` (background job handles are signed for it)."""
    page = send(path, None)[1]
    config = re.search(
        r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S
    )
    assert config, page[:300]
    return json.loads(config[1])["end_id"]


UPDATE = "/_dash-update-component?"


@dataclass
class Job:
    """A submitted background callback: its signed handles and the progress polling saw."""

    send: Send
    end: str
    body: dict
    handles: dict
    progress: list[dict] = field(default_factory=list)

    def query(self) -> str:
        return urllib.parse.urlencode(
            {"endId": self.end, "cacheKey": self.handles["cacheKey"], "job": self.handles["job"]}
        )

    def poll(self, send: Send | None = None) -> tuple[int, dict | None]:
        """One poll (through ``send``, default the submitting one): ``(status, response)``,
        the response None until the result is there (204: the job ended without one)."""
        status, text = (send or self.send)(UPDATE + self.query(), self.body)
        assert status in (200, 204), text[:500]
        if status == 204 or not text:
            return status, None
        answer = json.loads(text)
        if "progress" in answer:
            self.progress.append(answer["progress"])
        return status, answer.get("response")

    def result(self, send: Send | None = None, *, timeout: float = 240) -> dict:
        """Poll every 0.2 s until the job's response comes (AssertionError otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, response = self.poll(send)
            if response is not None:
                return response
            assert status != 204, "the job ended without a result (cancelled or lost)"
            time.sleep(0.2)
        raise AssertionError(f"no result within {timeout:g} s")

    def cancel(self, cancel_id: str) -> None:
        """Press the callback's Cancel button (``cancel_id``) for this job."""
        body = update_body([(cancel_id, "id")], [(cancel_id, "n_clicks", 1)])
        query = urllib.parse.urlencode({"endId": self.end, "cancelJob": self.handles["job"]})
        status, text = self.send(UPDATE + query, body)
        assert status in (200, 204), text[:500]


def submit(send: Send, body: dict, *, page: str = "/") -> Job:
    """Post a background callback's request (as the browser's first request); return its job."""
    end = end_id(send, page)
    status, text = send(UPDATE + urllib.parse.urlencode({"endId": end}), body)
    assert status == 200, text[:500]
    handles = json.loads(text)
    assert {"cacheKey", "job"} <= set(handles), handles
    return Job(send, end, body, handles)

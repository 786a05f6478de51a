"""Security: URLs cannot make the server read files, errors leak no stack trace, uploads are
capped and parsed in memory, no pickle, and the optional basic auth guards every route."""

from __future__ import annotations

import base64
import json
import re
import shutil
import sys
from pathlib import Path

import dash
import pytest

import hubplan.web as app_module
from geo.build import places
from geo.build.places import demo_bundle_path
from geo.errors import InputError
from geo.indicators import uploads
from geo.place import bundle
from geo.place.config import Indicator
from hubplan.pages import _state
from hubplan.web import create_app, main, parse_basic_auth
from tests.support.dash_http import router_body, texts

ROOT = Path(__file__).resolve().parents[2]

# Every file the process opens from Python (io.open, os.open), while ``_opens["on"]`` is set.
_opens: dict[str, object] = {"on": False, "paths": []}


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _opens["on"]:
        _opens["paths"].append(str(args[0]))


sys.addaudithook(_audit)


@pytest.fixture(scope="module")
def demo_app():
    return create_app()


@pytest.fixture
def recorder(monkeypatch, tmp_path):
    """Records every place the server resolves or reads, and every file Python opens."""
    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path / "places"))
    seen: list[str] = []
    resolve, read = places.resolve_place, bundle.read_place

    def resolve_spy(spec):
        seen.append(str(spec))
        return resolve(spec)

    def read_spy(path, *a, **k):
        seen.append(str(path))
        return read(path, *a, **k)

    monkeypatch.setattr(places, "resolve_place", resolve_spy)
    monkeypatch.setattr(_state, "resolve_place", resolve_spy)
    monkeypatch.setattr(bundle, "read_place", read_spy)
    _opens["paths"] = []
    _opens["on"] = True
    yield seen
    _opens["on"] = False


@pytest.fixture(scope="module")
def secret_bundle(tmp_path_factory):
    """A perfectly valid bundle outside the places folder: a URL must not be able to open it."""
    path = tmp_path_factory.mktemp("outside") / "secret.gpkg"
    shutil.copyfile(demo_bundle_path(), path)
    return path


def post(client, body) -> tuple[int, dict | bytes]:
    r = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    try:
        return r.status_code, json.loads(r.data)
    except ValueError:
        return r.status_code, r.data


def _forbidden(seen: list[str], secret: Path) -> list[str]:
    bad = ("passwd", "secret", "evil")
    # "../../x" must not be opened; "/x" inside a longer name (".../xyzservices-...") is not it.
    return [
        s
        for s in seen + _opens["paths"]
        if any(b in s for b in bad) or s.rstrip("/").endswith("/x") or str(secret) in s
    ]


# --------------------------------------------------------------------------- URLs and paths


def test_place_in_url_never_opens_arbitrary_files(demo_app, recorder, secret_bundle):
    hostile = [
        "/etc/passwd",
        "../../x",
        "..%2F..%2Fetc%2Fpasswd",
        "../../../etc/passwd",
        str(secret_bundle),
        str(secret_bundle.with_suffix("")),
        "secret",
        "file:///etc/passwd",
        "evil\x00.gpkg",
    ]
    pages = sorted(
        p["relative_path"] for p in dash.page_registry.values() if not p.get("path_template")
    )
    assert "/" in pages and len(pages) >= 4
    client = demo_app.server.test_client()
    from urllib.parse import quote

    for page in pages:
        for value in hostile:
            status, out = post(client, router_body(page, f"?place={quote(value, safe='')}"))
            assert status == 200, (page, value, out)
            words = " ".join(texts(out["response"]["_pages_content"]["children"]))
            assert "Unknown place" in words, (page, value)
    assert _forbidden(recorder, secret_bundle) == []


def test_profile_path_traversal_is_a_notice(demo_app, recorder, secret_bundle):
    client = demo_app.server.test_client()
    for path in (
        "/profile/..%2F..%2Fetc%2Fpasswd",
        "/profile/../../etc/passwd",
        "/profile/%2Fetc%2Fpasswd",
        f"/profile/{secret_bundle}",
    ):
        status, out = post(client, router_body(path, "?place=..%2Fsecret"))
        assert status == 200, (path, out)
        words = " ".join(texts(out["response"]["_pages_content"]["children"]))
        assert "Unknown place" in words and "choose one below" in words, (path, words[:300])
    assert _forbidden(recorder, secret_bundle) == []


def test_open_place_safe_only_opens_listed_places(recorder, secret_bundle):
    for spec in ("/etc/passwd", str(secret_bundle), "../secret", "secret"):
        place, notice = _state.open_place_safe(spec)
        assert notice.startswith("Unknown place") and place.synthetic
    assert _forbidden(recorder, secret_bundle) == []


def test_static_routes_do_not_traverse(demo_app):
    client = demo_app.server.test_client()
    for url in (
        "/assets/..%2F..%2F..%2Fetc%2Fpasswd",
        "/assets/../../etc/passwd",
        "/_dash-component-suites/..%2F..%2Fetc/passwd",
        "/_dash-component-suites/dash/../../../../etc/passwd",
    ):
        r = client.get(url)
        assert r.status_code in (400, 404, 500), url
        assert b"root:" not in r.data and b"Traceback" not in r.data


# --------------------------------------------------------------------------- errors


def test_callback_error_has_no_stack_trace(demo_app):
    """A callback that raises answers 500 with a generic body (debug is off)."""
    app = create_app()

    @app.callback(dash.Output("boom-out", "children"), dash.Input("boom-in", "value"))
    def boom(value):
        raise RuntimeError(f"secret detail {ROOT} {value}")

    client = app.server.test_client()
    body = {
        "output": "boom-out.children",
        "outputs": {"id": "boom-out", "property": "children"},
        "inputs": [{"id": "boom-in", "property": "value", "value": 1}],
        "state": [],
        "changedPropIds": ["boom-in.value"],
    }
    status, out = post(client, body)
    assert status == 500
    assert isinstance(out, bytes)
    for leak in (b"Traceback", b"secret detail", str(ROOT).encode(), b".py"):
        assert leak not in out


def test_debug_is_off_by_default():
    from hubplan.web import parse_args

    assert parse_args([]).debug is False and parse_args([]).host == "127.0.0.1"


# --------------------------------------------------------------------------- uploads


def _indicator(key="safe_up") -> Indicator:
    return Indicator(key=key, label="Safe upload", kind="count", column=key)


def test_oversized_upload_is_refused_before_decoding_or_parsing(monkeypatch):
    calls = []
    monkeypatch.setattr(uploads.base64, "b64decode", lambda *a, **k: calls.append("decode"))
    monkeypatch.setattr(uploads.pd, "read_csv", lambda *a, **k: calls.append("parse"))
    big = "data:text/csv;base64," + "A" * (uploads.MAX_BYTES * 4 // 3 + 8)
    with pytest.raises(uploads.UploadError, match=r"the limit is 5\.\d MB"):
        uploads.contents_bytes(big)
    assert calls == []


def test_upload_contents_must_be_a_base64_data_url():
    ok = "data:text/csv;base64," + base64.b64encode(b"code,n\nA,1\n").decode()
    assert uploads.contents_bytes(ok) == b"code,n\nA,1\n"
    for bad in ("no comma", "data:text/csv,plain", "data:text/csv;base64,@@@@", None):
        with pytest.raises(uploads.UploadError):
            uploads.contents_bytes(bad)


def test_upload_page_refuses_an_oversized_file_and_stores_nothing(demo_app, tmp_path, monkeypatch):
    from hubplan.pages import indicators
    from tests.support.bundles import demo_copy

    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    path = demo_copy(tmp_path)
    before = path.read_bytes()
    big = "data:text/csv;base64," + base64.b64encode(b"code,n\n" + b"X,1\n" * 1_400_000).decode()
    out = indicators.store(
        1,
        big,
        "big.csv",
        "code",
        "n",
        "big",
        "Big",
        "count",
        None,
        "",
        "worse",
        None,
        [],
        "",
        "",
        "",
        {"place": "demo-copy"},
    )
    assert out.id == "up-errors" and "the limit is" in str(out.children)
    assert path.read_bytes() == before
    info = indicators.read_header(big, "big.csv", {"place": "demo-copy"})[-1]
    assert "big.csv" in info and "the limit is" in info


def test_request_body_is_capped_by_the_server(demo_app):
    client = demo_app.server.test_client()
    assert demo_app.server.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    r = client.post(
        "/_dash-update-component", data=b"x" * (17 * 1024 * 1024), content_type="application/json"
    )
    assert r.status_code == 413 and b"Traceback" not in r.data


def test_upload_is_parsed_in_memory_without_temp_files(monkeypatch):
    """validate_upload opens no file at all (no temp file, nothing on disk)."""
    import tempfile

    from geo.build.places import open_place

    place = open_place("demo")
    for name in (
        "NamedTemporaryFile",
        "TemporaryFile",
        "mkstemp",
        "mkdtemp",
        "TemporaryDirectory",
        "SpooledTemporaryFile",
    ):
        monkeypatch.setattr(
            tempfile, name, lambda *a, _n=name, **k: pytest.fail(f"tempfile.{_n} used")
        )
    data = ("code,n\n" + "".join(f"{c},{i}\n" for i, c in enumerate(place.areas.index))).encode()
    _opens["paths"] = []
    _opens["on"] = True
    try:
        up = uploads.validate_upload(
            place,
            data,
            filename="mine.csv",
            code_column="code",
            value_column="n",
            indicator=_indicator(),
        )
    finally:
        _opens["on"] = False
    # Only read-only system probes (CPU quota from /sys/fs/cgroup) may appear.
    assert [p for p in _opens["paths"] if not p.startswith(("/sys/", "/proc/"))] == []
    assert up.filename == "mine.csv"
    assert up.values.sum() == sum(range(len(place.areas)))


@pytest.mark.parametrize(
    "name", ["../../evil.csv", "/etc/passwd", "..\\..\\evil.csv", "a\x00.csv", "..", ""]
)
def test_upload_file_names_that_look_like_paths_are_refused(name):
    from geo.build.places import open_place

    place = open_place("demo")
    data = ("code,n\n" + "".join(f"{c},1\n" for c in place.areas.index)).encode()
    with pytest.raises(uploads.UploadError, match=r"file (name|has no name)") as err:
        uploads.validate_upload(
            place, data, filename=name, code_column="code", value_column="n", indicator=_indicator()
        )
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- no pickle


PICKLE = re.compile(
    r"\b(import\s+(c?pickle|dill|shelve|marshal|joblib)|from\s+(c?pickle|dill|shelve|joblib)\s+import"
    r"|pickle\.loads?|read_pickle|joblib\.load|marshal\.loads?|yaml\.load\()"
)


def test_no_pickle_anywhere_in_the_server_code():
    files = [ROOT / "app.py"]
    for folder in ("geo", "layers", "hubplan"):
        files += sorted((ROOT / folder).rglob("*.py"))
    assert len(files) > 40
    hits = [
        f"{f.relative_to(ROOT)}:{n}: {line.strip()}"
        for f in files
        for n, line in enumerate(f.read_text().splitlines(), 1)
        if PICKLE.search(line)
    ]
    assert hits == []


def test_pickle_pattern_catches_the_usual_forms():
    for line in (
        "import pickle",
        "from pickle import loads",
        "pickle.load(f)",
        "pd.read_pickle(p)",
        "import joblib",
        "yaml.load(text)",
    ):
        assert PICKLE.search(line), line
    assert not PICKLE.search("safe_load(text)")


# --------------------------------------------------------------------------- basic auth


@pytest.fixture
def auth_app(monkeypatch):
    monkeypatch.setenv(app_module.AUTH_ENV, "planner:s3cret:with:colons")
    return create_app()


def _basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_basic_auth_guards_pages_callbacks_and_assets(auth_app):
    client = auth_app.server.test_client()
    good = _basic("planner", "s3cret:with:colons")
    for url in ("/", "/_dash-layout", "/_dash-dependencies", "/assets/hubplan.css", "/profile"):
        r = client.get(url)
        assert r.status_code == 401 and "Basic" in r.headers["WWW-Authenticate"], url
        with client.get(url, headers=good) as ok:  # closed: a static file stays open otherwise
            assert ok.status_code == 200, url
    body = json.dumps(router_body("/", ""))
    assert (
        client.post(
            "/_dash-update-component", data=body, content_type="application/json"
        ).status_code
        == 401
    )
    r = client.post(
        "/_dash-update-component", data=body, content_type="application/json", headers=good
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + base64.b64encode(b"planner:wrong").decode(),
        "Basic " + base64.b64encode(b"someone:s3cret:with:colons").decode(),
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Bearer abc",
        "Basic",
    ],
)
def test_basic_auth_refuses_bad_credentials_without_errors(auth_app, header):
    r = auth_app.server.test_client().get("/", headers={"Authorization": header})
    assert r.status_code == 401


def test_basic_auth_setting_must_be_user_colon_password(monkeypatch, capsys):
    assert parse_basic_auth("a:b:c") == ("a", "b:c")
    for bad in ("nocolon", ":pass", "user:"):
        with pytest.raises(InputError, match="HUBPLAN_BASIC_AUTH"):
            parse_basic_auth(bad)
    monkeypatch.setenv(app_module.AUTH_ENV, "nocolon")
    assert main(["--port", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hubplan: error:") and "HUBPLAN_BASIC_AUTH" in err and "\n" not in err


def test_no_auth_when_unset(demo_app):
    assert demo_app.server.test_client().get("/").status_code == 200


def test_only_the_shared_state_module_opens_places_for_pages():
    """Pages go through ``open_place_safe`` (listed places only), never open files themselves."""
    direct = re.compile(
        r"\b(open_place|read_place|resolve_place|_open_cached|read_file|read_dataframe)\s*\("
    )
    hits = []
    for f in sorted((ROOT / "pages").glob("*.py")):
        if f.name == "_state.py":
            continue
        hits += [
            f"{f.name}:{n}: {line.strip()}"
            for n, line in enumerate(f.read_text().splitlines(), 1)
            if direct.search(line) and "open_place_safe" not in line
        ]
    assert hits == []

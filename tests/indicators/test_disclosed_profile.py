"""``geo.indicators.profile.disclosed_profile``: the one way views and exports get figures
after disclosure control, and the only caller of ``apply_disclosure`` outside its module."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.build.places import open_place
from geo.errors import InputError
from geo.indicators.aggregate import ALL_AREAS
from geo.indicators.disclosure import SUPPRESSED
from geo.indicators.profile import disclosed_profile, profile_table
from hubplan.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {("geo/indicators/profile.py", "disclosed_profile")}
REEXPORTS = {"geo/__init__.py", "geo/indicators/__init__.py"}


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def _uses(path: Path) -> list[tuple[int, str | None]]:
    """Lines referring to ``apply_disclosure`` (imports, calls, attributes) and their function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str | None]] = []

    def visit(node: ast.AST, func: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            func = node.name if func is None else func
        hit = (
            (isinstance(node, ast.Name) and node.id == "apply_disclosure")
            or (isinstance(node, ast.Attribute) and node.attr == "apply_disclosure")
            or (
                isinstance(node, ast.ImportFrom)
                and any(a.name == "apply_disclosure" for a in node.names)
            )
        )
        if hit:
            found.append((node.lineno, func))
        for child in ast.iter_child_nodes(node):
            visit(child, func)

    visit(tree, None)
    return found


def test_only_disclosed_profile_calls_apply_disclosure():
    paths = [p for pkg in ("geo", "layers", "hubplan") for p in (ROOT / pkg).rglob("*.py")]
    paths.append(ROOT / "app.py")
    bad = []
    for path in sorted(paths):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "geo/indicators/disclosure.py":
            continue
        for line, func in _uses(path):
            # the module-level import in profile.py serves disclosed_profile
            if rel == "geo/indicators/profile.py" and func in (None, "disclosed_profile"):
                continue
            # the library API re-exports it (geo.apply_disclosure): an import, not a caller
            if rel in REEXPORTS and func is None:
                continue
            bad.append(f"{rel}:{line}" + (f" in {func}()" if func else ""))
    assert not bad, "apply_disclosure used outside disclosed_profile: " + ", ".join(bad)
    # and the scan does find the one real caller
    assert [f for _, f in _uses(ROOT / "geo/indicators/profile.py") if f] == [
        "disclosed_profile",
        "disclosed_profile",
    ]


def test_small_footprint_counts_are_suppressed_with_a_secondary_cell(demo):
    raw = profile_table(demo).set_index("footprint")
    result = disclosed_profile(demo, suppress_below=30)
    shown = result.table.set_index("footprint")
    lac = shown["looked_after_children"]
    assert raw.loc["Dunmere", "looked_after_children"] < 30
    assert lac["Dunmere"] == SUPPRESSED
    # one primary cell in a table with a total: the next smallest footprint is hidden too
    assert result.suppressed == 1 and result.secondary == 1
    assert (lac == SUPPRESSED).sum() == 2 and lac[ALL_AREAS] != SUPPRESSED
    # rates built on a hidden count are hidden with it; other indicators are untouched
    hidden = lac.index[lac == SUPPRESSED]
    assert (shown.loc[hidden, "lac_rate"] == SUPPRESSED).all()
    pd.testing.assert_series_equal(shown["imd_score"], raw["imd_score"])
    assert "below 30" in result.note and "1 secondary" in result.note


def test_rounding_and_switching_off(demo):
    raw = profile_table(demo).set_index("footprint")["looked_after_children"]
    rounded = disclosed_profile(demo, round_to=5).table.set_index("footprint")
    values = rounded["looked_after_children"].astype(float)
    assert (values % 5 == 0).all()
    assert (np.abs(values - raw) <= 2.5).all()
    off = disclosed_profile(demo, suppress_below=0)
    assert off.suppressed == off.secondary == 0
    assert not (off.table == SUPPRESSED).any().any()
    with pytest.raises(InputError, match="threshold must be 0 or more"):
        disclosed_profile(demo, suppress_below=-1)


def test_area_level_values_are_controlled_without_a_total(demo):
    result = disclosed_profile(demo, by="area", suppress_below=5)
    table = result.table
    assert list(table.index) == list(demo.areas.index)
    small = pd.to_numeric(demo.areas["looked_after_children"], errors="coerce") < 5
    assert small.any() and not small.all()
    assert ((table["looked_after_children"] == SUPPRESSED) == small).all()
    assert result.secondary == 0
    assert ((table["lac_rate"] == SUPPRESSED) == small).all()


def test_a_cached_table_gives_the_same_result(demo):
    cached = profile_table(demo).set_index("footprint")
    given = disclosed_profile(demo, table=cached.reset_index(), suppress_below=30)
    fresh = disclosed_profile(demo, suppress_below=30)
    pd.testing.assert_frame_equal(given.table, fresh.table)
    with pytest.raises(ValueError, match="'footprint' column"):
        disclosed_profile(demo, table=cached)
    with pytest.raises(InputError, match="unknown profile level 'ward'"):
        disclosed_profile(demo, by="ward")


def test_hubplan_profile_prints_the_disclosed_profile(demo, tmp_path, capsys):
    out = tmp_path / "p.json"
    args = ["profile", "demo", "--format", "json", "--suppress-below", "30", "--out", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    rows = {r["footprint"]: r for r in json.loads(out.read_text())["rows"]}
    shown = disclosed_profile(demo, suppress_below=30).table.set_index("footprint")
    for name in shown.index:
        assert (rows[name]["looked_after_children"] == SUPPRESSED) == (
            shown.loc[name, "looked_after_children"] == SUPPRESSED
        )

"""The layout rules of the brief, checked on the source (no imports executed).

* ``geo`` never imports Dash or Plotly; ``layers`` never imports the pages or the CLI.
* No import cycle between modules, counting imports placed inside functions too, so a cycle
  cannot be hidden by a deferred import.
* Data flows one way between ``geo``'s subpackages: a lower layer never imports a higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "layers", "hubplan")

# geo's subpackages from the bottom up; a module may import its own layer or any lower one.
GEO_LAYERS = [
    {"geo.errors", "geo.settings", "geo.numbers", "geo.progress", "geo.tables", "geo._version"},
    # geo.transit.config checks [network.transit] for geo.place.config (imports geo.errors only)
    {"geo.place", "geo.transit.config"},
    {"geo.network", "geo.datasets", "geo.transit"},
    {"geo.indicators"},
    {"geo.siting", "geo.clusters"},
    {"geo.export"},
    {"geo.build"},
    {"geo"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules ``path`` imports anywhere in it (functions included)."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = name.split(".")
                parent = parent if is_package else parent[:-1]
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def _graph(*, with_packages: bool) -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _imports(path, name, set(modules)):
            if not with_packages and modules[target].name == "__init__.py":
                continue
            graph.add_edge(name, target)
    return graph


def test_no_import_cycles_between_modules():
    graph = _graph(with_packages=False)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {sorted(cycles, key=len)[:5]}"


def _layer(module: str) -> int:
    """The layer of ``module``: that of the longest prefix named in GEO_LAYERS."""
    best: tuple[int, int] | None = None
    for level, names in enumerate(GEO_LAYERS):
        for prefix in names:
            inside = module == prefix or module.startswith(prefix + ".")
            if inside and (best is None or len(prefix) > best[0]):
                best = (len(prefix), level)
    assert best is not None, f"{module} is in no layer of GEO_LAYERS: add it"
    return best[1]


def test_geo_subpackages_import_only_their_layer_or_lower():
    graph = _graph(with_packages=True)
    bad = []
    for a, b in graph.edges:
        if a.startswith("geo") and b.startswith("geo") and a != "geo" and _layer(b) > _layer(a):
            bad.append(f"{a} -> {b}")
    assert not bad, "upward imports: " + ", ".join(sorted(bad))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("geo", ("dash", "plotly", "layers", "hubplan", "flask")), ("layers", ("dash", "hubplan"))],
)
def test_layer_does_not_import(package, forbidden):
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            bad += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in forbidden]
    assert not bad, bad

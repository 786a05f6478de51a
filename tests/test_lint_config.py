"""The habits `make lint` and the test run keep, checked on the repository's own files.

* mypy has no blanket switch-off, and every ``# type: ignore`` names its error code and says why.
* Warnings are errors in the tests; only named dependency warnings are ignored.
* CI lints before it tests, and ``.gitignore`` hides no source folder from ruff or git.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# "# type: ignore[code]  # reason": the code in brackets, then a comment saying why.
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<rest>.*)$")
WITH_CODE_AND_REASON = re.compile(r"^\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s+#\s*\S")


def _python_files() -> list[Path]:
    return sorted(
        p
        for folder in ("geo", "layers", "hubplan", "tests", "benchmarks", "tools")
        if (ROOT / folder).is_dir()
        for p in (ROOT / folder).rglob("*.py")
        if p.resolve() != Path(__file__).resolve()  # this file quotes bad examples
    )


def _bare_ignores(text: str) -> list[int]:
    return [
        n
        for n, line in enumerate(text.splitlines(), start=1)
        if (m := IGNORE.search(line)) and not WITH_CODE_AND_REASON.match(m["rest"].strip())
    ]


def test_the_ignore_checker_tells_good_from_bad() -> None:
    good = "x = f(y)  # type: ignore[arg-type]  # pandas-stubs: cells are any scalar\n"
    assert _bare_ignores(good) == []
    for bad in ("x = 1  # type: ignore\n", "x = 1  # type: ignore[arg-type]\n"):
        assert _bare_ignores(bad) == [1], bad


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    found = {
        f"{path.relative_to(ROOT)}:{n}"
        for path in _python_files()
        for n in _bare_ignores(path.read_text(encoding="utf-8"))
    }
    assert not found, f"'# type: ignore[code]  # reason' needed at {sorted(found)}"


def test_mypy_has_no_blanket_switch_off() -> None:
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["python_version"] == "3.11"
    assert not mypy.get("ignore_errors")
    assert not mypy.get("ignore_missing_imports"), "ignore missing imports per module only"
    for override in mypy.get("overrides", []):
        assert not override.get("ignore_errors"), override["module"]
        modules = override["module"]
        for module in [modules] if isinstance(modules, str) else modules:
            assert module.split(".")[0] not in {"geo", "layers", "hubplan"}, module


def test_warnings_are_errors_with_named_exceptions_only() -> None:
    filters = PYPROJECT["tool"]["pytest"]["ini_options"]["filterwarnings"]
    assert filters[0] == "error"
    for entry in filters[1:]:
        action, message, category, *module = [*entry.split(":"), ""][:4]
        assert action == "ignore", entry
        assert message or module[0], f"{entry!r} ignores a whole category, name it"
        assert category, f"{entry!r} names no warning category"


def test_ci_lints_before_it_tests() -> None:
    steps = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("make ")
    ]
    assert steps == ["make lint", "make test"]
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = make.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    for tool in ("ruff check .", "ruff format --check .", "mypy geo layers"):
        assert tool in recipe, tool


@pytest.mark.parametrize("folder", ["geo/build", "tests/build", "geo", "layers", "hubplan"])
def test_gitignore_hides_no_source_folder(folder: str) -> None:
    probe = f"{folder}/new_module.py"
    result = subprocess.run(
        ["git", "check-ignore", "-q", probe], cwd=ROOT, capture_output=True, check=False
    )
    if result.returncode == 128:
        pytest.skip(f"not a git checkout: {result.stderr.decode().strip()}")
    assert result.returncode == 1, f"{probe} is ignored by .gitignore"

"""The repository's rooms stay apart: benchmarks and tests share only ``testsupport``.

Read with ``ast`` (nothing is imported), so a forbidden import anywhere in a module, even
inside a function that only a full ``make bench`` reaches, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def modules(package: str) -> list[Path]:
    found = sorted((ROOT / package).rglob("*.py"))
    assert found, f"no modules under {package}/"
    return found


def imported(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in ``path`` names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def strings(path: Path) -> set[str]:
    """Every string constant in ``path`` (settings modules are named in strings)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def inside(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def test_the_import_reader_sees_imports_in_functions(tmp_path):
    """The check below must not pass because it missed a lazy import."""
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from tests.settings import X\n    import tests.urls\n")
    assert {"tests.settings", "tests.urls"} <= imported(module)


def test_benchmarks_import_nothing_from_tests():
    """What the benchmarks need of the test suite's tools lives in ``testsupport``."""
    for path in modules("benchmarks"):
        wrong = {name for name in imported(path) if inside(name, "tests")}
        wrong |= {text for text in strings(path) if text.startswith("tests.")}
        assert not wrong, (path.relative_to(ROOT).as_posix(), sorted(wrong))


def test_testsupport_imports_neither_suite():
    """The shared package depends on neither of the suites that share it."""
    for path in modules("testsupport"):
        wrong = {n for n in imported(path) if inside(n, "tests") or inside(n, "benchmarks")}
        assert not wrong, (path.relative_to(ROOT).as_posix(), sorted(wrong))


@pytest.mark.parametrize("package", ["axes_redis", "benchmarks", "testsupport"])
def test_no_module_is_over_400_lines(package):
    """A module does one job (the read model, one figure, one subcommand...); one that
    grows past this is doing several."""
    for path in modules(package):
        lines = len(path.read_text().splitlines())
        assert lines <= MAX_LINES, (path.relative_to(ROOT).as_posix(), lines)

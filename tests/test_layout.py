"""The test suite stands alone: no test module imports another.

A helper borrowed from a test module brings that module's collection with it, and a move or a
rename there breaks the borrower far away; shared helpers live in ``tests/support/`` (or are
conftest fixtures), where their being shared is visible.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[str]:
    """Every module ``path`` imports by absolute or relative name, resolved inside ``tests``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # Relative imports are relative to the ``tests`` package these modules are in.
            base = ".".join(filter(None, ["tests" if node.level else None, node.module]))
            found.append(base)
            # ``from tests import test_x`` names the module in the alias.
            found.extend(f"{base}.{alias.name}" for alias in node.names)
    return found


def is_test_module(name: str) -> bool:
    """A test module, or conftest: pytest loads conftest itself, importing it loads it twice."""
    parts = name.split(".")
    return (
        len(parts) >= 2
        and parts[0] == "tests"
        and (parts[1].startswith("test_") or parts[1] == "conftest")
    )


def test_no_test_module_imports_another():
    """A test module that imports from another makes both harder to read, move and delete."""
    offences = {
        path.name: borrowed
        for path in sorted(TESTS.glob("test_*.py"))
        if (borrowed := [name for name in imported_modules(path) if is_test_module(name)])
    }
    assert offences == {}


def test_the_layout_check_sees_the_imports_it_forbids(tmp_path):
    """Without this the check above would pass on a parser that finds nothing."""
    module = tmp_path / "test_borrower.py"
    module.write_text(
        "import tests.test_a\n"
        "from tests.test_b import helper\n"
        "from tests import test_c\n"
        "from .test_d import other\n"
        "from tests.support.logins import attempt\n"
        "from tests.conftest import ON_CLUSTER\n"
    )
    borrowed = [name for name in imported_modules(module) if is_test_module(name)]
    assert sorted(set(borrowed)) == [
        "tests.conftest",
        "tests.conftest.ON_CLUSTER",
        "tests.test_a",
        "tests.test_b",
        "tests.test_b.helper",
        "tests.test_c",
        "tests.test_d",
        "tests.test_d.other",
    ]

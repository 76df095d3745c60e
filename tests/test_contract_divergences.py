"""The named differences from ``AxesCacheHandler`` stay honest.

The contract tests run on both handlers and name each deliberate difference
(tests/support/contract.py). A name no test asserts any more would still read like a
difference; a test that branched on a handler without a name would hide one.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import contract

TESTS = Path(__file__).resolve().parent
CONTRACT_MODULES = sorted(set(TESTS.glob("test_contract_*.py")) - {Path(__file__).resolve()})


def divergence_names() -> dict[str, contract.Divergence]:
    return {
        name: value
        for name, value in vars(contract).items()
        if isinstance(value, contract.Divergence)
    }


def test_every_divergence_is_listed_and_explained():
    """A difference left out of DIVERGENCES would make ``differs()`` refuse it."""
    named = divergence_names()
    assert sorted(named.values(), key=str) == sorted(contract.DIVERGENCES, key=str)
    for divergence in contract.DIVERGENCES:
        assert len(divergence.reason) > 80, divergence.name


def test_every_divergence_is_asserted_by_a_contract_test():
    """Each named difference is checked on both handlers somewhere, not only written down."""
    text = "\n".join(path.read_text() for path in CONTRACT_MODULES)
    for name in divergence_names():
        assert f"handler.differs({name})" in text, name


def test_contract_tests_branch_on_named_divergences_only():
    """A test may tell the handlers apart only through a named difference."""
    for path in CONTRACT_MODULES:
        text = path.read_text()
        assert not re.search(r"handler\.(label|dotted_path)\s*==", text), path.name
        assert "CacheHandlerUnderTest" not in text, path.name

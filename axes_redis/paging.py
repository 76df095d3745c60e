"""Bounds of the operator's reads: how big a page may be, and batching for the rest.

Every read an operator can trigger (a page of tracked clients, of the login trail,
a full count, a reset) is cut into bounded pieces, so one request never asks
Redis for an unbounded reply.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

MAX_PAGE = 500
"""Largest page a read model returns (tracked clients, login trail); bigger requests are capped."""


def page_size(count: int) -> int:
    """``count`` as a page size: at least 1, at most :data:`MAX_PAGE`."""
    return max(1, min(int(count), MAX_PAGE))


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter); ``itertools.batched`` is 3.12+."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch

"""``SCAN`` over our keys, never ``KEYS``: all at once, or a page at a time with a cursor.

On Redis Cluster each primary has its own keyspace and cursor; both walks visit
every primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from redis.cluster import RedisCluster

from axes_redis import keys
from axes_redis.connection import RedisClient

SCAN_COUNT = 1000
"""Keys SCAN looks at per call: bounds the time Redis spends on one command."""

_NODE_SHIFT = 64
"""Cluster cursors: node index above the 64 bits of that node's own SCAN cursor."""


def keys_matching(redis: RedisClient, pattern: str) -> Iterator[str]:
    """Every key matching ``pattern``, as text; walks every primary of a cluster."""
    for key in redis.scan_iter(match=pattern, count=SCAN_COUNT):
        yield keys.key_text(key)


def step(redis: RedisClient, cursor: int, match: str, count: int) -> tuple[int, list[Any]]:
    """One ``SCAN`` call. On Redis Cluster the cursor also says which primary is next.

    A cluster cursor is ``node_index << 64 | node_cursor`` over the primaries
    sorted by name, so the caller still carries one integer and 0 still means done.
    """
    if not isinstance(redis, RedisCluster):
        next_cursor, batch = redis.scan(cursor=cursor, match=match, count=count)
        return int(next_cursor), list(batch)
    cluster: Any = redis  # redis-py's cluster API is untyped
    nodes = sorted(cluster.get_primaries(), key=lambda node: node.name)
    index, node_cursor = divmod(cursor, 1 << _NODE_SHIFT)
    if index >= len(nodes):
        return 0, []
    node = nodes[index]
    cursors, batch = cluster.scan(cursor=node_cursor, match=match, count=count, target_nodes=node)
    node_cursor = int(cursors[node.name])
    if node_cursor == 0:
        index += 1
    if index >= len(nodes):
        return 0, list(batch)
    return (index << _NODE_SHIFT) | node_cursor, list(batch)

"""``AXES_REDIS_CLIENT`` factory for the suite's Redis Cluster runs.

The cluster fixture fills ``NODES`` before any test asks for a client.
"""

from __future__ import annotations

from redis.cluster import ClusterNode, RedisCluster

NODES: list[tuple[str, int]] = []
FACTORY = "tests.cluster_client.get"


def get() -> RedisCluster:
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in NODES],
        socket_connect_timeout=1,
        socket_timeout=1,
    )

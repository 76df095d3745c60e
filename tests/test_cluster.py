"""Redis Cluster: one client's keys in one slot, clients spread, scans walk every primary.

A real 3-primary cluster on loopback, started for this module. (``make
test-cluster`` additionally runs the whole suite on such a cluster.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings
from redis.cluster import RedisCluster

from axes_redis import connection, keys
from axes_redis.handler import AxesRedisHandler
from axes_redis.store import AttemptStore
from tests import cluster_client
from testsupport.redis_server import throwaway_cluster

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def cluster_nodes() -> Iterator[list[tuple[str, int]]]:
    with throwaway_cluster() as nodes:
        yield nodes


@pytest.fixture
def cluster(cluster_nodes: list[tuple[str, int]]) -> Iterator[RedisCluster]:
    saved = list(cluster_client.NODES)
    cluster_client.NODES[:] = cluster_nodes
    connection._client_from_factory.cache_clear()
    with override_settings(AXES_REDIS_CLIENT=cluster_client.FACTORY):
        client = connection.get_client()
        client.flushdb()
        yield client
    connection._client_from_factory.cache_clear()
    cluster_client.NODES[:] = saved
    caches["axes"].close()


def primaries(nodes: list[tuple[str, int]]) -> list[redis.Redis]:
    return [redis.Redis(host=host, port=port) for host, port in nodes]


def test_ten_thousand_clients_spread_over_every_primary(cluster, cluster_nodes):
    """One hash tag for everything would put the whole load on one node."""
    store = AttemptStore(cluster, "axes")
    for n in range(10_000):
        ip = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        store.record_failure(
            [keys.client_key("axes", {"ip_address": ip})],
            cooloff=None,
            limit=3,
            lock_out=True,
            metadata={},
        )
    sizes = [node.dbsize() for node in primaries(cluster_nodes)]
    assert sum(sizes) == 10_000
    assert min(sizes) > 2_000


def test_keys_of_one_client_share_a_slot(cluster):
    """Every kind of key of one parameter set must be usable in one script call."""
    tag = {"ip_address": "203.0.113.9", "username": "alice"}
    client_key = keys.client_key("axes", tag)
    assert cluster.keyslot(client_key) == cluster.keyslot(client_key.replace(":client:", ":x:"))


def test_lockout_with_keys_in_different_slots(cluster, client):
    """Several lockout parameter sets land in several slots; each must still count and lock."""
    with override_settings(AXES_LOCKOUT_PARAMETERS=["username", "ip_address"]):
        statuses = [
            client.post("/login/", {"username": "alice", "password": "wrong"}).status_code
            for _ in range(4)
        ]
    assert statuses == [200, 200, 429, 429]
    user_key = keys.client_key("axes", {"username": "alice"})
    ip_key = keys.client_key("axes", {"ip_address": "127.0.0.1"})
    assert cluster.keyslot(user_key) != cluster.keyslot(ip_key)
    assert int(cluster.hget(user_key, "fails")) >= 3
    assert int(cluster.hget(ip_key, "fails")) >= 3


def test_resets_walk_every_primary(cluster, cluster_nodes):
    """A reset that scanned one node would leave lockouts behind on the others."""
    store = AttemptStore(cluster, "axes")
    for n in range(300):
        for parameters in (
            {"username": f"user{n}"},
            {"username": "alice", "ip_address": f"10.0.{n // 256}.{n % 256}"},
        ):
            store.record_failure(
                [keys.client_key("axes", parameters)],
                cooloff=None,
                limit=3,
                lock_out=True,
                metadata={},
            )
    handler = AxesRedisHandler()
    assert handler.reset_attempts(username="alice") == 300
    assert handler.reset_attempts() == 300
    assert [node.dbsize() for node in primaries(cluster_nodes)] == [0, 0, 0]


def test_script_flush_on_every_node_is_survived(cluster, cluster_nodes, client):
    """A failover or restart empties script caches; the next login must not fail."""
    client.post("/login/", {"username": "alice", "password": "wrong"})
    for node in primaries(cluster_nodes):
        node.script_flush()
    client.post("/login/", {"username": "alice", "password": "wrong"})
    ip_key = keys.client_key("axes", {"ip_address": "127.0.0.1"})
    assert cluster.hget(ip_key, "fails") == b"2"

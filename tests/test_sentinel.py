"""Sentinel: failed logins keep being counted across a failover.

A real primary, replica and sentinel on loopback; the handler reaches them
through ``AXES_REDIS_CLIENT`` and a Sentinel ``master_for`` client.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.test import override_settings

from axes_redis import connection, keys
from tests import sentinel_client
from testsupport.redis_server import throwaway_sentinel

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

IP_KEY = keys.client_key("axes", {"ip_address": "127.0.0.1"})


@pytest.fixture
def sentinel() -> Iterator[redis.Redis]:
    with throwaway_sentinel(sentinel_client.SERVICE) as (address, _):
        sentinel_client.SENTINELS[:] = [address]
        connection._client_from_factory.cache_clear()
        with override_settings(AXES_REDIS_CLIENT=sentinel_client.FACTORY, AXES_FAILURE_LIMIT=100):
            yield redis.Redis(host=address[0], port=address[1])
        connection._client_from_factory.cache_clear()


def primary_address(sentinel: redis.Redis) -> tuple[str, int]:
    found: Any = sentinel.sentinel_get_master_addr_by_name(sentinel_client.SERVICE)
    host, port = found
    return (host.decode() if isinstance(host, bytes) else host, int(port))


def failures_at(address: tuple[str, int]) -> int:
    return int(redis.Redis(host=address[0], port=address[1]).hget(IP_KEY, "fails") or 0)


def test_failover_keeps_counting(sentinel, client):
    """A failover must not reset the count or stop counting (a window for free guesses)."""
    for _ in range(2):
        assert client.post("/login/", {"username": "a", "password": "wrong"}).status_code == 200
    before = primary_address(sentinel)
    assert failures_at(before) == 2

    deadline = time.monotonic() + 30
    while True:  # the replica may need a moment before the sentinel calls it good
        try:
            sentinel.execute_command("SENTINEL FAILOVER", sentinel_client.SERVICE)
            break
        except redis.ResponseError:
            assert time.monotonic() < deadline, "the sentinel never accepted the failover"
            time.sleep(0.2)
    while primary_address(sentinel) == before:
        assert time.monotonic() < deadline, "the failover did not complete"
        time.sleep(0.1)
    after = primary_address(sentinel)

    # During the switch a login may be refused (fail closed), or land on the old primary just
    # before it is demoted (Redis replication is asynchronous, so that write is lost): keep
    # failing until the new primary counts, which must happen within seconds.
    while failures_at(after) < 3:
        assert time.monotonic() < deadline, "failed logins never reached the new primary"
        client.post("/login/", {"username": "a", "password": "wrong"})
        time.sleep(0.05)
    counted = failures_at(after)
    assert client.post("/login/", {"username": "a", "password": "wrong"}).status_code == 200
    assert failures_at(after) == counted + 1

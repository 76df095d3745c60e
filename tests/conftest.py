"""Real Redis through two fixtures: one server per session, a flush per test.

``redis_server_url`` is ``REDIS_URL`` when it is given and answers (the tests
flush that database), else a throwaway ``redis-server`` started for the session:
never a Redis that merely happens to listen on 127.0.0.1:6379. With
``AXES_REDIS_REQUIRE_SERVER=1`` (set by CI) a missing Redis fails the run
instead of skipping it.

``redis_db`` is parametrised over both supported cache backends, so every test
that uses it runs on django-redis and on Django's own ``RedisCache``.
``AXES_REDIS_TEST_SERVER`` switches the server: ``fakeredis`` (compatibility run)
or ``cluster`` (a real 3-primary Redis Cluster through ``AXES_REDIS_CLIENT``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from axes.handlers.proxy import AxesProxyHandler
from axes.signals import user_locked_out
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import override_settings

from axes_redis.connection import get_client
from tests import cluster_client
from tests.support.caches import BACKENDS, ON_CLUSTER, cache_config
from tests.support.contract import HANDLERS, HandlerUnderTest
from tests.support.logins import RIGHT
from testsupport.counting import TALLY
from testsupport.redis_server import (
    REQUIRE_ENV,
    RedisUnavailable,
    redis_url,
    throwaway_cluster,
    throwaway_server,
)


@contextmanager
def axes_redis_at(backend: str, url: str, **extra: Any) -> Iterator[Any]:
    """The ``axes`` cache on ``backend`` at ``url``: its client on an empty database."""
    caches_setting = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "axes": cache_config(backend, url),
    }
    with override_settings(CACHES=caches_setting, **extra):
        client = get_client()
        client.flushdb()
        TALLY.reset()
        yield client
        # A fresh connection for the cleanup: fakeredis' server drops a connection
        # after an error reply (MEMORY USAGE, which it lacks), leaving it stale.
        pooled = hasattr(client, "connection_pool")  # a RedisCluster has one per node
        if pooled:
            client.connection_pool.disconnect()
        client.flushdb()
        caches["axes"].close()
        # Django's RedisCache leaves its pool's sockets open when the cache object goes:
        # closed here, or every test leaves a connection (a server thread on fakeredis).
        if pooled:
            client.connection_pool.disconnect()


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    try:
        server: Any = throwaway_cluster() if ON_CLUSTER else redis_url()
        found = server.__enter__()
        if ON_CLUSTER:
            cluster_client.NODES[:] = found
            found = "redis://{}:{}/0".format(*found[0])
        url = str(found)
    except RedisUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 and no Redis could be reached or started: {exc}")
        pytest.skip(f"no Redis reachable or startable: {exc}")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(params=list(BACKENDS))
def redis_db(request: pytest.FixtureRequest, redis_server_url: str) -> Iterator[Any]:
    """The raw client our handler uses, on an empty database, tallies reset."""
    cluster = {"AXES_REDIS_CLIENT": cluster_client.FACTORY} if ON_CLUSTER else {}
    with axes_redis_at(request.param, redis_server_url, **cluster) as client:
        yield client


@pytest.fixture(scope="module")
def private_server_url() -> Iterator[str]:
    """A redis-server of our own: nobody else's traffic in its statistics, and a
    SCRIPT FLUSH or restart there disturbs no other test."""
    with throwaway_server() as url:
        yield url


@pytest.fixture(params=list(BACKENDS))
def private_redis(request: pytest.FixtureRequest, private_server_url: str) -> Iterator[Any]:
    """Like ``redis_db``, on the module's private server."""
    with axes_redis_at(request.param, private_server_url) as client:
        yield client


@pytest.fixture(
    params=[
        "axes-redis",
        # On a cluster only our handler is pointed at the nodes (AXES_REDIS_CLIENT).
        pytest.param("AxesCacheHandler", marks=pytest.mark.single_node),
    ]
)
def handler(
    request: pytest.FixtureRequest, redis_db: Any, settings: Any
) -> Iterator[HandlerUnderTest]:
    """The handler a contract test holds to django-axes' behaviour: ours, then
    ``AxesCacheHandler`` with its cache on the same Redis (``redis_db``)."""
    under_test = HANDLERS[request.param](redis_db)
    settings.AXES_HANDLER = under_test.dotted_path
    AxesProxyHandler.get_implementation(force=True)
    try:
        yield under_test
    finally:
        # django-axes memoises the handler; the next test builds it from its own settings.
        AxesProxyHandler.implementation = None


@pytest.fixture
def users(db: Any) -> None:
    """alice (staff), bob, carol and the whitelisted user, all with the password ``RIGHT``."""
    User.objects.create_user("alice", password=RIGHT, is_staff=True)
    for name in ("bob", "carol", "trusted"):
        User.objects.create_user(name, password=RIGHT)


@pytest.fixture
def lockouts() -> Iterator[list[dict[str, Any]]]:
    """Every ``user_locked_out`` signal sent during the test, with its sender."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append({"sender": sender, **kwargs})

    user_locked_out.connect(receiver, weak=False, dispatch_uid="contract-test")
    try:
        yield sent
    finally:
        user_locked_out.disconnect(dispatch_uid="contract-test")

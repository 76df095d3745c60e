"""Checks that need the server (deploy-tagged) and the timeout warning.

Each runs against a throwaway redis-server or a closed port, never the shared one.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import redis
from django.core.checks import CheckMessage, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from axes_redis import checks
from tests.support.caches import BACKENDS, cache_config
from testsupport.redis_server import free_port, throwaway_server

pytestmark = pytest.mark.real_redis_only


def caches_at(backend: str, url: str, timeout: float | None) -> dict[str, Any]:
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "axes": cache_config(backend, url, timeout=timeout),
    }


def ids(messages: list[CheckMessage]) -> list[str]:
    return [str(message.id) for message in messages]


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_unbounded_socket_timeouts_warn(backend):
    """redis-py's 5 s default (with retries) would let a hung Redis hang every login."""
    # Distinct URLs: django-redis keeps one pool per URL for the whole process.
    with override_settings(CACHES=caches_at(backend, "redis://127.0.0.1:1/1", None)):
        assert ids(checks.check_configuration(None)) == [checks.W002]
    with override_settings(CACHES=caches_at(backend, "redis://127.0.0.1:1/2", 0.25)):
        assert ids(checks.check_configuration(None)) == []


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_unreachable_redis_fails_the_deploy_check(backend):
    """`check --deploy` must catch a Redis that is not there before users do."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(CACHES=caches_at(backend, url, 0.2)):
        assert ids(checks.check_server(None)) == [checks.E005]
        assert checks.E005 in ids(run_checks(include_deployment_checks=True))
        assert checks.E005 not in ids(run_checks())


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_acl_without_scripting_fails_the_deploy_check(backend):
    """An ACL user that may not run scripts would fail every login at runtime."""
    with throwaway_server() as url:
        admin = redis.Redis.from_url(url)
        admin.acl_setuser(
            "noscripts", enabled=True, nopass=True, keys=["*"], commands=["+@all", "-@scripting"]
        )
        limited = url.replace("redis://", "redis://noscripts:x@")
        with override_settings(CACHES=caches_at(backend, limited, 0.5)):
            assert ids(checks.check_server(None)) == [checks.E006]
        with override_settings(CACHES=caches_at(backend, url, 0.5)):
            assert ids(checks.check_server(None)) == []


def test_version_floor_is_below_the_servers_we_test_on(redis_server_url):
    """E007's floor must accept the Redis the suite runs on (7.x here)."""
    version = redis.Redis.from_url(redis_server_url).info("server")["redis_version"]
    assert tuple(int(p) for p in version.split(".")[:2]) >= checks.MIN_REDIS_VERSION


def test_uppercase_options_on_djangos_cache_do_not_crash_the_deploy_check():
    """django-redis' SOCKET_TIMEOUT on Django's RedisCache used to make `check --deploy`
    die on redis-py's TypeError: now it is E010, once, and the server check stands aside."""
    caches = caches_at("django", f"redis://127.0.0.1:{free_port()}/0", None)
    caches["axes"]["OPTIONS"] = {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2}
    with override_settings(CACHES=caches):
        assert ids(checks.check_server(None)) == []
        found = ids(run_checks(include_deployment_checks=True))
        assert found.count(checks.E010) == 1
        assert checks.W002 not in found
        with pytest.raises(SystemCheckError, match=checks.E010):
            call_command("check", "--deploy", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_options_redis_py_refuses_are_e010_at_deploy(backend):
    """Any option redis-py refuses (a misspelt one) is found when the deploy check connects."""
    caches = caches_at(backend, f"redis://127.0.0.1:{free_port()}/0", 0.2)
    if backend == "django":
        caches["axes"]["OPTIONS"]["socket_timout"] = 0.2
    else:
        caches["axes"]["OPTIONS"]["CONNECTION_POOL_KWARGS"]["socket_timout"] = 0.2
    with override_settings(CACHES=caches):
        (error,) = checks.check_server(None)
    assert error.id == checks.E010
    assert "socket_timout" in error.msg


def protocol(config: dict[str, Any], backend: str, version: int) -> None:
    """Pin redis-py's protocol (redis-py 8 defaults to RESP3, 5 to RESP2)."""
    options = config["axes"]["OPTIONS"]
    if backend == "django":
        options["protocol"] = version
    else:
        options["CONNECTION_POOL_KWARGS"]["protocol"] = version


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_server_without_hello_is_e007_not_e006(backend):
    """Redis < 6 answers redis-py's HELLO 3 with "unknown command": that is an old server
    (E007), not one refusing our scripts (E006). Shown on a real server whose HELLO is
    renamed away, which answers HELLO as Redis 5 does."""
    with throwaway_server("--rename-command", "HELLO", "") as url:
        caches = caches_at(backend, url, 0.5)
        protocol(caches, backend, 3)
        with override_settings(CACHES=caches):
            (error,) = checks.check_server(None)
        caches = caches_at(backend, url.replace("/0", "/1"), 0.5)
        protocol(caches, backend, 2)
        with override_settings(CACHES=caches):
            assert checks.check_server(None) == []  # RESP2 needs no HELLO
    assert error.id == checks.E007
    assert "HELLO" in error.msg
    assert error.hint == "Use Redis 6.0 or newer."


# --- a Redis that fills up ----------------------------------------------------------------


@pytest.fixture(scope="module")
def own_server():
    """A server of our own: its memory settings are changed by these tests."""
    with throwaway_server() as url:
        yield url, redis.Redis.from_url(url)


def memory_ids(url: str, **settings_: Any) -> list[str]:
    with override_settings(CACHES=caches_at("django", url, 0.5), **settings_):
        return ids(checks.check_server(None))


def test_no_maxmemory_and_nothing_that_expires_is_w005(own_server):
    """Without a cool-off or a retention every sprayed client stays: say so before a spray."""
    url, admin = own_server
    admin.config_set("maxmemory", 0)
    unbounded = {"AXES_COOLOFF_TIME": None, "AXES_REDIS_RETENTION": None}
    assert memory_ids(url, **unbounded) == [checks.W005]
    assert memory_ids(url, AXES_COOLOFF_TIME=None) == []  # the default retention bounds it
    assert memory_ids(url, **{**unbounded, "AXES_COOLOFF_TIME": 1}) == []


@pytest.mark.parametrize(
    "policy", ["allkeys-lru", "volatile-lru", "allkeys-random", "volatile-ttl"]
)
def test_an_eviction_policy_that_can_evict_lockouts_is_w006(own_server, policy):
    """Measured: a spray on volatile-lru evicted counters and gave 18 guesses for a limit of 5."""
    url, admin = own_server
    admin.config_set("maxmemory", 512 * 1024 * 1024)
    try:
        admin.config_set("maxmemory-policy", policy)
        (warning,) = [m for m in memory_ids(url) if m != checks.W007]
        assert warning == checks.W006
        admin.config_set("maxmemory-policy", "noeviction")
        assert memory_ids(url) == []
    finally:
        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", 0)


def test_a_trail_that_can_outgrow_maxmemory_is_w007(own_server):
    """100,000 maximal trail entries take some 140 MB: too much for a 192 MB Redis."""
    url, admin = own_server
    admin.config_set("maxmemory", 192 * 1024 * 1024)
    try:
        assert memory_ids(url) == [checks.W007]
        assert memory_ids(url, AXES_REDIS_TRAIL_MAXLEN=10_000) == []
    finally:
        admin.config_set("maxmemory", 0)

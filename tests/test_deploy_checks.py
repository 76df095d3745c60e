"""Checks that need the server (deploy-tagged) and the timeout warning.

Each runs against a throwaway redis-server or a closed port, never the shared one.
"""

from __future__ import annotations

import pytest
import redis
from django.core.checks import CheckMessage, run_checks
from django.test import override_settings

from axes_redis import checks
from tests.conftest import BACKENDS, cache_config
from tests.redis_server import free_port, throwaway_server

pytestmark = pytest.mark.real_redis_only


def caches_at(backend: str, url: str, timeout: float | None) -> dict[str, object]:
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

"""The caches the suite runs on: both supported Redis cache backends, counting commands.

Shared by conftest's fixtures and the tests that build their own ``CACHES`` (outages, deploy
checks), so that every one of them counts round trips the same way.
"""

from __future__ import annotations

import os
from typing import Any

from testsupport.counting import CountingConnection
from testsupport.redis_server import SERVER_ENV

ON_CLUSTER = os.environ.get(SERVER_ENV) == "cluster"
"""``AXES_REDIS_TEST_SERVER=cluster``: the whole suite on a real 3-primary Redis Cluster."""

BACKENDS = {
    "django-redis": "django_redis.cache.RedisCache",
    "django": "django.core.cache.backends.redis.RedisCache",
}


def cache_config(backend: str, url: str, timeout: float | None = None) -> dict[str, Any]:
    """CACHES entry for ``backend`` at ``url``, counting commands, with socket timeouts."""
    if backend == "django-redis":
        options: dict[str, Any] = {
            "CONNECTION_POOL_KWARGS": {"connection_class": CountingConnection}
        }
        if timeout is not None:
            options.update(SOCKET_CONNECT_TIMEOUT=timeout, SOCKET_TIMEOUT=timeout)
    else:
        options = {"connection_class": CountingConnection}
        if timeout is not None:
            options.update(socket_connect_timeout=timeout, socket_timeout=timeout)
    return {"BACKEND": BACKENDS[backend], "LOCATION": url, "OPTIONS": options}

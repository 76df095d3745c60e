"""``AXES_REDIS_CLIENT`` factory for the Sentinel test: the fixture fills ``SENTINELS``."""

from __future__ import annotations

from typing import Any

from redis.sentinel import Sentinel

SENTINELS: list[tuple[str, int]] = []
SERVICE = "mymaster"
FACTORY = "tests.sentinel_client.get"


def get() -> Any:
    sentinel = Sentinel(SENTINELS, socket_timeout=0.5, socket_connect_timeout=0.5)
    return sentinel.master_for(SERVICE, socket_timeout=0.5, socket_connect_timeout=0.5)

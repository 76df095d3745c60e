"""The Lua scripts under ``lua/``: read once from the package, run by SHA.

redis-py's ``Script`` runs ``EVALSHA`` and, on ``NOSCRIPT`` (after ``SCRIPT
FLUSH``, a restart or a failover), loads the source and retries, so callers
never see a cold script cache.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from redis.typing import EncodableT, KeyT

RECORD_FAILURE = "record_failure"
GET_FAILURES = "get_failures"
RELEASE = "release"


@functools.cache
def source(name: str) -> bytes:
    """The bytes of ``lua/<name>.lua`` as shipped inside the package."""
    return (files("axes_redis") / "lua" / f"{name}.lua").read_bytes()


def run(client: Any, name: str, keys: Sequence[KeyT], args: Sequence[EncodableT]) -> Any:
    """Run one script in one round trip.

    ``register_script`` only hashes the cached source (no I/O), so registering on
    the client at hand keeps this correct for clients that Django's ``RedisCache``
    builds per call as well as for cluster clients.
    """
    script = client.register_script(source(name))
    return script(keys=keys, args=args)

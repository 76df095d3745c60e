"""The Lua scripts under ``lua/``: read and hashed once, run by SHA.

Each call is one ``EVALSHA``; on ``NOSCRIPT`` (after ``SCRIPT FLUSH``, a restart
or a failover) the source is loaded and the call retried, as redis-py's
``Script`` does, so callers never see a cold script cache.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from redis.client import Pipeline
from redis.exceptions import NoScriptError
from redis.typing import EncodableT, KeyT

ADMIT = "admit"
RECORD_FAILURE = "record_failure"
GET_FAILURES = "get_failures"
RELEASE = "release"


@functools.cache
def source(name: str) -> bytes:
    """The bytes of ``lua/<name>.lua`` as shipped inside the package."""
    return (files("axes_redis") / "lua" / f"{name}.lua").read_bytes()


@functools.cache
def sha(name: str) -> str:
    """SHA-1 of the script, the name Redis caches it under (what ``EVALSHA`` takes)."""
    return hashlib.sha1(source(name)).hexdigest()


def run(client: Any, name: str, keys: Sequence[KeyT], args: Sequence[EncodableT]) -> Any:
    """Run one script in one round trip.

    Nothing is kept per client: the SHA is a property of the script alone, so
    this is correct for the clients that Django's ``RedisCache`` builds per call,
    for cluster clients (``EVALSHA`` is routed by its keys, ``SCRIPT LOAD`` goes to
    every primary) and after a failover. A pipeline goes through redis-py's
    ``Script``, which makes the pipeline load the script before it executes.
    """
    if isinstance(client, Pipeline):
        return client.register_script(source(name))(keys=keys, args=args, client=client)
    try:
        return client.evalsha(sha(name), len(keys), *keys, *args)
    except NoScriptError:
        client.script_load(source(name))
        return client.evalsha(sha(name), len(keys), *keys, *args)

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from redis.client import Pipeline
from redis.exceptions import NoScriptError
from redis.typing import EncodableT, KeyT

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+, and annotations are never evaluated
    from importlib.resources.abc import Traversable

    from axes_redis.connection import RedisClient

ADMIT = "admit"
RECORD_FAILURE = "record_failure"
GET_FAILURES = "get_failures"
RELEASE = "release"


def folder() -> Traversable:
    """Where the ``.lua`` files are: the one place that knows.

    A built package has them inside, as ``axes_redis/lua/`` (the build maps the
    top-level ``lua/`` there: ``package-dir`` in pyproject.toml). A source
    checkout, and so an editable install, keeps them where the repository does, in
    ``lua/`` beside the package: there is no link or copy in the tree.
    """
    packaged = files("axes_redis") / "lua"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "lua"


def names() -> list[str]:
    """The shipped ``lua/*.lua`` scripts, by name."""
    return sorted(
        entry.name[: -len(".lua")] for entry in folder().iterdir() if entry.name.endswith(".lua")
    )


@functools.cache
def source(name: str) -> bytes:
    """The bytes of ``lua/<name>.lua``."""
    return (folder() / f"{name}.lua").read_bytes()


@functools.cache
def sha(name: str) -> str:
    """SHA-1 of the script, the name Redis caches it under (what ``EVALSHA`` takes)."""
    return hashlib.sha1(source(name)).hexdigest()


def run(
    redis: RedisClient | Pipeline, name: str, keys: Sequence[KeyT], args: Sequence[EncodableT]
) -> Any:
    """Run one script in one round trip.

    Nothing is kept per redis-py object: the SHA is a property of the script alone,
    so this is correct for the objects that Django's ``RedisCache`` builds per call,
    for cluster clients (``EVALSHA`` is routed by its keys, ``SCRIPT LOAD`` goes to
    every primary) and after a failover. A pipeline goes through redis-py's
    ``Script``, which makes the pipeline load the script before it executes.
    """
    if isinstance(redis, Pipeline):
        return redis.register_script(source(name))(keys=keys, args=args, client=redis)
    try:
        return redis.evalsha(sha(name), len(keys), *keys, *args)
    except NoScriptError:
        redis.script_load(source(name))
        return redis.evalsha(sha(name), len(keys), *keys, *args)

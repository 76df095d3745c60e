"""A seeded world of tracked clients for the operators' read side (admin, command, queries).

Failures are recorded with the real script, one key per parameter set, as the handler records
them: the world has every shape an operator meets (username, IP, both, with a user agent, and a
user agent forged to look like other parameters).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from axes_redis import keys
from axes_redis.store import AttemptStore

PREFIX = "axes"
IP = "10.0.0.1"
OTHER_IP = "10.0.0.2"
UA = "curl/8"

ALICE = {"username": "alice"}
BOB = {"username": "bob"}
MALICE = {"username": "malice"}
AT_IP = {"ip_address": IP}
AT_OTHER_IP = {"ip_address": OTHER_IP}
ALICE_AT_IP = {"ip_address": IP, "username": "alice"}
ALICE_AT_OTHER_IP = {"ip_address": OTHER_IP, "username": "alice"}
BOB_AT_IP = {"ip_address": IP, "username": "bob"}
ALICE_UA = {"username": "alice", "user_agent": UA}
ALICE_AT_IP_UA = {"ip_address": IP, "username": "alice", "user_agent": UA}
UA_SPOOF = {"user_agent": f"username=alice|ip_address={IP}"}

WORLD = [
    ALICE,
    BOB,
    MALICE,
    AT_IP,
    AT_OTHER_IP,
    ALICE_AT_IP,
    ALICE_AT_OTHER_IP,
    BOB_AT_IP,
    ALICE_UA,
    ALICE_AT_IP_UA,
    UA_SPOOF,
]
HOSTILE_USERNAMES = ["*", "a b", "x'y", "\n", "[a-z]*", "alice|ip_address=10.0.0.1", "%2A"]


def key(parameters: Mapping[str, object]) -> str:
    return keys.client_key(PREFIX, parameters)


def keyset(sets: Iterable[Mapping[str, object]]) -> set[str]:
    return {key(p) for p in sets}


def stored(redis: Any) -> set[str]:
    return {k.decode("utf-8", errors="surrogateescape") for k in redis.scan_iter()}


def seed(
    redis: Any,
    sets: Iterable[Mapping[str, object]] = WORLD,
    *,
    failures: int = 1,
    limit: int = 3,
    cooloff: timedelta | None = timedelta(hours=1),
    user_agent: str = "pytest",
) -> set[str]:
    """Record failures as the handler does: the real script, one key per parameter set."""
    store = AttemptStore(redis, PREFIX)
    created = set()
    for parameters in sets:
        client_key = key(parameters)
        created.add(client_key)
        for _ in range(failures):
            store.record_failure(
                [client_key],
                cooloff=cooloff,
                limit=limit,
                lock_out=True,
                metadata={
                    "username": parameters.get("username"),
                    "ip_address": parameters.get("ip_address"),
                    "user_agent": parameters.get("user_agent", user_agent),
                    "path_info": "/login/",
                },
            )
    return created


def many_ips(count: int) -> list[dict[str, str]]:
    return [{"ip_address": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"} for i in range(count)]


def settle(redis: Any, created: Iterable[str]) -> None:
    """Let Redis finish growing its keyspace table before a SCAN walk.

    SCAN returns every key at least once, and exactly once only while the table
    is not being rehashed; each lookup moves the incremental rehash a step on.
    """
    pipe = redis.pipeline(transaction=False)
    for client_key in created:
        pipe.exists(client_key)
    pipe.execute()

"""``AXES_REDIS_METADATA = False``: the smallest keys, and what operators still see.

Driven through the real login path (Django's LoginView behind AxesMiddleware and
AxesStandaloneBackend) against a real Redis, on both flows.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.test import Client

from axes_redis import clients, keys

pytestmark = pytest.mark.django_db

PREFIX = "axes"
WRONG = "wrong-password-do-not-store"


@pytest.fixture(params=["guard", "classic"])
def flow(request: pytest.FixtureRequest, settings: Any) -> str:
    settings.AXES_REDIS_PARALLEL_GUARD = request.param == "guard"
    settings.AXES_FAILURE_LIMIT = 3
    return str(request.param)


def post(client: Client, username: str = "alice") -> int:
    response = client.post(
        "/login/", {"username": username, "password": WRONG}, HTTP_USER_AGENT="meta-ua"
    )
    return int(response.status_code)


def test_without_metadata_keys_hold_only_the_counters(redis_db, client, settings, flow):
    """Sites tracking millions of clients must be able to drop who/where from each key."""
    settings.AXES_REDIS_METADATA = False
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
    assert [post(client) for _ in range(3)] == [200, 200, 429]

    both = {"ip_address": "127.0.0.1", "username": "alice"}
    for parameters in ({"ip_address": "127.0.0.1"}, both):
        fields = redis_db.hgetall(keys.client_key(PREFIX, parameters))
        assert sorted(fields) == [b"fails", b"limit", b"locked"]
        assert fields[b"fails"] == b"3"
        assert fields[b"limit"] == b"3"


def test_without_metadata_readers_take_who_from_the_key(redis_db, client, settings, flow):
    """The admin and the command still show the username and IP a key was built from."""
    settings.AXES_REDIS_METADATA = False
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
    assert [post(client) for _ in range(3)] == [200, 200, 429]

    found = {t.parameter_set: t for t in clients.find(redis_db, PREFIX, username="alice")}
    both, alone = found["ip_address+username"], found["username"]
    assert (both.username, both.ip_address, both.locked) == ("alice", "127.0.0.1", True)
    assert (alone.username, alone.ip_address, alone.failures) == ("alice", None, 3)
    assert both.user_agent is None
    assert both.path_info is None


def test_without_metadata_the_trail_still_says_who_and_where(redis_db, client, settings, flow):
    """The failure log must not lose who/where because the keys dropped them."""
    settings.AXES_REDIS_METADATA = False
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    post(client)

    [(_, entry)] = redis_db.xrange(keys.trail_key(PREFIX))
    assert entry[b"username"] == b"alice"
    assert entry[b"user_agent"] == b"meta-ua"
    assert entry[b"path_info"] == b"/login/"
    fields = redis_db.hgetall(keys.client_key(PREFIX, {"ip_address": "127.0.0.1"}))
    assert sorted(fields) == [b"fails"]


def test_a_client_below_the_limit_is_one_field(redis_db, client, settings, flow):
    """A sprayed client that never locks must cost one small field, whatever it sent."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
    assert [post(client) for _ in range(2)] == [200, 200]
    for parameters in (
        {"ip_address": "127.0.0.1"},
        {"ip_address": "127.0.0.1", "username": "alice"},
    ):
        key = keys.client_key(PREFIX, parameters)
        assert redis_db.hgetall(key) == {b"fails": b"2"}


COMPACT = {b"listpack", b"ziplist"}
"""Redis' compact hash encoding: ``listpack`` since Redis 7.0, ``ziplist`` before."""


@pytest.mark.real_redis_only
def test_a_client_below_the_limit_stays_compact(redis_db, client, settings, flow):
    """A browser's user agent (over 64 bytes) must not push a sprayed client's hash out of
    Redis' compact listpack encoding: that alone made it several times bigger."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    client.post("/login/", {"username": "alice", "password": WRONG}, HTTP_USER_AGENT="M" * 200)
    key = keys.client_key(PREFIX, {"ip_address": "127.0.0.1"})
    assert redis_db.object("encoding", key) in COMPACT
    assert redis_db.memory_usage(key, samples=0) < 200


LISTPACK_BEYOND_A_STRING = {"jemalloc": 24, "libc": 48}
"""What a one-field hash may cost beyond a string counter of the same name: its listpack
allocation, as the server's allocator rounds it. Measured 16 B with jemalloc (Redis' default
build; the name ``failures`` took 32 B) and 20 to 36 B with libc malloc (the Redis 6.2 the
test matrix runs), whose usable sizes depend on what the process allocated before."""


@pytest.mark.real_redis_only
def test_a_client_below_the_limit_costs_hardly_more_than_a_counter(redis_db, client, settings):
    """Most tracked clients never lock: each must cost about what a bare string counter
    (django-axes' cache handler's record) costs, so the count field keeps a short name."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    client.post("/login/", {"username": "alice", "password": WRONG}, REMOTE_ADDR="203.0.113.9")
    key = keys.client_key(PREFIX, {"ip_address": "203.0.113.9"})
    assert key == "axes:client:{ip_address=203.0.113.9}"
    assert redis_db.hgetall(key) == {keys.FAILURES_FIELD.encode(): b"1"}
    assert redis_db.object("encoding", key) in COMPACT
    hash_bytes = redis_db.memory_usage(key, samples=0)

    redis_db.unlink(key)
    redis_db.set(key, 1, px=3_600_000)
    string_bytes = redis_db.memory_usage(key, samples=0)
    allocator = redis_db.info("memory")["mem_allocator"].split("-")[0]
    assert hash_bytes <= string_bytes + LISTPACK_BEYOND_A_STRING[allocator]


def test_readers_derive_limit_and_last_failure_below_the_limit(redis_db, client, settings, flow):
    """The admin and the command must still say how far a client is from its limit and when
    it last failed, though the key stores neither: the settings and the TTL tell them."""
    settings.AXES_COOLOFF_TIME = None  # AXES_REDIS_RETENTION (a day) gives the TTL
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    before = datetime.now(tz=timezone.utc) - timedelta(seconds=2)
    post(client)
    after = datetime.now(tz=timezone.utc) + timedelta(seconds=2)
    [tracked] = clients.find(redis_db, PREFIX, ip_address="127.0.0.1")
    assert (tracked.failures, tracked.limit, tracked.locked) == (1, 3, False)
    assert tracked.last is not None
    assert before <= tracked.last <= after


def test_metadata_describes_a_locked_client_once(redis_db, client, settings, flow):
    """Who and where are kept by default, once per client (never per parameter set), and
    without what the key name already spells out."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
    assert [post(client) for _ in range(3)] == [200, 200, 429]
    fields = redis_db.hgetall(keys.client_key(PREFIX, {"ip_address": "127.0.0.1"}))
    assert sorted(fields) == [
        b"fails",
        b"limit",
        b"locked",
        b"path_info",
        b"user_agent",
        b"username",
    ]
    assert (fields[b"username"], fields[b"user_agent"]) == (b"alice", b"meta-ua")
    both = {"ip_address": "127.0.0.1", "username": "alice"}
    assert sorted(redis_db.hgetall(keys.client_key(PREFIX, both))) == [
        b"fails",
        b"limit",
        b"locked",
    ]

    tracked = clients.find(redis_db, PREFIX, ip_address="127.0.0.1")
    assert sorted((t.parameter_set, t.username, t.user_agent, t.locked) for t in tracked) == [
        ("ip_address", "alice", "meta-ua", True),
        ("ip_address+username", "alice", None, True),
    ]


def test_the_lock_record_is_written_once(redis_db, client, settings, flow):
    """Failures past the limit rewrite nothing but the count: the lock time stays."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
    key = keys.client_key(PREFIX, {"ip_address": "127.0.0.1"})
    assert [post(client) for _ in range(3)] == [200, 200, 429]
    locked = redis_db.hget(key, "locked")
    redis_db.hset(key, "user_agent", "kept")
    post(client, "mallory")
    fields = redis_db.hgetall(key)
    assert (fields[b"locked"], fields[b"user_agent"], fields[b"username"]) == (
        locked,
        b"kept",
        b"alice",
    )


def test_a_digested_username_is_still_described(redis_db, client, settings, flow):
    """A key spelling the username as a digest names nobody: the lock record does."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    long_name = "\N{PILE OF POO}" * 300
    assert [post(client, long_name) for _ in range(3)] == [200, 200, 429]
    (key,) = redis_db.scan_iter(match=f"{PREFIX}:client:*")
    stored = redis_db.hget(key, "username")
    assert len(stored) == 252
    assert stored.decode() == "\N{PILE OF POO}" * 63

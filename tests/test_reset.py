"""Resets: exactly the clients an operator names, never more, never outside the prefix.

A reset that removes too little leaves a victim locked out; one that removes too
much (a glob in a username, a sibling prefix) unlocks attackers. Everything runs
against the real Redis, through the handler, django-axes' utilities and its
management commands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from axes.utils import reset, reset_request
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axes_redis import keys
from axes_redis.handler import AxesRedisHandler
from axes_redis.store import UNLINK_BATCH, AttemptStore
from testsupport.counting import TALLY

PREFIX = "axes"
IP = "10.0.0.1"
OTHER_IP = "10.0.0.2"
UA = "curl/8"

ALICE = {"username": "alice"}
BOB = {"username": "bob"}
MALICE = {"username": "malice"}
ALICE2 = {"username": "alice2"}
AT_IP = {"ip_address": IP}
AT_IP_10 = {"ip_address": "10.0.0.10"}
AT_OTHER_IP = {"ip_address": OTHER_IP}
ALICE_AT_IP = {"ip_address": IP, "username": "alice"}
ALICE_AT_OTHER_IP = {"ip_address": OTHER_IP, "username": "alice"}
BOB_AT_IP = {"ip_address": IP, "username": "bob"}
ALICE_UA = {"username": "alice", "user_agent": UA}
IP_UA = {"ip_address": IP, "user_agent": UA}
ALICE_AT_IP_UA = {"ip_address": IP, "username": "alice", "user_agent": UA}
UA_SPOOF = {"user_agent": f"username=alice|ip_address={IP}"}
UA_ONLY = {"user_agent": UA}

WORLD = [
    ALICE,
    BOB,
    MALICE,
    ALICE2,
    AT_IP,
    AT_IP_10,
    AT_OTHER_IP,
    ALICE_AT_IP,
    ALICE_AT_OTHER_IP,
    BOB_AT_IP,
    ALICE_UA,
    IP_UA,
    ALICE_AT_IP_UA,
    UA_SPOOF,
    UA_ONLY,
]
FOREIGN = [
    "other:key",
    "axesfoo",
    "axes",
    "axes_client:{username=alice}",
    "Axes:client:{username=alice}",
    "xaxes:client:{username=alice}",
    "other:axes:client:{username=alice}",
]

BY_USERNAME = [ALICE, ALICE_AT_IP, ALICE_AT_OTHER_IP, ALICE_UA, ALICE_AT_IP_UA]
BY_IP = [AT_IP, ALICE_AT_IP, BOB_AT_IP, IP_UA, ALICE_AT_IP_UA]
BY_IP_AND_USERNAME = [ALICE, AT_IP, ALICE_AT_IP, ALICE_UA, IP_UA, ALICE_AT_IP_UA]
BY_IP_OR_USERNAME = [
    ALICE,
    AT_IP,
    ALICE_AT_IP,
    ALICE_AT_OTHER_IP,
    BOB_AT_IP,
    ALICE_UA,
    IP_UA,
    ALICE_AT_IP_UA,
]


def key(parameters: Mapping[str, object], prefix: str = PREFIX) -> str:
    return keys.client_key(prefix, parameters)


def keyset(sets: Iterable[Mapping[str, object]], prefix: str = PREFIX) -> set[str]:
    return {key(p, prefix) for p in sets}


def stored(redis_client: Any) -> set[str]:
    return {k.decode("utf-8", errors="surrogateescape") for k in redis_client.scan_iter()}


def seed(
    redis_client: Any,
    sets: Iterable[Mapping[str, object]] = WORLD,
    prefix: str = PREFIX,
    failures: int = 1,
) -> set[str]:
    """Record failures for each parameter set, as the handler would, one key per set."""
    store = AttemptStore(redis_client, prefix)
    created = set()
    for parameters in sets:
        client_key = key(parameters, prefix)
        created.add(client_key)
        for _ in range(failures):
            store.record_failure(
                [client_key],
                cooloff=timedelta(hours=1),
                limit=3,
                lock_out=True,
                metadata={"username": parameters.get("username")},
            )
    return created


def seed_foreign(redis_client: Any) -> set[str]:
    for name in FOREIGN:
        redis_client.set(name, "keep")
    return set(FOREIGN)


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def handler() -> AxesRedisHandler:
    return AxesRedisHandler()


# --- the handler -------------------------------------------------------------------


def test_reset_by_username_removes_every_combination(redis_db, handler):
    """Unlocking alice must also clear alice@IP, or she stays locked out from that IP."""
    everything = seed(redis_db) | seed_foreign(redis_db)
    assert handler.reset_attempts(username="alice") == len(BY_USERNAME)
    assert stored(redis_db) == everything - keyset(BY_USERNAME)


def test_reset_by_ip_removes_every_combination(redis_db, handler):
    """Unlocking an IP must clear its combinations but not 10.0.0.10 or other IPs."""
    everything = seed(redis_db) | seed_foreign(redis_db)
    assert handler.reset_attempts(ip_address=IP) == len(BY_IP)
    assert stored(redis_db) == everything - keyset(BY_IP)


def test_reset_by_ip_accepts_any_spelling(redis_db, handler):
    """A reset written as IPv4-mapped IPv6 must find the client recorded as IPv4."""
    everything = seed(redis_db)
    assert handler.reset_attempts(ip_address=f"::ffff:{IP}") == len(BY_IP)
    assert stored(redis_db) == everything - keyset(BY_IP)


def test_reset_by_ip_and_username(redis_db, handler):
    """ip+username must not unlock alice at another IP, nor bob at that IP."""
    everything = seed(redis_db) | seed_foreign(redis_db)
    assert handler.reset_attempts(ip_address=IP, username="alice") == len(BY_IP_AND_USERNAME)
    remaining = stored(redis_db)
    assert remaining == everything - keyset(BY_IP_AND_USERNAME)
    assert key(ALICE_AT_OTHER_IP) in remaining
    assert key(BOB_AT_IP) in remaining


def test_reset_by_ip_or_username(redis_db, handler):
    """ip_or_username must clear every set holding either value and nothing else."""
    everything = seed(redis_db) | seed_foreign(redis_db)
    count = handler.reset_attempts(ip_address=IP, username="alice", ip_or_username=True)
    assert count == len(BY_IP_OR_USERNAME)
    assert stored(redis_db) == everything - keyset(BY_IP_OR_USERNAME)


def test_reset_of_unknown_client_removes_nothing(redis_db, handler):
    """A reset for a client that never failed must not touch anyone."""
    everything = seed(redis_db) | seed_foreign(redis_db)
    assert handler.reset_attempts(username="carol") == 0
    assert handler.reset_attempts(ip_address="192.0.2.1") == 0
    assert handler.reset_attempts(ip_address="192.0.2.1", username="carol") == 0
    assert (
        handler.reset_attempts(ip_address="192.0.2.1", username="carol", ip_or_username=True) == 0
    )
    assert stored(redis_db) == everything


def test_reset_all_stays_inside_the_prefix(redis_db, handler):
    """Resetting everything must not delete other applications' keys."""
    seed(redis_db)
    foreign = seed_foreign(redis_db)
    redis_db.zadd("axes:inflight:{username=alice}", {"guess": 1})  # ours: gone, not counted
    redis_db.set("axes:lock:{username=alice}", 1)  # a kind we never write: not ours to delete
    assert handler.reset_attempts() == len(WORLD)
    assert stored(redis_db) == foreign | {"axes:lock:{username=alice}"}
    assert handler.reset_attempts() == 0


def test_reset_all_with_custom_prefix(redis_db, handler):
    """With AXES_REDIS_KEY_PREFIX set, a reset must only remove that prefix's clients."""
    default = seed(redis_db)
    foreign = seed_foreign(redis_db)
    custom = seed(redis_db, prefix="site2")
    with override_settings(AXES_REDIS_KEY_PREFIX="site2"):
        assert handler.reset_attempts(username="alice") == len(BY_USERNAME)
        assert stored(redis_db) == default | foreign | (custom - keyset(BY_USERNAME, "site2"))
        assert handler.reset_attempts() == len(WORLD) - len(BY_USERNAME)
    assert stored(redis_db) == default | foreign


def test_reset_all_spares_a_nested_prefix(redis_db, handler):
    """Resetting prefix "axes" must not unlock a site on prefix "axes:staging" (E003 allows ":")."""
    ours = seed(redis_db)
    staging = seed(redis_db, prefix="axes:staging")
    assert handler.reset_attempts(username="alice") == len(BY_USERNAME)
    assert stored(redis_db) == (ours - keyset(BY_USERNAME)) | staging
    assert handler.reset_attempts() == len(WORLD) - len(BY_USERNAME)
    assert stored(redis_db) == staging


HOSTILE_USERNAMES = [
    "*",
    "?",
    "[a-z]*",
    "alice*",
    "*alice*",
    "\\",
    "[",
    "]",
    "",
    "%",
    "%2A",
    "ali?e",
    "}",
    "{username=alice}",
    "username=alice",
    f"alice|ip_address={IP}",
    "alice\ud800",
]


@pytest.mark.parametrize("hostile", HOSTILE_USERNAMES)
def test_hostile_username_reset_never_widens(redis_db, handler, hostile):
    """A reset for username "*" (or any glob) must remove only that literal client."""
    victims = [{"username": u} for u in [*HOSTILE_USERNAMES, "alice", "bob", "a", "\\\\"]]
    victims += [{"username": u, "ip_address": IP} for u in ["alice", hostile]]
    everything = seed(redis_db, victims) | seed(redis_db) | seed_foreign(redis_db)
    literal = keyset([{"username": hostile}, {"username": hostile, "ip_address": IP}])
    assert handler.reset_attempts(username=hostile) == len(literal)
    assert stored(redis_db) == everything - literal


@pytest.mark.parametrize("hostile", ["*", "10.0.0.*", "10.0.0.[12]", "?0.0.0.1", "\\"])
def test_hostile_ip_reset_never_widens(redis_db, handler, hostile):
    """A reset for IP "10.0.0.*" must not remove any real address's counter."""
    everything = seed(redis_db) | seed(redis_db, [{"ip_address": hostile}])
    assert handler.reset_attempts(ip_address=hostile) == 1
    assert stored(redis_db) == everything - {key({"ip_address": hostile})}


@pytest.mark.single_node
def test_reset_all_at_scale_is_exact(redis_db, handler):
    """Thousands of clients must all go, in batches, with an exact count."""
    pipe = redis_db.pipeline(transaction=False)
    for i in range(5000):
        parameters = (
            {"username": f"user{i}"} if i % 2 else {"ip_address": f"10.1.{i // 256}.{i % 256}"}
        )
        pipe.hset(key(parameters), mapping={"fails": 1, "limit": 3})
    pipe.execute()
    foreign = seed_foreign(redis_db)
    assert redis_db.dbsize() == 5000 + len(foreign)
    TALLY.reset()
    assert handler.reset_attempts() == 5000
    # SCAN + batched UNLINK, never a blocking KEYS or one giant command.
    assert "KEYS" not in TALLY.commands
    assert TALLY.commands.count("SCAN") >= 2
    assert TALLY.commands.count("UNLINK") >= -(-5000 // UNLINK_BATCH)
    assert stored(redis_db) == foreign


def test_targeted_reset_at_scale_is_exact(redis_db, handler):
    """A username spread over thousands of IPs must be fully cleared, and no neighbour with it."""
    pipe = redis_db.pipeline(transaction=False)
    for i in range(2500):
        ip = f"10.2.{i // 256}.{i % 256}"
        pipe.hset(key({"username": "alice", "ip_address": ip}), "fails", 1)
        pipe.hset(key({"username": "alice2", "ip_address": ip}), "fails", 1)
    pipe.execute()
    assert handler.reset_attempts(username="alice") == 2500
    assert sum(1 for _ in redis_db.scan_iter(count=1000)) == 2500
    assert handler.reset_attempts(username="alice2", ip_address="10.2.0.7") == 1
    assert handler.reset_attempts(ip_address="10.2.0.8", username="x", ip_or_username=True) == 1
    assert sum(1 for _ in redis_db.scan_iter(count=1000)) == 2498


# --- django-axes' own entry points ---------------------------------------------------


def test_utils_reset_reaches_the_handler(redis_db):
    """axes.utils.reset (the public API) must reset through our handler, "all" included."""
    everything = seed(redis_db) | seed_foreign(redis_db)
    assert reset(username="alice") == len(BY_USERNAME)
    assert stored(redis_db) == everything - keyset(BY_USERNAME)
    assert reset() == len(WORLD) - len(BY_USERNAME)
    assert stored(redis_db) == set(FOREIGN)


def test_command_axes_reset(redis_db):
    """axes_reset must clear every tracked client and report how many."""
    foreign = seed_foreign(redis_db)
    assert run("axes_reset") == "No attempts found."
    seed(redis_db)
    assert run("axes_reset") == f"{len(WORLD)} attempts removed."
    assert stored(redis_db) == foreign
    assert run("axes_reset") == "No attempts found."


def test_command_axes_reset_ip(redis_db):
    """axes_reset_ip must clear each listed IP with its combinations, and only those."""
    everything = seed(redis_db)
    assert run("axes_reset_ip", "192.0.2.1") == "No attempts found."
    assert stored(redis_db) == everything
    removed = keyset([*BY_IP, AT_OTHER_IP, ALICE_AT_OTHER_IP])
    assert run("axes_reset_ip", IP, OTHER_IP) == f"{len(removed)} attempts removed."
    assert stored(redis_db) == everything - removed


def test_command_axes_reset_username(redis_db):
    """axes_reset_username must clear each listed username with its combinations."""
    everything = seed(redis_db)
    assert run("axes_reset_username", "carol") == "No attempts found."
    removed = keyset([*BY_USERNAME, BOB, BOB_AT_IP])
    assert run("axes_reset_username", "alice", "bob") == f"{len(removed)} attempts removed."
    assert stored(redis_db) == everything - removed


def test_command_axes_reset_ip_username(redis_db):
    """axes_reset_ip_username must not unlock alice elsewhere nor bob at that IP."""
    everything = seed(redis_db)
    expected = f"{len(BY_IP_AND_USERNAME)} attempts removed."
    assert run("axes_reset_ip_username", IP, "alice") == expected
    assert stored(redis_db) == everything - keyset(BY_IP_AND_USERNAME)
    assert run("axes_reset_ip_username", IP, "alice") == "No attempts found."


@pytest.mark.parametrize(
    ("lockout_parameters", "removed"),
    [
        (["ip_address"], BY_IP),
        (["username"], BY_USERNAME),
        (["username", "ip_address"], BY_IP_OR_USERNAME),
        ([["username", "ip_address"]], BY_IP_AND_USERNAME),
    ],
)
def test_reset_request(redis_db, lockout_parameters, removed):
    """axes.utils.reset_request must reset what the lockout parameters name, no more."""
    everything = seed(redis_db)
    request = RequestFactory().get("/", {"username": "alice"}, REMOTE_ADDR=IP)
    with override_settings(AXES_LOCKOUT_PARAMETERS=lockout_parameters):
        assert reset_request(request) == len(removed)
    assert stored(redis_db) == everything - keyset(removed)


# --- after a reset ---------------------------------------------------------------------


def _fail(client: Any, username: str = "alice") -> int:
    return int(client.post("/login/", {"username": username, "password": "wrong"}).status_code)


@pytest.mark.django_db
def test_login_after_reset_counts_from_one(redis_db, client):
    """After an operator reset the client is unlocked and its next failure is number 1."""
    User.objects.create_user("alice", password="right")
    ip_key = key({"ip_address": "127.0.0.1"})
    assert [_fail(client) for _ in range(3)] == [200, 200, 429]
    assert _fail(client) == 429
    assert run("axes_reset_ip", "127.0.0.1") == "1 attempts removed."
    assert not redis_db.exists(ip_key)

    assert _fail(client) == 200
    assert redis_db.hget(ip_key, "fails") == b"1"
    assert [_fail(client) for _ in range(2)] == [200, 429]
    assert run("axes_reset") == "1 attempts removed."
    response = client.post("/login/", {"username": "alice", "password": "right"})
    assert response.status_code == 302


@pytest.mark.django_db
@override_settings(AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]])
def test_combination_lockout_after_username_reset(redis_db, client):
    """A username reset must unlock an ip+username lockout, and counting restarts at 1."""
    combo_key = key({"ip_address": "127.0.0.1", "username": "alice"})
    assert [_fail(client) for _ in range(3)] == [200, 200, 429]
    assert _fail(client, "bob") == 200
    assert run("axes_reset_username", "alice") == "1 attempts removed."
    assert _fail(client) == 200
    assert redis_db.hget(combo_key, "fails") == b"1"
    assert redis_db.hget(key({"ip_address": "127.0.0.1", "username": "bob"}), "fails") == b"1"


def test_store_counts_from_one_after_reset(redis_db, handler):
    """A reset must delete the whole hash: no stale count or lockout survives it."""
    seed(redis_db, [ALICE, ALICE_AT_IP], failures=3)
    store = AttemptStore(redis_db, PREFIX)
    assert store.failures([key(ALICE), key(ALICE_AT_IP)]) == 3
    handler.reset_attempts(username="alice")
    result = store.record_failure(
        [key(ALICE), key(ALICE_AT_IP)],
        cooloff=timedelta(hours=1),
        limit=3,
        lock_out=True,
        metadata={},
    )
    assert (result.failures, result.locked) == (1, False)


# --- property: a reset of one username never touches another ------------------------

reset_usernames = st.one_of(
    st.sampled_from([*HOSTILE_USERNAMES, "alice", "alice2", "malice", "a" * 300]),
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from("ab*?[]\\|={}%# \ud800"), max_size=8),
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(target=reset_usernames, bystander=reset_usernames)
def test_reset_of_one_username_never_touches_another(redis_db, target, bystander):
    """Whatever two usernames look like, resetting one leaves the other's counters intact."""
    redis_db.flushdb()
    if keys.encode_value("username", target) == keys.encode_value("username", bystander):
        bystander += "x"
    targets = seed(redis_db, [{"username": target}, {"username": target, "ip_address": IP}])
    bystanders = seed(
        redis_db, [{"username": bystander}, {"username": bystander, "ip_address": IP}], failures=2
    )
    store = AttemptStore(redis_db, PREFIX)
    assert store.reset(username=target) == 2
    assert stored(redis_db) == bystanders
    assert store.failures(sorted(bystanders)) == 2
    assert not targets & stored(redis_db)

"""The Lua scripts: packaging, contract, atomicity, and the cold script cache.

Most tests call the scripts directly through ``axes_redis.scripts.run`` on the raw
client, so each property is pinned to the script itself rather than to the handler.
"""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from axes_redis import keys, scripts
from axes_redis.store import (
    ADMITTED,
    BUSY,
    AttemptStore,
    FailureResult,
    Verdict,
    cooloff_milliseconds,
)
from tests.support.logins import attempt
from testsupport.counting import TALLY

LUA_DIR = Path(__file__).resolve().parents[1] / "lua"
KEY = keys.client_key("axes", {"ip_address": "203.0.113.9"})
OTHER = keys.client_key("axes", {"username": "alice"})
BOTH = keys.client_key("axes", {"ip_address": "203.0.113.9", "username": "alice"})
IP_KEY = keys.client_key("axes", {"ip_address": "127.0.0.1"})


def record(
    client: Any,
    client_keys: list[str],
    *,
    cooloff: str = "",
    limit: int = 3,
    lock_out: str = "1",
    guess: str = "",
    tiers: str = "",
    retention: str = "",
    metadata: tuple[str, ...] = (),
) -> list[int]:
    """record_failure.lua, called with its documented ARGV layout, without a trail entry.

    Returns {failures, locked}; the trail ID (always "" here) is checked to be
    empty and dropped, the cool-off applied is checked against the PTTL it set.
    """
    args = [cooloff, str(limit), lock_out, guess, "", "1", tiers, retention, *metadata]
    inflight = [keys.inflight_key("axes", key) for key in client_keys] if guess else []
    failures, locked, trail_id, applied = scripts.run(
        client, scripts.RECORD_FAILURE, [*client_keys, *inflight], args
    )
    assert trail_id == b""
    pttl = client.pttl(client_keys[0])
    assert applied == -1 if pttl == -1 else 0 <= applied - pttl < 1000
    return [int(failures), int(locked)]


def admit(
    client: Any, client_keys: list[str], guess: str, *, limit: int = 3, hold: int = 60000
) -> list[int]:
    """admit.lua with its documented layout: returns {verdict, failures} (and checks its TTL)."""
    inflight = [keys.inflight_key("axes", key) for key in client_keys]
    verdict, failures, ttl = scripts.run(
        client, scripts.ADMIT, [*client_keys, *inflight], [str(limit), str(hold), guess]
    )
    if failures:
        assert ttl == -1 or 0 <= client.pttl(client_keys[0]) <= ttl
    return [int(verdict), int(failures)]


def get_failures(client: Any, client_keys: list[str]) -> Any:
    """get_failures.lua: the highest count (its TTL is checked against the server's)."""
    failures, ttl = scripts.run(client, scripts.GET_FAILURES, client_keys, [])
    if failures:
        holder = max(client_keys, key=lambda key: int(client.hget(key, "fails") or 0))
        assert ttl == client.pttl(holder) or 0 <= ttl - client.pttl(holder) < 1000
    else:
        assert ttl == -2
    return failures


# --- packaging and headers -------------------------------------------------------------


def lua_files() -> list[Path]:
    found = sorted(LUA_DIR.glob("*.lua"))
    assert {p.stem for p in found} >= {scripts.RECORD_FAILURE, scripts.GET_FAILURES}
    return found


@pytest.mark.parametrize("path", lua_files(), ids=lambda p: p.name)
def test_every_script_starts_with_a_header_naming_keys_argv_and_returns(path):
    """An undocumented KEYS/ARGV layout must not ship: callers and operators rely on it."""
    lines = path.read_text().splitlines()
    header = []
    for line in lines:
        if not line.startswith("--"):
            break
        header.append(line)
    text = "\n".join(header)
    assert header, f"{path.name} has no header comment"
    assert header[0].startswith(f"-- {path.stem}:")
    assert re.search(r"^-- KEYS\b", text, re.MULTILINE)
    assert re.search(r"^-- ARGV\b", text, re.MULTILINE)
    assert re.search(r"^-- Returns\b", text, re.MULTILINE)


@pytest.mark.parametrize("path", lua_files(), ids=lambda p: p.name)
def test_source_returns_the_packaged_bytes(path):
    """The script Redis runs must be byte for byte the reviewed lua/ file."""
    assert scripts.source(path.stem) == path.read_bytes()
    packaged = scripts.folder() / path.name
    assert packaged.is_file()
    assert packaged.read_bytes() == path.read_bytes()


def test_importlib_resources_finds_exactly_the_lua_files():
    """A script missing from the package must be caught before it is needed in production."""
    packaged = {entry.name for entry in scripts.folder().iterdir()}
    assert {name for name in packaged if name.endswith(".lua")} == {p.name for p in lua_files()}
    assert {scripts.RECORD_FAILURE + ".lua", scripts.GET_FAILURES + ".lua"} <= packaged


# --- record_failure.lua ------------------------------------------------------------------


def test_record_failure_returns_count_and_decides_the_lock_in_redis(redis_db):
    """The lock must start exactly at the limit, decided where the count is made."""
    results = [record(redis_db, [KEY], limit=3) for _ in range(4)]
    assert [(failures, locked) for failures, locked in results] == [
        (1, 0),
        (2, 0),
        (3, 1),
        (4, 1),
    ]
    assert redis_db.hget(KEY, "fails") == b"4"
    assert redis_db.hget(KEY, "limit") == b"3"


def test_record_failure_without_lock_out_never_reports_locked(redis_db):
    """AXES_LOCK_OUT_AT_FAILURE=False must count failures but never lock anyone out."""
    results = [record(redis_db, [KEY], limit=1, lock_out="0") for _ in range(5)]
    assert [failures for failures, _ in results] == [1, 2, 3, 4, 5]
    assert [locked for _, locked in results] == [0] * 5


def test_empty_cooloff_persists_a_key_that_had_a_ttl(redis_db):
    """Switching to no cool-off must not let an earlier TTL silently expire the record."""
    record(redis_db, [KEY], cooloff="60000")
    assert 0 < redis_db.pttl(KEY) <= 60000
    record(redis_db, [KEY], cooloff="")
    assert redis_db.ttl(KEY) == -1
    assert redis_db.hget(KEY, "fails") == b"2"


def test_cooloff_is_set_in_milliseconds_exactly(redis_db):
    """A cool-off must be the configured one to the millisecond, not rounded to seconds."""
    record(redis_db, [KEY], cooloff="1234")
    pttl = redis_db.pttl(KEY)
    assert 1234 - 200 <= pttl <= 1234


def test_cooloff_is_measured_from_the_latest_failure(redis_db):
    """Every new failure must restart the cool-off, so a slow attacker stays locked."""
    record(redis_db, [KEY], cooloff="1000")
    redis_db.pexpire(KEY, 10)  # as if most of the cool-off had passed
    record(redis_db, [KEY], cooloff="90000")
    assert redis_db.pttl(KEY) > 10000


def test_a_count_below_the_limit_writes_only_the_count(redis_db):
    """A sprayed client below the limit must cost one field; its TTL tells the rest."""
    record(redis_db, [KEY], cooloff="60000", metadata=("username", "alice"))
    assert redis_db.hgetall(KEY) == {b"fails": b"1"}


def test_the_lock_record_is_written_once_at_the_limit(redis_db):
    """Operators must see when a client locked and under which limit, written once."""
    for _ in range(2):
        record(redis_db, [KEY], cooloff="60000", metadata=("username", "alice"))
    seconds, micros = redis_db.time()
    now_ms = seconds * 1000 + micros // 1000
    record(redis_db, [KEY], cooloff="60000", metadata=("username", "alice"))
    fields = redis_db.hgetall(KEY)
    assert abs(int(fields[b"locked"]) - now_ms) < 5000
    assert (fields[b"limit"], fields[b"username"]) == (b"3", b"alice")
    redis_db.hset(KEY, "locked", "1")

    record(redis_db, [KEY], cooloff="60000", limit=2, metadata=("username", "mallory"))

    assert redis_db.hmget(KEY, "locked", "limit", "username") == [b"1", b"3", b"alice"]


def test_last_is_stored_only_where_no_ttl_tells_it(redis_db):
    """Without a TTL to derive it from, every failure stores when it happened."""
    record(redis_db, [KEY], cooloff="60000")
    assert redis_db.hget(KEY, "last") is None
    record(redis_db, [KEY], cooloff="")
    seconds, micros = redis_db.time()
    assert abs(int(redis_db.hget(KEY, "last")) - (seconds * 1000 + micros // 1000)) < 5000


@pytest.mark.single_node
def test_every_key_is_incremented_and_the_highest_count_returned(redis_db):
    """A client over the limit on one parameter set must be locked whatever the others say."""
    redis_db.hset(OTHER, "fails", 5)
    metadata = ("username", "alice", "user_agent", "ua")
    failures, locked = record(redis_db, [KEY, OTHER, BOTH], limit=6, metadata=metadata)
    assert (failures, locked) == (6, 1)
    assert [redis_db.hget(k, "fails") for k in (KEY, OTHER, BOTH)] == [b"1", b"6", b"1"]
    # Only the key that reached the limit is described, without the username it spells out.
    assert sorted(redis_db.hgetall(OTHER)) == [
        b"fails",
        b"last",
        b"limit",
        b"locked",
        b"user_agent",
    ]
    assert [redis_db.hget(k, "limit") for k in (KEY, OTHER, BOTH)] == [None, b"6", None]


@pytest.mark.single_node
def test_a_client_is_described_once_whatever_its_parameter_sets(redis_db):
    """Metadata must cost one copy per client, not one per lockout parameter set."""
    metadata = ("username", "alice", "user_agent", "ua")
    for _ in range(3):
        record(redis_db, [KEY, OTHER, BOTH], limit=3, metadata=metadata)
    described = [k for k in (KEY, OTHER, BOTH) if redis_db.hexists(k, "user_agent")]
    assert described == [KEY]
    assert redis_db.hget(KEY, "username") == b"alice"
    assert all(redis_db.hget(k, "limit") == b"3" for k in (KEY, OTHER, BOTH))


# --- admit.lua ---------------------------------------------------------------------------

INFLIGHT = keys.inflight_key("axes", KEY)


def test_admit_takes_a_slot_per_guess_and_says_busy_when_none_is_left(redis_db):
    """Guesses in flight fill the limit's slots, so parallel requests cannot pass it."""
    record(redis_db, [KEY])
    assert admit(redis_db, [KEY], "a") == [1, 1]
    assert admit(redis_db, [KEY], "b") == [1, 1]
    assert admit(redis_db, [KEY], "c") == [2, 1]
    assert redis_db.zcard(INFLIGHT) == 2
    assert redis_db.hget(KEY, "fails") == b"1"  # a guess in flight is not a failure


def test_admit_joins_a_guess_with_the_same_credentials(redis_db):
    """The very same credentials in flight twice reveal nothing new: one slot."""
    assert [admit(redis_db, [KEY], "same", limit=1)[0] for _ in range(5)] == [1] * 5
    assert admit(redis_db, [KEY], "other", limit=1)[0] == 2
    assert redis_db.zrange(INFLIGHT, 0, -1) == [b"same"]


def test_admit_is_refused_at_the_limit_without_writing(redis_db):
    """A guess refused at the limit must not extend the cool-off or touch the record."""
    for _ in range(3):
        record(redis_db, [KEY], cooloff="5000")
    redis_db.hset(KEY, "last", "1")
    redis_db.pexpire(KEY, 3000)

    assert admit(redis_db, [KEY], "a", limit=3) == [0, 3]

    assert redis_db.hget(KEY, "fails") == b"3"
    assert redis_db.hget(KEY, "last") == b"1"
    assert redis_db.pttl(KEY) <= 3000
    assert redis_db.exists(INFLIGHT) == 0


def test_a_guess_whose_outcome_never_arrives_holds_its_slot_only_for_the_hold(redis_db):
    """A crashed request must not keep a slot for ever, nor become a failure."""
    assert admit(redis_db, [KEY], "crashed", limit=1, hold=60_000)[0] == 1
    assert admit(redis_db, [KEY], "next", limit=1)[0] == 2
    assert 59_000 < redis_db.pttl(INFLIGHT) <= 60_000  # the set goes with its last hold
    redis_db.zadd(INFLIGHT, {"crashed": 1})  # its hold ran out (a deadline in the past)
    assert admit(redis_db, [KEY], "next", limit=1) == [1, 0]
    assert redis_db.zrange(INFLIGHT, 0, -1) == [b"next"]
    assert redis_db.exists(KEY) == 0


def test_a_failure_settles_its_guess_and_a_release_frees_it(redis_db):
    """The slot is given back the moment the outcome is known, either way."""
    assert admit(redis_db, [KEY], "wrong", limit=2)[0] == 1
    assert admit(redis_db, [KEY], "right", limit=2)[0] == 1
    assert record(redis_db, [KEY], limit=2, guess="wrong") == [1, 0]
    assert redis_db.zrange(INFLIGHT, 0, -1) == [b"right"]
    released = scripts.run(redis_db, scripts.RELEASE, [KEY, INFLIGHT], ["release", "", 1, "right"])
    assert released == 0
    assert redis_db.exists(INFLIGHT) == 0
    assert redis_db.hget(KEY, "fails") == b"1"


def test_admit_frees_the_guesses_the_request_reports_returned(redis_db):
    """A batch's earlier evaluations that returned free their slots in the next check's call."""
    assert admit(redis_db, [KEY], "first", limit=1)[0] == 1
    inflight = [INFLIGHT]
    result = scripts.run(
        redis_db, scripts.ADMIT, [KEY, *inflight], ["1", "60000", "second", "first"]
    )
    assert [int(v) for v in result] == [1, 0, -2]
    assert redis_db.zrange(INFLIGHT, 0, -1) == [b"second"]


# --- get_failures.lua --------------------------------------------------------------------


@pytest.mark.single_node
def test_get_failures_is_the_max_over_keys_and_zero_when_missing(redis_db):
    """The check must see the worst parameter set of a client, and not fail on unknown ones."""
    assert get_failures(redis_db, [KEY]) == 0
    assert get_failures(redis_db, [KEY, OTHER, BOTH]) == 0
    redis_db.hset(OTHER, "fails", 4)
    redis_db.hset(BOTH, "fails", 2)
    assert get_failures(redis_db, [KEY, OTHER, BOTH]) == 4
    assert get_failures(redis_db, [BOTH, KEY]) == 2
    assert redis_db.exists(KEY) == 0  # reading never creates a record


# --- atomicity under concurrency -------------------------------------------------------


def hammer(store: AttemptStore, *, limit: int) -> list[FailureResult]:
    threads, calls = 20, 10
    barrier = threading.Barrier(threads)
    results: list[FailureResult] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(calls):
                result = store.record_failure(
                    [KEY],
                    cooloff=timedelta(minutes=5),
                    limit=limit,
                    lock_out=True,
                    metadata={"username": "alice"},
                )
                with lock:
                    results.append(result)
        except BaseException as exc:  # surfaced below, a thread cannot fail the test itself
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == threads * calls
    return results


def test_parallel_failures_are_never_lost_or_double_counted(redis_db):
    """200 simultaneous failures must count 200, each count seen once, locked from the limit."""
    limit = 50
    results = hammer(AttemptStore(redis_db, "axes"), limit=limit)

    assert redis_db.hget(KEY, "fails") == b"200"
    assert sorted(r.failures for r in results) == list(range(1, 201))
    assert all(r.locked == (r.failures >= limit) for r in results)
    assert sum(r.locked for r in results) == 200 - limit + 1


def test_parallel_admissions_never_pass_the_limit(redis_db):
    """Simultaneous distinct guesses must never get more than the limit's slots."""
    limit, threads, calls = 50, 20, 10
    store = AttemptStore(redis_db, "axes")
    barrier = threading.Barrier(threads)
    verdicts: list[Verdict] = []

    def worker(number: int) -> None:
        barrier.wait()
        for call in range(calls):
            guess = f"g{number}-{call}"
            verdicts.append(store.admit([KEY], limit=limit, hold_ms=60000, guess=guess))

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=30)
    assert len(verdicts) == threads * calls
    assert sum(v.code == ADMITTED for v in verdicts) == limit
    assert sum(v.code == BUSY for v in verdicts) == threads * calls - limit
    assert redis_db.zcard(INFLIGHT) == limit
    assert redis_db.exists(KEY) == 0


# --- cool-off rounding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cooloff", "expected"),
    [
        (timedelta(microseconds=400), "1"),
        (timedelta(microseconds=1000), "1"),
        (timedelta(microseconds=1001), "2"),
        (timedelta(seconds=1.5), "1500"),
        (timedelta(hours=1), "3600000"),
        (None, ""),
    ],
)
def test_cooloff_milliseconds_rounds_up(cooloff, expected):
    """A sub-millisecond cool-off must still expire later, never be truncated to nothing."""
    assert cooloff_milliseconds(cooloff) == expected


# --- the cold script cache -------------------------------------------------------------


def script_shas(guard: bool) -> list[str]:
    names = (scripts.ADMIT if guard else scripts.GET_FAILURES, scripts.RECORD_FAILURE)
    return [hashlib.sha1(scripts.source(name)).hexdigest() for name in names]


@pytest.mark.django_db
@pytest.mark.real_redis_only
@pytest.mark.parametrize("guard", [False, True], ids=["classic", "guard"])
def test_script_flush_is_survived_by_reloading(private_redis, client, settings, guard):
    """A Redis restart or failover that empties the script cache must not stop the counting."""
    settings.AXES_REDIS_PARALLEL_GUARD = guard
    settings.AXES_FAILURE_LIMIT = 3
    # The check runs get_failures (classic) or admit (guard), the record record_failure.
    calls = 2
    User.objects.create_user("alice", password="right")
    assert attempt(client).status_code == 200  # scripts cached, connection warm
    private_redis.script_flush()
    assert private_redis.script_exists(*script_shas(guard)) == [False, False]

    TALLY.reset()
    assert attempt(client).status_code == 200

    assert TALLY.commands == ["EVALSHA", "SCRIPT", "EVALSHA"] * calls
    assert TALLY.round_trips == 3 * calls
    assert private_redis.hget(IP_KEY, "fails") == b"2"
    assert private_redis.script_exists(*script_shas(guard)) == [True, True]

    TALLY.reset()
    assert attempt(client).status_code == 429
    assert TALLY.commands == ["EVALSHA"] * calls
    assert private_redis.hget(IP_KEY, "fails") == b"3"

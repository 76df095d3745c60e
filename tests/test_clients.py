"""The operators' read side: pages, exact searches and statistics over tracked clients.

An operator view that skips a client hides a lockout; one that shows a client
twice, or crashes on a key that vanished, makes the admin and the command lie or
break exactly when an attack fills Redis. Everything runs against the real Redis.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from axes_redis import clients, keys, paging, scripts, stats
from axes_redis.handler import AxesRedisHandler
from axes_redis.store import AttemptStore
from tests.support.tracked import (
    ALICE,
    ALICE_AT_IP,
    ALICE_AT_IP_UA,
    ALICE_AT_OTHER_IP,
    ALICE_UA,
    AT_IP,
    AT_OTHER_IP,
    BOB,
    BOB_AT_IP,
    HOSTILE_USERNAMES,
    IP,
    MALICE,
    PREFIX,
    WORLD,
    key,
    keyset,
    many_ips,
    seed,
    settle,
    stored,
)
from testsupport.counting import TALLY


def walk(redis_client: Any, count: int, locked_only: bool = False) -> list[list[str]]:
    """Every page from cursor 0 until the cursor wraps, as lists of keys."""
    pages: list[list[str]] = []
    cursor = 0
    while True:
        cursor, found = clients.page(
            redis_client, PREFIX, cursor, count=count, locked_only=locked_only
        )
        pages.append([tracked.key for tracked in found])
        if cursor == 0:
            return pages
        assert len(pages) < 1000, "the cursor never wrapped"


class VanishingAfterScan:
    """The real client, but each SCAN is followed at once by a reset of ``victims``:
    another operator (or the cool-off) removing keys between our SCAN and our read."""

    def __init__(self, redis_client: Any, victims: list[str]) -> None:
        self._client = redis_client
        self._victims = victims

    def scan(self, *args: Any, **kwargs: Any) -> Any:
        result = self._client.scan(*args, **kwargs)
        if self._victims:
            self._client.unlink(*self._victims)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


# --- TrackedClient ------------------------------------------------------------------


@pytest.mark.django_db
def test_failed_logins_read_back_with_every_field(redis_db, client):
    """The operator must see who, from where, how often and until when, exactly as recorded."""
    before = datetime.now(tz=timezone.utc) - timedelta(seconds=1)
    with override_settings(AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]]):
        for _ in range(3):
            client.post(
                "/login/",
                {"username": "alice", "password": "wrong"},
                HTTP_USER_AGENT="Mozilla/5.0 test",
            )
    after = datetime.now(tz=timezone.utc) + timedelta(seconds=1)

    [tracked] = clients.find(redis_db, PREFIX, username="alice")
    assert tracked.key == key({"ip_address": "127.0.0.1", "username": "alice"})
    assert tracked.kind == keys.KIND_CLIENT
    assert tracked.parameters == {"ip_address": "127.0.0.1", "username": "alice"}
    assert tracked.parameter_set == "ip_address+username"
    assert (tracked.failures, tracked.limit, tracked.locked) == (3, 3, True)
    assert tracked.username == "alice"
    assert tracked.ip_address == "127.0.0.1"
    assert tracked.user_agent == "Mozilla/5.0 test"
    assert tracked.path_info == "/login/"
    assert tracked.first is None  # only a count carried over by import-db knows its start
    assert tracked.last is not None  # derived from the TTL the latest failure set
    assert before <= tracked.last <= after
    assert tracked.last.tzinfo is not None
    assert tracked.ttl_ms is not None
    assert 3_590_000 < tracked.ttl_ms <= 3_600_000
    assert tracked.unlocks_at is not None
    assert timedelta(minutes=59) < tracked.unlocks_at - before < timedelta(minutes=61)
    assert tracked.as_dict()["locked"] is True


def test_client_below_the_limit_is_not_locked(redis_db):
    """A client with failures left must not be shown as locked, nor with an unlock time."""
    seed(redis_db, [ALICE], failures=2, limit=3)
    [tracked] = clients.find(redis_db, PREFIX, username="alice")
    assert (tracked.failures, tracked.locked, tracked.unlocks_at) == (2, False, None)
    assert tracked.expires_at is not None


def test_client_without_cooloff_has_no_ttl(redis_db):
    """Without AXES_COOLOFF_TIME a lockout lasts until reset: no TTL, no unlock time."""
    seed(redis_db, [ALICE], failures=3, limit=3, cooloff=None)
    [tracked] = clients.find(redis_db, PREFIX, username="alice")
    assert tracked.locked
    assert tracked.ttl_ms is None
    assert tracked.unlocks_at is None
    assert redis_db.pttl(tracked.key) == -1


# --- page() -------------------------------------------------------------------------


def test_paging_sees_every_one_of_1200_clients_exactly_once(redis_db):
    """Next-page links must neither skip a locked-out client nor show one twice."""
    created = seed(redis_db, many_ips(1200))
    settle(redis_db, created)
    pages = walk(redis_db, count=100)
    seen = [client_key for found in pages for client_key in found]
    assert len(seen) == 1200
    assert set(seen) == created
    assert len(pages) >= 1200 // 200
    assert all(len(found) <= 200 for found in pages)


def test_page_size_is_capped(redis_db):
    """A huge ?count= must not make one request read the whole keyspace."""
    created = seed(redis_db, many_ips(1200))
    settle(redis_db, created)
    cursor, found = clients.page(redis_db, PREFIX, 0, count=1_000_000)
    assert cursor != 0
    assert paging.MAX_PAGE <= len(found) <= 2 * paging.MAX_PAGE
    assert len(found) < 1200


def test_locked_only_pages_show_every_locked_client_and_nothing_else(redis_db):
    """The "locked out only" filter must not hide a lockout behind unlocked clients."""
    locked = seed(redis_db, many_ips(30), failures=3, limit=3)
    unlocked = seed(redis_db, [{"username": f"user{i}"} for i in range(300)], failures=1)
    settle(redis_db, locked | unlocked)
    seen = [k for found in walk(redis_db, count=7, locked_only=True) for k in found]
    assert sorted(seen) == sorted(locked)


def test_page_ignores_foreign_and_malformed_keys(redis_db):
    """Keys that are not our client hashes must neither show up nor break the page."""
    created = seed(redis_db, [ALICE, AT_IP])
    redis_db.set("other:key", "x")
    redis_db.set("axes:client:junk", "x")
    redis_db.hset("axes:client:{password=hunter2}", "fails", 9)
    redis_db.hset("axes:staging:client:{username=carol}", "fails", 9)
    redis_db.hset(key(MALICE), "note", "no fails field")
    seen = [k for found in walk(redis_db, count=50) for k in found]
    assert sorted(seen) == sorted(created)


@pytest.mark.real_redis_only
def test_page_survives_a_key_of_the_wrong_type(redis_db):
    """A foreign string under a client's name must be skipped, not abort the whole page."""
    created = seed(redis_db, [ALICE, AT_IP])
    redis_db.set(key(BOB), "a string where a hash belongs")
    seen = [k for found in walk(redis_db, count=50) for k in found]
    assert sorted(seen) == sorted(created)
    assert clients.find(redis_db, PREFIX, username="bob") == []
    assert stats.stats(redis_db, PREFIX).tracked == 2


@pytest.mark.single_node
def test_keys_reset_between_scan_and_read_are_skipped(redis_db):
    """A client reset while the page is being read must be left out, not shown empty."""
    created = seed(redis_db, many_ips(40))
    victims = sorted(created)[:15]
    seen = [k for found in walk(VanishingAfterScan(redis_db, victims), count=100) for k in found]
    assert set(seen) == created - set(victims)


def test_keys_expiring_between_scan_and_read_are_skipped(redis_db):
    """A cool-off ending between SCAN and HGETALL must not yield a half-read client."""
    lasting = seed(redis_db, [ALICE, BOB])
    fleeting = seed(redis_db, [AT_IP, AT_OTHER_IP], cooloff=timedelta(milliseconds=50))
    scanned = list(AttemptStore(redis_db, PREFIX).scan(keys.clients_pattern(PREFIX)))
    assert set(scanned) == lasting | fleeting
    time.sleep(0.2)
    assert {t.key for t in clients.fetch(redis_db, PREFIX, scanned)} == lasting


@pytest.mark.single_node
def test_one_page_is_its_scans_plus_one_round_trip(redis_db):
    """Reading a page must not cost one round trip per client (N+1 on a busy Redis)."""
    seed(redis_db, many_ips(50))
    TALLY.reset()
    cursor, found = clients.page(redis_db, PREFIX, 0, count=500)
    assert cursor == 0
    assert len(found) == 50
    scans = TALLY.commands.count("SCAN")
    assert TALLY.round_trips == scans + 1
    assert TALLY.commands.count("HGETALL") == 50
    assert TALLY.commands.count("PTTL") == 50
    assert "KEYS" not in TALLY.commands


# --- find() -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "ip_address", "expected"),
    [
        ("alice", None, [ALICE, ALICE_AT_IP, ALICE_AT_OTHER_IP, ALICE_UA, ALICE_AT_IP_UA]),
        (None, IP, [AT_IP, ALICE_AT_IP, BOB_AT_IP, ALICE_AT_IP_UA]),
        ("alice", IP, [ALICE, AT_IP, ALICE_AT_IP, ALICE_UA, ALICE_AT_IP_UA]),
        ("carol", None, []),
    ],
)
def test_find_returns_every_combination_and_nothing_else(redis_db, username, ip_address, expected):
    """Searching alice must show alice@IP and alice+UA too, never malice or a spoofed UA."""
    seed(redis_db, WORLD)
    found = clients.find(redis_db, PREFIX, username=username, ip_address=ip_address)
    assert [t.key for t in found] == sorted(keyset(expected))


@pytest.mark.parametrize(("username", "ip_address"), [("alice", None), (None, IP), ("alice", IP)])
def test_find_shows_exactly_what_a_reset_removes(redis_db, username, ip_address):
    """The admin's "reset everything matching this search" must remove what the search showed."""
    seeded = seed(redis_db, WORLD)
    shown = {t.key for t in clients.find(redis_db, PREFIX, username, ip_address)}
    removed = AxesRedisHandler().reset_attempts(username=username, ip_address=ip_address)
    assert removed == len(shown)
    assert stored(redis_db) == seeded - shown


@pytest.mark.single_node
def test_find_without_combinations_reads_the_keys_directly(redis_db):
    """Exact search in a huge keyspace must not scan it: the keys are computed, read at once."""
    seed(redis_db, WORLD)
    TALLY.reset()
    found = clients.find(redis_db, PREFIX, username="alice", ip_address=IP, combinations=False)
    assert [t.key for t in found] == sorted(keyset([ALICE, AT_IP, ALICE_AT_IP]))
    assert TALLY.round_trips == 1
    assert "SCAN" not in TALLY.commands


def test_find_accepts_any_ip_spelling(redis_db):
    """An operator pasting ::ffff:10.0.0.1 must find the client recorded as 10.0.0.1."""
    seed(redis_db, WORLD)
    found = clients.find(redis_db, PREFIX, ip_address=f"::ffff:{IP}")
    assert {t.key for t in found} == keyset([AT_IP, ALICE_AT_IP, BOB_AT_IP, ALICE_AT_IP_UA])


def test_find_hostile_usernames_match_only_themselves(redis_db):
    """A glob or separator in a searched username must not match other clients."""
    sets = [{"username": name} for name in HOSTILE_USERNAMES]
    sets += [{"username": name, "ip_address": IP} for name in HOSTILE_USERNAMES]
    seed(redis_db, [*WORLD, *sets])
    for name in HOSTILE_USERNAMES:
        found = clients.find(redis_db, PREFIX, username=name)
        assert {t.key for t in found} == keyset(
            [{"username": name}, {"username": name, "ip_address": IP}]
        )
        assert {t.username for t in found} == {name}


def test_find_needs_a_value(redis_db):
    """An empty search must be refused, not turned into "every client"."""
    seed(redis_db)
    with pytest.raises(ValueError, match="username or an IP"):
        clients.find(redis_db, PREFIX)


# --- stats() ------------------------------------------------------------------------


def test_stats_counts_clients_lockouts_and_parameter_sets(redis_db):
    """The numbers an operator sizes an incident by must be exact."""
    seed(redis_db, many_ips(7), failures=3)
    seed(redis_db, [ALICE, BOB], failures=3)
    seed(redis_db, [MALICE, ALICE_AT_IP, BOB_AT_IP, ALICE_UA], failures=1)
    redis_db.set("other:key", "x")
    redis_db.set("axes:client:junk", "x")
    found = stats.stats(redis_db, PREFIX)
    assert found.tracked == 13
    assert found.locked == 9
    assert found.keys == 13
    assert found.by_parameters == {
        "ip_address": 7,
        "ip_address+username": 2,
        "user_agent+username": 1,
        "username": 3,
    }
    assert found.as_dict()["by_parameters"] == found.by_parameters


@pytest.mark.real_redis_only
def test_stats_memory_is_measured_or_sampled(redis_db):
    """The memory figure must be MEMORY USAGE of real keys, and say when it is extrapolated."""
    created = sorted(seed(redis_db, many_ips(20)))
    exact = sum(redis_db.memory_usage(k, samples=0) for k in created)
    full = stats.stats(redis_db, PREFIX, sample=100)
    assert (full.memory_sampled_keys, full.memory_sampled_bytes) == (20, exact)
    assert full.memory_estimated_bytes == exact
    sampled = stats.stats(redis_db, PREFIX, sample=4)
    assert sampled.memory_sampled_keys == 4
    assert sampled.memory_sampled_bytes is not None
    assert sampled.memory_estimated_bytes == round(sampled.memory_sampled_bytes * 20 / 4)
    assert 0.5 * exact < sampled.memory_estimated_bytes < 2 * exact


@pytest.mark.real_redis_only
def test_stats_reports_the_login_trail_apart_from_the_clients(redis_db):
    """The trail is not a client: counted as entries with its own memory, not in ``keys``."""
    seed(redis_db, [ALICE])
    for index in range(5):
        redis_db.xadd(keys.trail_key(PREFIX), {"event": "login", "username": f"u{index}"})
    found = stats.stats(redis_db, PREFIX)
    assert (found.tracked, found.keys, found.trail_entries) == (1, 1, 5)
    assert found.trail_bytes == redis_db.memory_usage(keys.trail_key(PREFIX), samples=0)
    assert found.as_dict()["trail_entries"] == 5


def test_stats_of_an_empty_database(redis_db):
    """A fresh deployment must report zeros, not fail on an empty sample."""
    found = stats.stats(redis_db, PREFIX)
    assert (found.tracked, found.locked, found.keys, found.by_parameters) == (0, 0, 0, {})
    assert found.memory_sampled_keys == 0
    assert found.memory_estimated_bytes in (0, None)
    assert (found.trail_entries, found.trail_bytes) == (0, 0)


@pytest.mark.real_redis_only
def test_script_status_reports_shas_and_the_server_cache(private_redis):
    """After a SCRIPT FLUSH the status must say "not loaded", and the SHAs must be Redis' own."""
    private_redis.script_flush()
    names = [status.name for status in stats.stats(private_redis, PREFIX).scripts]
    shipped = sorted(path.stem for path in (Path(__file__).parents[1] / "lua").glob("*.lua"))
    assert names == shipped
    assert set(names) >= {"admit", "get_failures", "record_failure", "release"}
    assert not any(status.loaded for status in stats.script_status(private_redis))

    seed(private_redis, [ALICE])
    loaded = {s.name: s.loaded for s in stats.script_status(private_redis)}
    assert loaded == {name: name == "record_failure" for name in shipped}

    for status in stats.script_status(private_redis):
        assert status.sha1 == hashlib.sha1(scripts.source(status.name)).hexdigest()
        assert private_redis.script_load(scripts.source(status.name)) == status.sha1
    assert all(status.loaded for status in stats.script_status(private_redis))

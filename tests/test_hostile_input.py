"""Attacker-controlled input through the real request path: no 500s, no collisions, bounded.

Posted to ``/api/auth/`` (a view that hands the raw form values to
``authenticate()``), because Django's login form rejects long usernames before
django-axes ever sees them, and an attacker will pick the endpoint that does not.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from axes_redis import keys
from axes_redis.store import METADATA_MAX_BYTES
from tests.support.logins import API, attempt

pytestmark = pytest.mark.django_db

HOSTILE_USERNAMES = [
    "",
    "*",
    "?",
    "[a-z]*",
    "alice*",
    "\\",
    "a|ip_address=1.2.3.4",
    "{username=alice}",
    "%41lice",
    "#" + "0" * 64,
    "al\x00ice",
    "alice\nbob",
    "  alice  ",
    "ålïçé",
    "😀",
    "x" * 100_000,
]


def stored_keys(redis_db) -> set[str]:
    return {k.decode() for k in redis_db.scan_iter(match="axes:*")}


@override_settings(AXES_LOCKOUT_PARAMETERS=["username"], AXES_FAILURE_LIMIT=2)
def test_every_hostile_username_is_its_own_bounded_client(redis_db, client):
    """Glob characters, separators, NUL and 100 kB names must neither collide nor crash."""
    for username in HOSTILE_USERNAMES:
        assert attempt(client, username, path=API).status_code == 401
    found = stored_keys(redis_db)
    assert len(found) == len(HOSTILE_USERNAMES)
    assert max(len(k) for k in found) < 400
    for username in HOSTILE_USERNAMES:
        assert redis_db.hget(keys.client_key("axes", {"username": username}), "fails") == b"1"


@override_settings(AXES_LOCKOUT_PARAMETERS=["username"], AXES_FAILURE_LIMIT=2)
def test_locking_a_glob_username_locks_nobody_else(redis_db, client):
    """Locking out "*" must not lock out "alice" (a glob must never act as a wildcard)."""
    assert [attempt(client, "*", path=API).status_code for _ in range(3)] == [401, 429, 429]
    assert attempt(client, "alice", path=API).status_code == 401


@override_settings(AXES_LOCKOUT_PARAMETERS=[["ip_address", "user_agent"]])
def test_huge_user_agent_is_bounded_in_key_and_metadata(redis_db, client):
    """A 100 kB User-Agent must not become a 100 kB key or field (memory exhaustion)."""
    statuses = [attempt(client, "alice", path=API, ua="A" * 100_000).status_code for _ in range(3)]
    assert statuses[:2] == [401, 401]
    (key,) = stored_keys(redis_db)
    assert len(key) < 400
    assert redis_db.hget(key, "user_agent") is None  # the key name spells it out already
    assert len(redis_db.hget(key, "username")) <= METADATA_MAX_BYTES


def test_huge_username_metadata_is_capped(redis_db, client):
    """Stored metadata is capped whatever the username length."""
    with override_settings(AXES_LOCKOUT_PARAMETERS=["username"]):
        for _ in range(3):  # to the limit, where the client is described
            attempt(client, "y" * 100_000, path=API)
    (key,) = stored_keys(redis_db)
    assert redis_db.hget(key, "username") == b"y" * METADATA_MAX_BYTES


def test_undecodable_header_bytes_do_not_crash_the_login(redis_db, client):
    """Header bytes that are not UTF-8 (WSGI hands them over as latin-1) must be stored safely."""
    with override_settings(AXES_LOCKOUT_PARAMETERS=[["ip_address", "user_agent"]]):
        assert attempt(client, "alice", path=API, ua="\xff\xfe\x80bad").status_code == 401
    (key,) = stored_keys(redis_db)
    assert redis_db.hget(key, "fails") == b"1"


def test_spoofed_forwarded_for_is_ignored(redis_db, client):
    """Rotating X-Forwarded-For must not give an attacker a fresh counter per request."""
    with override_settings(AXES_FAILURE_LIMIT=3):
        statuses = [
            attempt(
                client, "alice", ip="10.9.8.7", path=API, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
            ).status_code
            for n in range(4)
        ]
    assert statuses == [401, 401, 429, 429]
    assert stored_keys(redis_db) == {keys.client_key("axes", {"ip_address": "10.9.8.7"})}


@pytest.mark.parametrize(
    "spellings",
    [
        ["10.0.0.1", "::ffff:10.0.0.1", "::FFFF:10.0.0.1"],
        ["2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:DB8::1"],
    ],
)
def test_spellings_of_one_address_are_one_client(redis_db, client, spellings):
    """IPv4-mapped IPv6 or long IPv6 forms must not dodge an address's counter."""
    with override_settings(AXES_FAILURE_LIMIT=10):
        for address in spellings:
            attempt(client, "alice", ip=address, path=API)
    (key,) = stored_keys(redis_db)
    assert redis_db.hget(key, "fails") == str(len(spellings)).encode()

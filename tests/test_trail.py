"""The login trail: django-axes' AccessLog and AccessFailureLog as one capped Redis stream.

Each test drives the real login path (Django's LoginView behind AxesMiddleware and
AxesStandaloneBackend) against a real Redis and reads the stream back, with
``XRANGE`` and with the reader the admin and the command use.
"""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from axes_redis import keys, trail
from axes_redis.checks import server as server_checks
from axes_redis.handler import AxesRedisHandler
from axes_redis.store import METADATA_MAX_BYTES, AttemptStore, Trail
from testsupport.counting import TALLY

pytestmark = pytest.mark.django_db

TRAIL = keys.trail_key("axes")
RIGHT = "right-password-do-not-store"
WRONG = "wrong-password-do-not-store"
LIMIT = 3


@pytest.fixture(autouse=True)
def trail_on(settings: Any) -> None:
    settings.AXES_DISABLE_ACCESS_LOG = False
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]


@pytest.fixture(params=["guard", "classic"])
def flow(request: pytest.FixtureRequest, settings: Any) -> str:
    settings.AXES_REDIS_PARALLEL_GUARD = request.param == "guard"
    return str(request.param)


@pytest.fixture
def alice(db: Any) -> User:
    return User.objects.create_user("alice", password=RIGHT)


def post(client: Client, username: str = "alice", password: str = WRONG, **extra: Any) -> int:
    response = client.post(
        "/login/", {"username": username, "password": password}, HTTP_USER_AGENT="trail-ua", **extra
    )
    return int(response.status_code)


def entries(redis: Any) -> list[dict[str, str]]:
    """The stream oldest first, as text."""
    return [
        {name.decode(): value.decode() for name, value in fields.items()}
        for _, fields in redis.xrange(TRAIL)
    ]


def events(redis: Any) -> list[tuple[str, str]]:
    return [(entry["event"], entry.get("locked_out", "-")) for entry in entries(redis)]


def test_failures_and_the_lockout_are_logged_with_who_and_where(redis_db, alice, client, flow):
    """AXES_ENABLE_ACCESS_FAILURE_LOG: every failure is an entry; the one that locks says so."""
    assert [post(client) for _ in range(LIMIT)] == [200, 200, 429]

    assert events(redis_db) == [("failure", "0"), ("failure", "0"), ("failure", "1")]
    last = entries(redis_db)[-1]
    assert last["username"] == "alice"
    assert last["ip_address"] == "127.0.0.1"
    assert last["user_agent"] == "trail-ua"
    assert last["path_info"] == "/login/"


def test_refused_attempts_are_logged_like_the_database_handler(redis_db, alice, client, flow):
    """A refused attempt during a lockout is an entry (locked out), as in AccessFailureLog."""
    for _ in range(LIMIT + 2):
        post(client)
    assert events(redis_db) == [("failure", "0")] * (LIMIT - 1) + [("failure", "1")] * 3


def test_refused_attempts_are_not_logged_when_they_do_not_count(
    redis_db, alice, client, flow, settings
):
    """AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT=False: the database handler logs nothing."""
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
    for _ in range(LIMIT + 2):
        post(client)
    assert events(redis_db) == [("failure", "0")] * (LIMIT - 1) + [("failure", "1")]


def test_failures_are_not_logged_by_default(redis_db, alice, client, flow, settings):
    """django-axes' default is no failure log: failed logins must leave no trail entry."""
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = False
    post(client)
    post(client)
    assert redis_db.exists(TRAIL) == 0


def test_a_login_is_logged_and_its_guess_leaves_no_failure_entry(redis_db, alice, client, flow):
    """A guess in flight is no failure: only the login it turned out to be is logged."""
    post(client)
    assert post(client, password=RIGHT) == 302

    assert events(redis_db) == [("failure", "0"), ("login", "-")]
    login = entries(redis_db)[-1]
    assert (login["username"], login["ip_address"], login["user_agent"]) == (
        "alice",
        "127.0.0.1",
        "trail-ua",
    )


def test_logout_is_logged(redis_db, alice, client, flow):
    """AccessLog records logouts too; here they are an entry of their own."""
    assert post(client, password=RIGHT) == 302
    client.logout()
    assert events(redis_db) == [("login", "-"), ("logout", "-")]
    assert entries(redis_db)[-1]["username"] == "alice"


def test_disable_access_log_keeps_logins_and_logouts_out(redis_db, alice, client, flow, settings):
    """AXES_DISABLE_ACCESS_LOG=True: no login or logout entry, failures still logged."""
    settings.AXES_DISABLE_ACCESS_LOG = True
    post(client)
    assert post(client, password=RIGHT) == 302
    client.logout()
    assert events(redis_db) == [("failure", "0")]


def test_api_success_without_login_leaves_no_failure_entry(redis_db, alice, client, settings):
    """authenticate() without login(): a successful guess never writes a failure entry."""
    settings.AXES_REDIS_PARALLEL_GUARD = True
    for _ in range(3):
        response = client.post("/api/auth/", {"username": "alice", "password": RIGHT})
        assert response.status_code == 200
    assert client.post("/api/auth/", {"username": "alice", "password": WRONG}).status_code == 401
    assert events(redis_db) == [("failure", "0")]


def test_no_password_is_ever_stored(redis_db, alice, client, flow):
    """Passwords (right or wrong) must appear in no key, field or trail entry."""
    for _ in range(LIMIT + 1):
        post(client)
    post(Client(), password=RIGHT, REMOTE_ADDR="10.0.0.2")
    everything = []
    for name in redis_db.scan_iter("*"):
        kind = redis_db.type(name).decode()
        if kind == "hash":
            everything.append(repr(redis_db.hgetall(name)))
        elif kind == "stream":
            everything.append(repr(redis_db.xrange(name)))
        everything.append(repr(name))
    dump = "\n".join(everything)
    assert "login" in dump
    assert "failure" in dump
    assert RIGHT not in dump
    assert WRONG not in dump


def test_reset_all_keeps_the_trail(redis_db, alice, client, flow):
    """Like AccessLog, the trail outlives the lockouts: axes_reset must not delete it."""
    for _ in range(LIMIT):
        post(client)
    assert AxesRedisHandler().reset_attempts() == 1
    assert [e for e, _ in events(redis_db)] == ["failure"] * LIMIT


def test_the_trail_is_capped(redis_db, settings):
    """XADD MAXLEN ~: a flood of entries must not grow the stream without bound."""
    settings.AXES_REDIS_TRAIL_MAXLEN = 100
    store = AttemptStore(redis_db, "axes")
    bounded = Trail(TRAIL, 100)
    for index in range(2_000):
        store.append(bounded, {"event": "logout", "username": f"user{index}"})
    length = redis_db.xlen(TRAIL)
    # Approximate trimming removes whole stream nodes (100 entries each by default).
    assert 100 <= length <= 300
    newest = redis_db.xrevrange(TRAIL, count=1)[0][1]
    assert newest[b"username"] == b"user1999"


def test_hostile_usernames_are_capped_and_read_back(redis_db, client, flow):
    """A 100 kB username with control characters is stored capped and never breaks reads."""
    hostile = "\x1b[31m*?[|]{}\n" + "x" * 100_000
    assert post(client, username=hostile) == 200
    (entry,) = entries(redis_db)
    assert len(entry["username"]) == 255
    found, _ = trail.read(redis_db, "axes", username=hostile)
    assert [e.username for e in found] == [hostile[:255]]
    found, _ = trail.read(redis_db, "axes", username="*")
    assert found == []


@pytest.mark.single_node
def test_a_logged_failure_is_still_one_round_trip(redis_db, alice, client, flow):
    """The trail entry is written inside the script call that counts the failure."""
    post(client)
    TALLY.reset()
    post(client)
    expected = ["EVALSHA", "EVALSHA"]  # the check, and the record that writes the entry
    assert TALLY.commands == expected
    assert TALLY.round_trips == len(expected)
    assert [e for e, _ in events(redis_db)] == ["failure", "failure"]


@pytest.mark.single_node
def test_a_logged_login_is_one_call_after_the_check(redis_db, alice, client, flow, settings):
    """Settling the guess and logging the login share one call, with or without a reset."""
    for reset_on_success in (False, True):
        settings.AXES_RESET_ON_SUCCESS = reset_on_success
        post(client)
        TALLY.reset()
        assert post(client, password=RIGHT) == 302
        assert TALLY.commands == ["EVALSHA", "EVALSHA"]
        client.logout()
    assert [e for e, _ in events(redis_db)] == ["failure", "login", "logout"] * 2


# --- reading: trail.read, the command ------------------------------------------------


def fill(redis: Any, count: int, username: str = "user") -> None:
    store = AttemptStore(redis, "axes")
    target = Trail(TRAIL, 1_000_000)
    for index in range(count):
        store.append(target, {"event": "failure", "username": f"{username}{index % 3}"})


def test_pages_walk_every_entry_once_newest_first(redis_db):
    """Cursor paging must show each entry exactly once, in order, across chunk borders."""
    fill(redis_db, 1_200)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        found, cursor = trail.read(redis_db, "axes", cursor=cursor, count=70)
        seen.extend(entry.id for entry in found)
        pages += 1
        if cursor is None:
            break
    ids = [keys.key_text(raw) for raw, _ in redis_db.xrevrange(TRAIL)]
    assert seen == ids
    assert pages == 1_200 // 70 + 1


def test_username_filter_is_exact_and_pages(redis_db):
    """--username user1 must not match user10 or user2, and must page through the filter."""
    fill(redis_db, 900)
    fill(redis_db, 5, username="user1")  # user10, user11, user12: not user1
    found, cursor = trail.read(redis_db, "axes", username="user1", count=1_000)
    assert cursor is None
    assert len(found) == 300
    assert {entry.username for entry in found} == {"user1"}


def test_since_stops_the_walk(redis_db):
    """Entries older than --since must not be shown."""
    fill(redis_db, 10)
    found, _ = trail.read(redis_db, "axes", since=timezone.now() + timedelta(minutes=1))
    assert found == []
    found, _ = trail.read(redis_db, "axes", since=timezone.now() - timedelta(minutes=1))
    assert len(found) == 10


@pytest.mark.parametrize("cursor", ["abc", "1-x", "-1", "1-2-3", str(2**64)])
def test_bad_cursors_are_refused_clearly(cursor):
    """A cursor from a URL is attacker-controlled: a clear ValueError, never a crash later."""
    with pytest.raises(ValueError, match="stream ID"):
        trail.parse_cursor(cursor)


def test_cursors_round_trip():
    assert trail.parse_cursor("1700000000000-5") == "1700000000000-5"
    assert trail.parse_cursor("1700000000000") == "1700000000000-0"


def run_log(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("axes_redis", "log", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_log_command_shows_the_trail_as_a_table_and_json(redis_db, alice, client, flow):
    """axes_redis log: newest first, filtered by username and event."""
    for _ in range(LIMIT):
        post(client)
    post(Client(), username="bob")
    out, _ = run_log()
    lines = out.splitlines()
    header = ["time", "event", "username", "ip", "address", "user", "agent", "path"]
    assert lines[0].split() == header
    assert "bob" in lines[1]
    assert "failure (locked out)" in lines[2]
    assert len(lines) == 1 + LIMIT + 1

    out, _ = run_log("--username", "alice", "--json")
    found = [json.loads(line) for line in out.splitlines()]
    assert [entry["locked_out"] for entry in found] == [True, False, False]
    assert {entry["username"] for entry in found} == {"alice"}

    out, _ = run_log("--event", "login")
    assert out.strip() == "No trail entries."


def test_log_command_since_and_limit(redis_db):
    """--since takes a span or an ISO time; --limit says when more entries exist."""
    fill(redis_db, 30)
    out, err = run_log("--since", "1h", "--limit", "10")
    assert len(out.splitlines()) == 11
    assert "raise --limit" in err
    out, _ = run_log("--since", (timezone.now() + timedelta(hours=1)).isoformat())
    assert out.strip() == "No trail entries."


def test_log_command_escapes_control_characters(redis_db, client, flow):
    """A username with escape codes must not reach the operator's terminal raw."""
    post(client, username="\x1b[2Jevil")
    out, _ = run_log()
    assert "\x1b" not in out
    assert "\\x1b[2Jevil" in out


@pytest.mark.real_redis_only
def test_the_worst_entry_fits_the_bound_check_w007_assumes(redis_db):
    """An attacker choosing every field (username, user agent, path) at its cap must not
    make the trail bigger than AXES_REDIS_TRAIL_MAXLEN times the bound the deploy check
    uses: values are capped in bytes, so 4-byte characters take no more room than ASCII."""
    store = AttemptStore(redis_db, "axes")
    stream = Trail(TRAIL, 100_000)
    count = 2_000
    for i in range(count):
        # Distinct, incompressible values of every width of UTF-8 character.
        wide = ("a", "\N{LATIN SMALL LETTER E WITH ACUTE}", "\N{EURO SIGN}", "\N{PILE OF POO}")
        value = f"{i:06d}" + wide[i % 4] * 300
        store.append(
            stream,
            {
                "event": "failure",
                "locked_out": 1,
                "username": value,
                "ip_address": value[::-1],
                "user_agent": "u" + value,
                "path_info": "/" + value,
            },
        )
    (_, fields) = redis_db.xrange(TRAIL, count=1)[0]
    assert max(len(v) for v in fields.values()) <= METADATA_MAX_BYTES
    per_entry = redis_db.memory_usage(TRAIL, samples=0) / count
    assert per_entry <= server_checks.TRAIL_ENTRY_WORST_BYTES

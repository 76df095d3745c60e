"""``manage.py axes_redis``: list, inspect, reset and stats against the real Redis.

The command is what an operator reaches for during an incident: its listing must
be complete and unforgeable (no terminal escapes from attacker-chosen user
agents), its redis-cli lines must work when pasted, and its resets must remove
exactly what was named, never more, and never everything by accident.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import subprocess
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from axes_redis import clients, keys, scripts
from tests.support.tracked import (
    ALICE,
    ALICE_AT_IP,
    ALICE_AT_IP_UA,
    ALICE_AT_OTHER_IP,
    ALICE_UA,
    AT_IP,
    BOB,
    BOB_AT_IP,
    HOSTILE_USERNAMES,
    IP,
    PREFIX,
    WORLD,
    key,
    keyset,
    many_ips,
    seed,
    stored,
)

BY_USERNAME = [ALICE, ALICE_AT_IP, ALICE_AT_OTHER_IP, ALICE_UA, ALICE_AT_IP_UA]
BY_IP = [AT_IP, ALICE_AT_IP, BOB_AT_IP, ALICE_AT_IP_UA]
CLI_OPTIONS_WITH_VALUE = {"-h", "-p", "-n", "-s", "--user"}
CLI_FLAGS = {"-c", "--tls", "--askpass"}


def run(*args: str, stdin: Any = None) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    extra = {} if stdin is None else {"stdin": stdin}
    call_command("axes_redis", *args, stdout=out, stderr=err, **extra)
    return out.getvalue(), err.getvalue()


def fail_logins(client: Any, username: str, times: int, user_agent: str = "pytest") -> None:
    for _ in range(times):
        client.post(
            "/login/", {"username": username, "password": "wrong"}, HTTP_USER_AGENT=user_agent
        )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def stub_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A directory whose ``redis-cli`` prints the words the shell passed it, NUL-separated."""
    folder = tmp_path_factory.mktemp("stub-bin")
    stub = folder / "redis-cli"
    stub.write_text("#!/bin/sh\nprintf '%s\\0' redis-cli \"$@\"\n")
    stub.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


def shell_words(line: str, path: str) -> list[str]:
    """The words a POSIX shell makes of a printed ``redis-cli ...`` line."""
    done = subprocess.run(
        ["sh", "-c", line],
        capture_output=True,
        check=True,
        timeout=10,
        env={**os.environ, "PATH": path},
    )
    return [os.fsdecode(word) for word in done.stdout.split(b"\0")[:-1]]


def cli_lines(output: str, path: str) -> list[list[str]]:
    """The redis-cli lines of an inspect output, as a real shell splits them."""
    lines = [line.split("$ ", 1)[1] for line in output.splitlines() if "$ " in line]
    words = [shell_words(line, path) for line in lines]
    assert words == [shlex.split(line) for line in lines]
    return words


def expected_connection(redis_client: Any) -> dict[str, str]:
    """The redis-cli options that reach the server the fixture's client talks to."""
    if hasattr(redis_client, "get_primaries"):
        node = redis_client.get_default_node()
        return {"-h": str(node.host), "-p": str(node.port)}
    options = redis_client.connection_pool.connection_kwargs
    expected = {"-h": str(options["host"]), "-p": str(options["port"])}
    if options.get("db"):
        expected["-n"] = str(options["db"])
    return expected


def redis_command(words: list[str]) -> list[str]:
    """Drop ``redis-cli`` and its connection options: what is left is the Redis command."""
    assert words[0] == "redis-cli"
    rest = words[1:]
    while rest and rest[0].startswith("-") and not rest[0].startswith("--scan"):
        option = rest.pop(0)
        assert option in CLI_OPTIONS_WITH_VALUE | CLI_FLAGS, option
        if option in CLI_OPTIONS_WITH_VALUE:
            rest.pop(0)
    return rest


def connection_options(words: list[str]) -> dict[str, str]:
    options = {}
    for index, word in enumerate(words[:-1]):
        if word in CLI_OPTIONS_WITH_VALUE:
            options[word] = words[index + 1]
    return options


class Terminal(StringIO):
    """Typed answers on an interactive terminal."""

    def isatty(self) -> bool:
        return True


# --- list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_table_shows_failed_logins(redis_db, client):
    """The table must show each client's parameters, count, lock state and unlock time."""
    with override_settings(AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]]):
        fail_logins(client, "alice", 3, user_agent="Mozilla/5.0 alice")
        fail_logins(client, "bob", 1, user_agent="curl/8")
    out, _ = run("list")
    header, *rows = out.splitlines()
    assert header.split("  ")[0] == "parameters"
    assert re.split(r"\s{2,}", header) == [
        "parameters",
        "failures",
        "limit",
        "locked",
        "first",
        "last",
        "unlocks in",
        "user agent",
        "path",
    ]
    assert len(rows) == 2
    by_user = {row.split()[1]: row for row in rows}
    alice = by_user["username=alice"]
    bob = by_user["username=bob"]
    locked_at = header.index("locked")
    assert alice[locked_at:].startswith("yes")
    assert bob[locked_at:].startswith("no")
    failures_at = header.index("failures")
    assert alice[failures_at:].split()[:2] == ["3", "3"]
    assert bob[failures_at:].split()[:2] == ["1", "3"]
    unlocks_at = header.index("unlocks in")
    assert re.match(r"(1h|59m \d+s)\s", alice[unlocks_at:])
    assert re.match(r"-(\s|$)", bob[unlocks_at:])
    assert alice[header.index("user agent") :].startswith("Mozilla/5.0 alice")
    assert alice.rstrip().endswith("/login/")
    assert alice.startswith("ip_address=127.0.0.1 username=alice")
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", alice)


@pytest.mark.django_db
def test_list_json_lines_carry_every_field(redis_db, client):
    """Scripts consuming --json must get one complete object per client."""
    with override_settings(AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]]):
        fail_logins(client, "alice", 3, user_agent="Mozilla/5.0 alice")
        fail_logins(client, "bob", 2)
    objects = {o["username"]: o for o in json_lines(run("list", "--json")[0])}
    assert set(objects) == {"alice", "bob"}
    alice = objects["alice"]
    assert alice["key"] == key({"ip_address": "127.0.0.1", "username": "alice"})
    assert alice["parameters"] == {"ip_address": "127.0.0.1", "username": "alice"}
    assert (alice["failures"], alice["limit"], alice["locked"]) == (3, 3, True)
    assert alice["ip_address"] == "127.0.0.1"
    assert alice["user_agent"] == "Mozilla/5.0 alice"
    assert alice["path_info"] == "/login/"
    assert 3_590_000 < alice["ttl_ms"] <= 3_600_000
    assert alice["first"] is None  # only a count carried over by import-db knows its start
    assert alice["last"] is not None  # derived from the TTL
    assert alice["unlocks_at"] is not None
    assert (objects["bob"]["locked"], objects["bob"]["unlocks_at"]) == (False, None)


def test_list_locked_filter(redis_db):
    """--locked must list every locked client and no client with failures left."""
    locked = seed(redis_db, [ALICE, AT_IP], failures=3)
    seed(redis_db, [BOB, BOB_AT_IP], failures=1)
    objects = json_lines(run("list", "--locked", "--json")[0])
    assert {o["key"] for o in objects} == locked
    assert all(o["locked"] for o in objects)


def test_list_by_username_and_ip_uses_exact_search(redis_db):
    """--username alice must show alice's combinations and not malice or alice2."""
    seed(redis_db, WORLD, failures=1)
    seed(redis_db, [ALICE_AT_IP], failures=2)
    by_user = json_lines(run("list", "--username", "alice", "--json")[0])
    assert {o["key"] for o in by_user} == keyset(BY_USERNAME)
    by_ip = json_lines(run("list", "--ip", IP, "--json")[0])
    assert {o["key"] for o in by_ip} == keyset(BY_IP)
    locked = json_lines(run("list", "--username", "alice", "--locked", "--json")[0])
    assert [o["key"] for o in locked] == [key(ALICE_AT_IP)]


def test_list_limit_pages_through_and_says_there_is_more(redis_db):
    """--limit must bound the output and warn that clients were left out."""
    seed(redis_db, many_ips(120))
    out, err = run("list", "--limit", "30", "--json")
    assert len(json_lines(out)) == 30
    assert "raise --limit" in err
    out, err = run("list", "--limit", "500", "--json")
    assert len({o["key"] for o in json_lines(out)}) == 120
    assert err == ""
    out, _ = run("list")
    assert len(out.splitlines()) == 1 + 100


def test_list_of_nothing(redis_db):
    """An empty Redis must say so rather than print a bare header."""
    assert run("list")[0].strip() == "No tracked clients."
    assert run("list", "--json")[0] == ""


@pytest.mark.django_db
def test_list_by_username_says_why_ip_keyed_failures_are_not_found(redis_db, client):
    """With django-axes' default lockout by IP, alice's failures are counted under the IP:
    --username cannot find them (the key does not name her, and the username stored on it
    is only the last failure's), so the command says so and where to look instead."""
    with override_settings(AXES_LOCKOUT_PARAMETERS=["ip_address"]):
        fail_logins(client, "alice", 2)
        out, err = run("list", "--username", "alice")
        assert out.strip() == "No tracked clients."
        assert "not found by --username" in err
        assert "axes_redis log --username" in err
        assert "then use --ip" in err
        assert run("list", "--ip", "127.0.0.1", "--json")[0] != ""
        _, err = run("inspect", "--username", "alice")
        assert "not found by --username" in err
    with override_settings(AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]]):
        fail_logins(client, "alice", 1)
        out, err = run("list", "--username", "alice")
        assert "username=alice" in out
        assert err == ""


@pytest.mark.parametrize(
    ("milliseconds", "short", "words"),
    [
        (96_000, "1m 36s", "1 minute 36 seconds"),
        (95_001, "1m 36s", "1 minute 36 seconds"),
        (60_000, "1m", "1 minute"),
        (59_001, "1m", "1 minute"),
        (1, "1s", "1 second"),
        (3_599_500, "1h", "1 hour"),
        (7_470_000, "2h 5m", "2 hours 5 minutes"),
        (90_000_000, "1d 1h", "1 day 1 hour"),
    ],
)
def test_time_left_is_rounded_up_never_down(milliseconds, short, words):
    """96 s left must not read "1 minute" (Django's timeuntil): a user told one minute who
    tries again then is refused. Two units at most, the smaller rounded up."""
    assert clients.duration(milliseconds, short=True) == short
    assert clients.duration(milliseconds) == words


def test_empty_log_says_which_settings_keep_events_out_of_the_trail(redis_db):
    """django-axes logs no failures unless AXES_ENABLE_ACCESS_FAILURE_LOG: an empty
    `axes_redis log` after failed logins must say so, not just "No trail entries."."""
    with override_settings(AXES_ENABLE_ACCESS_FAILURE_LOG=False, AXES_DISABLE_ACCESS_LOG=True):
        out, err = run("log")
        assert out.strip() == "No trail entries."
        assert "failed logins need AXES_ENABLE_ACCESS_FAILURE_LOG = True" in err
        assert "logins and logouts need AXES_DISABLE_ACCESS_LOG = False" in err
        _, err = run("log", "--event", "login")
        assert "AXES_ENABLE_ACCESS_FAILURE_LOG" not in err
    with override_settings(AXES_ENABLE_ACCESS_FAILURE_LOG=True, AXES_DISABLE_ACCESS_LOG=False):
        out, err = run("log")
        assert (out.strip(), err) == ("No trail entries.", "")


def test_redis_down_is_one_command_error(settings):
    """With Redis down the command raises one CommandError naming the Redis and the error
    (printed by Django as one line, exit status 1); `--traceback` still shows the rest."""
    settings.CACHES = {
        **settings.CACHES,
        "axes": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    for args in (["list"], ["stats"], ["log"], ["inspect", "--ip", "10.0.0.1"]):
        with pytest.raises(CommandError) as raised:
            run(*args)
        message = str(raised.value)
        assert len(message.splitlines()) == 1
        assert message.startswith(f"Redis at 127.0.0.1:1/0 failed during axes_redis {args[0]}: ")
        assert "Connection refused" in message


@pytest.mark.django_db
def test_list_neutralises_terminal_escapes(redis_db, client):
    """An attacker's user agent or username must not drive the operator's terminal."""
    evil = "\x1b]0;pwned\x07\x1b[2J\rok"
    with override_settings(AXES_LOCKOUT_PARAMETERS=[["username", "user_agent"]]):
        fail_logins(client, "mallory\x1b[31m", 1, user_agent=evil)
    out, _ = run("list")
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\r" not in out
    assert len(out.splitlines()) == 2
    assert "\\x1b]0;pwned\\x07" in out
    [obj] = json_lines(run("list", "--json")[0])
    assert obj["user_agent"] == evil


# --- inspect ------------------------------------------------------------------------


def test_inspect_prints_keys_fields_and_working_redis_cli_lines(redis_db, stub_path):
    """Pasting the printed redis-cli lines must show, time and unlock that very client."""
    seed(redis_db, WORLD, failures=3)
    out, _ = run("inspect", "--username", "alice")
    for client_key in keyset(BY_USERNAME):
        assert client_key in out
    assert "fails: 3" in out
    assert "user_agent: pytest" in out  # the lock record describes what the key does not spell

    lines = cli_lines(out, stub_path)
    commands = [redis_command(words) for words in lines]
    verbs = [command[0] for command in commands]
    assert verbs.count("HGETALL") == verbs.count("PTTL") == verbs.count("UNLINK") == 5
    for words in lines:
        assert connection_options(words) == expected_connection(redis_db)

    for command in commands:
        if command[0] == "HGETALL":
            assert redis_db.execute_command(*command) == redis_db.hgetall(command[1])
            assert redis_db.execute_command(*command)[b"fails"] == b"3"
        elif command[0] == "PTTL":
            assert 3_500_000 < redis_db.execute_command(*command) <= 3_600_000
    [scan] = [command for command in commands if command[0] == "--scan"]
    assert scan[1] == "--pattern"
    assert {k.decode() for k in redis_db.scan_iter(match=scan[2])} == keyset(BY_USERNAME)

    for command in commands:
        if command[0] == "UNLINK":
            assert redis_db.execute_command(*command) == 1
    assert clients.find(redis_db, PREFIX, username="alice") == []
    assert stored(redis_db) == keyset(WORLD) - keyset(BY_USERNAME)


def test_inspect_by_ip(redis_db, stub_path):
    """Inspecting an IP must list that IP's keys, in any spelling, and no other IP's."""
    seed(redis_db, WORLD)
    out, _ = run("inspect", "--ip", f"::ffff:{IP}")
    listed = {words[-1] for words in cli_lines(out, stub_path) if "HGETALL" in words}
    assert listed == keyset(BY_IP)


@pytest.mark.parametrize("username", HOSTILE_USERNAMES)
def test_inspect_quoting_survives_hostile_usernames(redis_db, stub_path, username):
    """A username with globs, quotes, spaces or newlines must not break or widen the commands."""
    seed(redis_db, [*WORLD, {"username": username}, {"username": username, "ip_address": IP}])
    out, _ = run("inspect", "--username", username)
    lines = cli_lines(out, stub_path)
    assert len(lines) == 2 * 3 + 1
    expected = keyset([{"username": username}, {"username": username, "ip_address": IP}])
    for words in lines:
        command = redis_command(words)
        if command[0] == "HGETALL":
            assert command[1] in expected
            fields = redis_db.execute_command(*command)
            assert fields == {b"fails": b"1"}  # below the limit: the key names the client
        elif command[0] == "PTTL":
            assert redis_db.execute_command(*command) > 0
        elif command[0] == "--scan":
            assert {k.decode() for k in redis_db.scan_iter(match=command[2])} == expected


def test_inspect_unknown_client(redis_db, stub_path):
    """Inspecting someone never tracked must say so and print no key commands."""
    seed(redis_db)
    out, _ = run("inspect", "--username", "carol")
    assert "No tracked client holds username 'carol'." in out
    assert [redis_command(w)[0] for w in cli_lines(out, stub_path)] == ["--scan"]


def test_inspect_needs_a_client(redis_db):
    """inspect without --username/--ip must be refused, not dump everything."""
    with pytest.raises(CommandError, match="--username and/or --ip"):
        run("inspect")


# --- reset --------------------------------------------------------------------------


def test_reset_by_username_removes_every_combination_and_logs(redis_db, caplog):
    """Unlocking alice must clear alice@IP too, and leave an audit line saying so."""
    everything = seed(redis_db, WORLD)
    caplog.set_level(logging.INFO, logger="axes_redis")
    out, _ = run("reset", "--username", "alice")
    assert out.strip() == f"{len(BY_USERNAME)} client(s) removed."
    assert stored(redis_db) == everything - keyset(BY_USERNAME)
    [record] = [r for r in caplog.records if r.name == "axes_redis"]
    assert "username='alice'" in record.getMessage()
    assert f"{len(BY_USERNAME)} client(s) removed" in record.getMessage()
    # The logger's name is the prefix: a "%(name)s: %(message)s" format shows it once.
    assert not record.getMessage().startswith("axes_redis")


def test_reset_by_ip(redis_db):
    """Unlocking an IP must clear its combinations and no other IP."""
    everything = seed(redis_db, WORLD)
    out, _ = run("reset", "--ip", IP)
    assert out.strip() == f"{len(BY_IP)} client(s) removed."
    assert stored(redis_db) == everything - keyset(BY_IP)


def test_reset_dry_run_removes_nothing(redis_db, caplog):
    """--dry-run must list exactly what a reset would remove and touch nothing."""
    everything = seed(redis_db, WORLD)
    caplog.set_level(logging.INFO, logger="axes_redis")
    out, _ = run("reset", "--username", "alice", "--dry-run")
    assert stored(redis_db) == everything
    listed = {line.split()[-1] for line in out.splitlines() if line.startswith("would remove")}
    assert listed == keyset(BY_USERNAME)
    assert f"{len(BY_USERNAME)} client(s) would be removed" in out
    out, _ = run("reset", "--all", "--dry-run")
    assert stored(redis_db) == everything
    assert f"{len(WORLD)} client(s) would be removed" in out
    assert not [r for r in caplog.records if r.name == "axes_redis"]


def test_reset_all_without_yes_on_a_pipe_aborts(redis_db):
    """A script piping into reset --all without --yes must not unlock everyone."""
    everything = seed(redis_db, WORLD)
    with pytest.raises(CommandError, match="not interactive"):
        run("reset", "--all", stdin=StringIO("yes\n"))
    assert stored(redis_db) == everything


@pytest.mark.parametrize("answer", ["no\n", "y\n", "YES please\n", ""])
def test_reset_all_unconfirmed_aborts(redis_db, answer):
    """Anything but a typed "yes" must leave every lockout in place."""
    everything = seed(redis_db, WORLD)
    with pytest.raises(CommandError, match="not confirmed"):
        run("reset", "--all", stdin=Terminal(answer))
    assert stored(redis_db) == everything


def test_reset_all_confirmed_or_with_yes(redis_db, caplog):
    """reset --all must forget every client of ours, and only ours."""
    seed(redis_db, WORLD)
    redis_db.set("other:key", "keep")
    caplog.set_level(logging.INFO, logger="axes_redis")
    out, _ = run("reset", "--all", stdin=Terminal("yes\n"))
    assert "Type 'yes' to continue" in out
    assert out.splitlines()[-1].endswith(f"{len(WORLD)} client(s) removed.")
    assert stored(redis_db) == {"other:key"}

    seed(redis_db, many_ips(5))
    out, _ = run("reset", "--all", "--yes")
    assert out.strip() == "5 client(s) removed."
    assert stored(redis_db) == {"other:key"}
    messages = [r.getMessage() for r in caplog.records if r.name == "axes_redis"]
    assert len(messages) == 2
    assert all("every client" in message for message in messages)


@pytest.mark.parametrize("username", HOSTILE_USERNAMES)
def test_reset_of_a_hostile_username_never_widens(redis_db, username):
    """Resetting "*" or "a b" must remove that user's keys alone, never a glob's worth."""
    everything = seed(redis_db, WORLD)
    theirs = seed(redis_db, [{"username": u} for u in HOSTILE_USERNAMES])
    theirs |= seed(redis_db, [{"username": u, "ip_address": IP} for u in HOSTILE_USERNAMES])
    target = keyset([{"username": username}, {"username": username, "ip_address": IP}])

    out, _ = run("reset", "--username", username, "--dry-run")
    assert {line.split()[-1] for line in out.splitlines() if "would remove" in line} == target
    assert stored(redis_db) == everything | theirs

    out, _ = run("reset", "--username", username)
    assert out.strip() == "2 client(s) removed."
    assert stored(redis_db) == (everything | theirs) - target


def test_reset_arguments_are_checked(redis_db):
    """A reset with no target, or --all plus a target, must be refused, not guessed."""
    everything = seed(redis_db, WORLD)
    with pytest.raises(CommandError, match="--username and/or --ip"):
        run("reset")
    with pytest.raises(CommandError, match="cannot be combined"):
        run("reset", "--all", "--username", "alice", "--yes")
    with pytest.raises(CommandError):
        run("frobnicate")
    with pytest.raises(CommandError):
        call_command("axes_redis", stdout=StringIO())
    assert stored(redis_db) == everything


@pytest.mark.django_db
def test_reset_unlocks_a_locked_out_login(redis_db, client):
    """After the command's reset the locked-out user must be able to try again."""
    fail_logins(client, "alice", 3)
    assert client.post("/login/", {"username": "alice", "password": "x"}).status_code == 429
    out, _ = run("reset", "--ip", "127.0.0.1")
    assert out.strip() == "1 client(s) removed."
    assert client.post("/login/", {"username": "alice", "password": "x"}).status_code == 200


# --- stats --------------------------------------------------------------------------


def test_stats_prints_counts_parameter_sets_and_scripts(redis_db):
    """The stats an operator reads during an incident must match what Redis holds."""
    seed(redis_db, many_ips(4), failures=3)
    seed(redis_db, [ALICE, ALICE_AT_IP, ALICE_UA], failures=1)
    out, _ = run("stats")
    assert "Tracked clients:  7" in out
    assert "Locked clients:   4" in out
    assert re.search(r"^  ip_address\s+4$", out, re.MULTILINE)
    assert re.search(r"^  ip_address\+username\s+1$", out, re.MULTILINE)
    assert re.search(r"^  user_agent\+username\s+1$", out, re.MULTILINE)
    assert re.search(r"^  username\s+1$", out, re.MULTILINE)
    assert re.search(r"^  record_failure\s+[0-9a-f]{40}\s+loaded$", out, re.MULTILINE)
    assert "Memory" in out
    assert "Login trail:      0 entries (0 bytes)" in out

    data = json.loads(run("stats", "--json")[0])
    assert (data["tracked"], data["locked"], data["keys"]) == (7, 4, 7)
    assert data["by_parameters"]["ip_address"] == 4
    # Every shipped lua/*.lua, whatever scripts are added later.
    names = {s["name"] for s in data["scripts"]}
    assert names == set(scripts.names())
    assert names >= {"admit", "get_failures", "record_failure", "release"}


@pytest.mark.real_redis_only
def test_stats_memory_line_says_sampled(redis_db):
    """A sampled memory figure must be labelled as such, not passed off as measured."""
    seed(redis_db, many_ips(10))
    assert re.search(r"Memory \(measured\): ~\d+ bytes", run("stats")[0])
    out, _ = run("stats", "--sample", "3")
    assert re.search(r"Memory \(sampled\): ~\d+ bytes \(MEMORY USAGE of 3 of 10 keys", out)


def test_custom_prefix_is_honoured(redis_db):
    """With AXES_REDIS_KEY_PREFIX set, the command must see and reset that prefix only."""
    seed(redis_db, [ALICE])
    with override_settings(AXES_REDIS_KEY_PREFIX="site2"):
        other = keys.client_key("site2", ALICE)
        redis_db.hset(other, mapping={"fails": 5, "limit": 3})
        [obj] = json_lines(run("list", "--json")[0])
        assert (obj["key"], obj["locked"]) == (other, True)
        assert run("reset", "--username", "alice")[0].strip() == "1 client(s) removed."
    assert stored(redis_db) == {key(ALICE)}

"""``axes_redis import-db``: django-axes' AccessAttempt rows carried into Redis.

A site switching from ``AxesDatabaseHandler`` must not hand a locked-out attacker a
fresh start, nor lock out someone whose cool-off is over, nor double the counts
when the import is run twice. Rows are real rows (SQLite, the test database, and
a throwaway PostgreSQL database); the keys are compared with what the handler
itself writes for the same failures, on the real Redis.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from axes import models as axes_models
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from axes_redis import import_report, keys
from axes_redis.import_db import import_attempts
from tests.support.caches import ON_CLUSTER
from testsupport.counting import TALLY
from testsupport.redis_server import REQUIRE_ENV

PREFIX = "axes"
IP = "203.0.113.9"
OTHER_IP = "198.51.100.7"
UA = "Mozilla/5.0 (import test)"
HOUR = timedelta(hours=1)
POSTGRES_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


# --- rows -------------------------------------------------------------------------------


def add_rows(rows: Sequence[Mapping[str, Any]], using: str = "default") -> None:
    """Insert AccessAttempt rows with the given attempt times.

    ``attempt_time`` is ``auto_now_add``, so Django overwrites it on insert: the rows
    are created, then each distinct time is written back with one UPDATE.
    """
    now = timezone.now()
    AccessAttempt.objects.using(using).bulk_create(
        [
            AccessAttempt(
                username=row.get("username"),
                ip_address=row.get("ip_address", IP),
                user_agent=row.get("user_agent", UA),
                http_accept="text/html",
                path_info=row.get("path_info", "/login/"),
                get_data="",
                post_data="",
                failures_since_start=row.get("failures", 1),
            )
            for row in rows
        ],
        batch_size=2000,
    )
    wanted: dict[datetime, list[Any]] = {}
    pks = AccessAttempt.objects.using(using).order_by("pk").values_list("pk", flat=True)
    for pk, row in zip(list(pks)[-len(rows) :], rows, strict=True):
        wanted.setdefault(now - row.get("ago", timedelta(minutes=5)), []).append(pk)
    for moment, chosen in wanted.items():
        AccessAttempt.objects.using(using).filter(pk__in=chosen).update(attempt_time=moment)


def dump(client: Any) -> dict[str, tuple[dict[str, str], int]]:
    """Every key of ours: its fields and its TTL in whole seconds (-1: none)."""
    found = {}
    for raw in client.scan_iter(match=f"{PREFIX}:client:*"):
        key = keys.key_text(raw)
        fields = {k.decode(): v.decode("utf-8", "replace") for k, v in client.hgetall(key).items()}
        ttl = client.pttl(key)
        found[key] = (fields, ttl if ttl < 0 else round(ttl / 1000))
    return found


def stored(client: Any) -> int:
    """Keys of ours, on every primary of a cluster too (``DBSIZE`` asks one node)."""
    return sum(1 for _ in client.scan_iter(match=f"{PREFIX}:*", count=1000))


def client_key(**parameters: Any) -> str:
    return keys.client_key(PREFIX, parameters)


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("axes_redis", "import-db", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- databases --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_alias(django_db_blocker: Any) -> Iterator[str]:
    """A throwaway PostgreSQL database with django-axes' AccessAttempt table, as an alias.

    Skipped when no server answers, unless ``AXES_REDIS_REQUIRE_SERVER=1`` (CI),
    where that is a failure: the PostgreSQL case must not silently vanish.
    """
    required = os.environ.get(REQUIRE_ENV) == "1"
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the dev group installs it
        if required:
            pytest.fail(f"{REQUIRE_ENV}=1 and psycopg is not installed: {exc}")
        pytest.skip(f"psycopg not installed: {exc}")
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if required:
            pytest.fail(f"{REQUIRE_ENV}=1 and no PostgreSQL at {POSTGRES_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {exc}")
    name = f"axes_redis_import_{uuid4().hex[:12]}"
    alias = "import_postgres"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlsplit(POSTGRES_URL)
        connections.settings[alias] = connections.configure_settings(
            {
                "default": dict(connections.settings["default"]),
                alias: {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": name,
                    "USER": url.username or "postgres",
                    "PASSWORD": url.password or "",
                    "HOST": url.hostname or "127.0.0.1",
                    "PORT": str(url.port or 5432),
                },
            }
        )[alias]
        with django_db_blocker.unblock(), connections[alias].schema_editor() as editor:
            editor.create_model(AccessAttempt)
            # Deleting attempts cascades there; django-axes 8.0 (our floor) has no such model.
            expiration = getattr(axes_models, "AccessAttemptExpiration", None)
            if expiration is not None:
                editor.create_model(expiration)
        yield alias
        with django_db_blocker.unblock():
            connections[alias].close()
    finally:
        with contextlib.suppress(AttributeError):  # never opened: setup failed before
            del connections[alias]
        connections.settings.pop(alias, None)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[str]:
    """The alias holding the rows: the SQLite test database, or a PostgreSQL one."""
    if request.param == "sqlite":
        request.getfixturevalue("db")
        yield "default"
        return
    alias = request.getfixturevalue("postgres_alias")
    with django_db_blocker.unblock():
        AccessAttempt.objects.using(alias).all().delete()
        yield alias
        AccessAttempt.objects.using(alias).all().delete()


# --- the same keys as the handler -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "parameters",
    [["ip_address"], ["username"], [["username", "ip_address"]], ["username", "ip_address"]],
    ids=["ip", "username", "username+ip", "username,ip"],
)
def test_a_row_becomes_the_keys_the_handler_writes(redis_db, settings, parameters):
    """A lockout carried over must be the one the handler enforces: same keys, same fields."""
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    for _ in range(2):
        Client().post(
            "/login/",
            {"username": "bob", "password": "wrong"},
            REMOTE_ADDR=IP,
            HTTP_USER_AGENT=UA,
        )
    by_handler = dump(redis_db)
    redis_db.flushdb()
    add_rows([{"username": "bob", "failures": 2, "ago": timedelta(seconds=0)}])

    report = import_attempts(redis_db, PREFIX)

    imported = dump(redis_db)
    assert set(imported) == set(by_handler)
    assert report.keys == len(by_handler)
    assert report.created == len(by_handler)
    now_ms = int(time.time() * 1000)
    for key, (fields, ttl) in by_handler.items():
        got, got_ttl = imported[key]
        # Below the limit the handler keeps the count alone; the import adds what the
        # rows tell and the handler derives (limit, first and last failure, who).
        assert fields == {"fails": "2"}, key
        assert (got["fails"], got["limit"], got["username"]) == ("2", "3", "bob"), key
        assert abs(int(got["last"]) - now_ms) < 60_000
        assert abs(got_ttl - ttl) <= 60  # both: the hour of AXES_COOLOFF_TIME, less the time spent


def test_rows_of_one_key_are_summed_with_the_newest_rows_metadata(redis_db, database, settings):
    """AxesDatabaseHandler adds up the rows of a parameter set: a spray from one IP over
    several usernames must arrive as one count at that IP, not as the largest row."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    add_rows(
        [
            {"username": "alice", "failures": 1, "ago": timedelta(minutes=40)},
            {"username": "bob", "failures": 2, "ago": timedelta(minutes=10)},
            {"username": "carol", "failures": 1, "ago": timedelta(minutes=20), "user_agent": "x"},
            {"username": "dave", "failures": 4, "ip_address": OTHER_IP},
        ],
        using=database,
    )

    report = import_attempts(redis_db, PREFIX, using=database)

    found = dump(redis_db)
    fields, ttl = found[client_key(ip_address=IP)]
    assert fields["fails"] == "4"
    assert fields["limit"] == "3"
    assert fields["username"] == "bob"  # the newest row's
    assert int(fields["last"]) - int(fields["first"]) == 30 * 60 * 1000
    assert 49 * 60 <= ttl <= 50 * 60  # an hour after the newest row, ten minutes ago
    assert found[client_key(ip_address=OTHER_IP)][0]["fails"] == "4"
    assert (report.rows, report.imported_rows, report.keys, report.locked) == (4, 4, 2, 2)
    assert report.database == database


def test_expired_rows_are_skipped_and_the_ttl_is_the_cool_off_left(redis_db, database, settings):
    """A cool-off that is over must not come back; one that runs keeps only what is left."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    add_rows(
        [
            {"username": "old", "failures": 9, "ago": timedelta(minutes=31)},
            {"username": "fresh", "failures": 3, "ago": timedelta(minutes=20)},
        ],
        using=database,
    )

    report = import_attempts(redis_db, PREFIX, using=database)

    found = dump(redis_db)
    assert list(found) == [client_key(username="fresh")]
    assert 9 * 60 <= found[client_key(username="fresh")][1] <= 10 * 60
    assert report.skipped == {import_report.EXPIRED: 1}
    assert (report.imported_rows, report.locked) == (1, 1)


@pytest.mark.django_db
def test_without_cool_off_a_lockout_persists_and_a_lower_count_gets_the_retention(
    redis_db, settings
):
    """As record_failure.lua decides: a lockout lasts until reset; a count below the limit
    lives AXES_REDIS_RETENTION after its last failure, and is dropped if that is over."""
    settings.AXES_COOLOFF_TIME = None
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    add_rows(
        [
            {"username": "locked", "failures": 5, "ago": timedelta(days=30)},
            {"username": "counting", "failures": 1, "ago": timedelta(hours=2)},
            {"username": "forgotten", "failures": 2, "ago": timedelta(days=2)},
        ]
    )

    report = import_attempts(redis_db, PREFIX)

    found = dump(redis_db)
    assert found[client_key(username="locked")][1] == -1
    assert 22 * 3600 - 5 <= found[client_key(username="counting")][1] <= 22 * 3600
    assert client_key(username="forgotten") not in found
    assert report.skipped == {import_report.PAST_RETENTION: 1}
    assert (report.persistent, report.locked) == (1, 1)


@pytest.mark.django_db
def test_tiers_give_the_cool_off_of_the_tier_the_sum_reached(redis_db, settings):
    """With AXES_LOCKOUT_TIERS the TTL must match the count, as the script gives it."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    settings.AXES_COOLOFF_TIME = None
    settings.AXES_LOCKOUT_TIERS = [(3, timedelta(minutes=15)), (6, timedelta(hours=2))]
    add_rows(
        [
            {"username": "a", "failures": 4, "ago": timedelta(minutes=10)},
            {"username": "b", "failures": 3, "ago": timedelta(minutes=10)},
        ]
    )

    import_attempts(redis_db, PREFIX)

    fields, ttl = dump(redis_db)[client_key(ip_address=IP)]
    assert (fields["fails"], fields["limit"]) == ("7", "3")
    assert 110 * 60 - 5 <= ttl <= 110 * 60


@pytest.mark.django_db
def test_a_site_without_time_zones_imports_too(redis_db, settings):
    """With USE_TZ = False attempt times are naive: they must still compare with now."""
    settings.USE_TZ = False
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    add_rows([{"username": "naive", "ago": timedelta(minutes=30)}, {"ago": 2 * HOUR}])

    report = import_attempts(redis_db, PREFIX)

    assert list(dump(redis_db)) == [client_key(username="naive")]
    assert 29 * 60 <= dump(redis_db)[client_key(username="naive")][1] <= 30 * 60
    assert report.skipped == {import_report.EXPIRED: 1}


@pytest.mark.django_db
def test_rows_the_handler_would_not_count_are_skipped_by_reason(redis_db, settings):
    """Whitelisted clients, rows without the only lockout parameter, and rows that cannot
    be keyed are reported, not imported, and never stop the import of the others."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    settings.AXES_NEVER_LOCKOUT_WHITELIST = True
    settings.AXES_IP_WHITELIST = [OTHER_IP]
    add_rows(
        [
            {"username": "kept"},
            {"username": "trusted", "ip_address": OTHER_IP},
            {"username": None, "user_agent": "anonymous"},
            {"username": "nothing", "failures": 0},
        ]
    )

    report = import_attempts(redis_db, PREFIX)

    assert list(dump(redis_db)) == [client_key(username="kept")]
    assert report.skipped == {
        import_report.WHITELISTED: 1,
        import_report.NO_USERNAME: 1,
        import_report.UNUSABLE: 1,
    }
    assert len(report.problems) == 1
    assert "failures_since_start is 0" in report.problems[0]
    assert (report.rows, report.imported_rows, report.skipped_rows) == (4, 1, 3)


@pytest.mark.django_db
def test_a_lockout_parameters_callable_that_fails_for_a_row_skips_that_row(redis_db, settings):
    """A callable that raises for one odd row must not abort the migration of the rest."""
    settings.AXES_LOCKOUT_PARAMETERS = "tests.test_import_db.parameters_or_error"
    add_rows([{"username": "good"}, {"username": "bad", "user_agent": "bad"}])

    report = import_attempts(redis_db, PREFIX)

    assert list(dump(redis_db)) == [client_key(username="good")]
    assert report.skipped == {import_report.UNUSABLE: 1}
    assert "ValueError: no parameters for bad" in report.problems[0]


def parameters_or_error(request: Any, credentials: Any) -> list[str]:
    """An ``AXES_LOCKOUT_PARAMETERS`` callable that refuses one user agent."""
    if request.axes_user_agent == "bad":
        raise ValueError(f"no parameters for {credentials.get('username')}")
    return ["username"]


# --- idempotent, never lowering ---------------------------------------------------------


def test_a_second_run_changes_nothing(redis_db, database, settings):
    """Rerunning the import (after a timeout, by a second operator) must not double counts."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
    add_rows(
        [{"username": f"user{i}", "failures": i % 5 + 1} for i in range(20)]
        + [{"username": "user0", "ip_address": OTHER_IP, "failures": 2}],
        using=database,
    )
    first = import_attempts(redis_db, PREFIX, using=database)
    before = dump(redis_db)

    second = import_attempts(redis_db, PREFIX, using=database)

    after = dump(redis_db)
    assert {key: fields for key, (fields, _) in after.items()} == {
        key: fields for key, (fields, _) in before.items()
    }
    assert all(abs(after[key][1] - ttl) <= 1 for key, (_, ttl) in before.items())
    assert (first.created, first.raised, first.unchanged) == (41, 0, 0)
    assert (second.created, second.raised, second.unchanged) == (0, 0, 41)
    assert before[client_key(username="user0")][0]["fails"] == "3"


@pytest.mark.django_db
def test_counts_the_live_handler_made_are_never_lowered(redis_db, settings):
    """After the switch the handler counts new failures; an import must keep the larger
    count and the longer cool-off, and raise a smaller one to the database's."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    for _ in range(3):
        Client().post("/login/", {"username": "live", "password": "x"}, REMOTE_ADDR=IP)
    Client().post("/login/", {"username": "behind", "password": "x"}, REMOTE_ADDR=IP)
    live = client_key(username="live")
    behind = client_key(username="behind")
    redis_db.pexpire(behind, 60_000)
    add_rows(
        [
            {"username": "live", "failures": 2, "ago": timedelta(minutes=30)},
            {"username": "behind", "failures": 4, "ago": timedelta(minutes=1)},
        ]
    )

    report = import_attempts(redis_db, PREFIX)

    found = dump(redis_db)
    assert found[live][0]["fails"] == "3"
    assert found[live][1] > 59 * 60
    assert int(found[live][0]["first"]) < int(time.time() * 1000) - 29 * 60_000  # moved back
    assert "last" not in found[live][0]  # the live failures are newer: their TTL tells
    assert found[behind][0]["fails"] == "4"
    assert found[behind][1] >= 58 * 60
    assert (report.created, report.raised, report.unchanged) == (0, 2, 0)


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_reports_the_same(redis_db, settings):
    """An operator previewing the migration must see the real figures, and Redis untouched."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    add_rows([{"username": f"u{i}", "failures": 3} for i in range(7)] + [{"ago": 2 * HOUR}])

    preview = import_attempts(redis_db, PREFIX, dry_run=True, batch_size=3)
    assert stored(redis_db) == 0
    real = import_attempts(redis_db, PREFIX, batch_size=3)

    fields = ("rows", "imported_rows", "skipped", "keys", "by_parameters", "locked", "batches")
    assert [getattr(preview, f) for f in fields] == [getattr(real, f) for f in fields]
    assert (preview.rows, preview.keys, preview.batches, preview.skipped_rows) == (8, 7, 3, 1)


# --- batched ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.single_node  # counts the round trips through the cache's pool
def test_keys_are_written_in_pipelined_batches(redis_db, settings):
    """No long Redis command: N keys cost one script call each, batch_size to a round trip."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    add_rows([{"username": f"user{i}"} for i in range(1050)])
    TALLY.reset()

    report = import_attempts(redis_db, PREFIX, batch_size=100)

    assert (report.keys, report.batches, report.created) == (1050, 11, 1050)
    assert TALLY.commands.count("EVALSHA") == 1050
    assert TALLY.commands.count("SCRIPT") == 1  # loaded once, up front
    assert TALLY.round_trips == 11 + 1


@pytest.mark.django_db
@pytest.mark.real_redis_only
def test_a_cold_script_cache_does_not_break_the_import(private_redis, settings):
    """After SCRIPT FLUSH (a restart, a failover) the import must still write every key."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    add_rows([{"username": f"user{i}"} for i in range(5)])
    private_redis.script_flush()

    report = import_attempts(private_redis, PREFIX, batch_size=2)

    assert report.created == 5
    assert len(list(private_redis.scan_iter(match=f"{PREFIX}:client:*"))) == 5


@pytest.mark.django_db
@pytest.mark.slow  # some 20 s: inserting the rows takes half of it
@pytest.mark.skipif(ON_CLUSTER, reason="the scale run is for a single node")
@pytest.mark.parametrize("redis_db", ["django-redis"], indirect=True)  # one backend is enough
def test_one_hundred_thousand_rows_in_batches(redis_db, settings):
    """The stated scale: 100,000 rows, read in chunks, written in 200 pipelined batches
    (the main suite shows the batching with 1,050 rows, above)."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    add_rows([{"username": f"user{i}", "failures": 1 + i % 4} for i in range(100_000)])

    report = import_attempts(redis_db, PREFIX)

    assert (report.rows, report.keys, report.batches) == (100_000, 100_000, 200)
    assert (report.created, report.locked) == (100_000, 50_000)
    assert stored(redis_db) == 100_000


# --- the command ------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_reports_what_it_imported_and_skipped(redis_db, settings):
    """The operator's record of the switch: counts by parameter set and by reason."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
    add_rows(
        [
            {"username": "alice", "failures": 3},
            {"username": "bob", "failures": 1},
            {"username": "old", "ago": 2 * HOUR},
        ]
    )

    preview, _ = run("--dry-run")
    out, _ = run()
    again, _ = run("--json")

    assert stored(redis_db) == 4
    assert out.splitlines() == [
        "Read 3 AccessAttempt row(s) from the database 'default'.",
        "Imported: 2 row(s) -> 4 Redis key(s) (2 locked out, 0 without a cool-off).",
        "  ip_address+username  2",
        "  username             2",
        "Skipped:  1 row(s).",
        "  expired: 1 (cool-off over)",
        "Redis: 4 key(s) created, 0 updated, 0 unchanged (already as many failures and as "
        "long a cool-off), in 1 batch(es) of at most 500 script calls.",
    ]
    assert "Dry run: nothing written; 4 key(s) would be merged in 1 batch(es)" in preview
    data = json.loads(again)
    assert (data["created"], data["unchanged"], data["skipped"]["expired"]) == (0, 4, 1)


@pytest.mark.django_db
def test_command_refuses_an_unknown_database_in_one_line(redis_db):
    """A typo in --database must say so, not print a traceback."""
    with pytest.raises(CommandError, match="nowhere"):
        run("--database", "nowhere")


@pytest.mark.django_db
def test_command_escapes_hostile_text_in_its_report(redis_db, settings):
    """A row's error text may carry attacker-chosen bytes: no terminal escapes get out."""
    settings.AXES_LOCKOUT_PARAMETERS = "tests.test_import_db.parameters_or_error"
    add_rows([{"username": "\x1b[2Jx", "user_agent": "bad"}])
    out, _ = run()
    assert "\x1b" not in out
    assert "ValueError: no parameters for \\x1b[2Jx" in out

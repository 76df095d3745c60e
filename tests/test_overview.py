"""The attack overview: its read model, its page in the admin, its lines in ``axes_redis stats``.

The trail is written with explicit stream IDs (XADD ``<ms>-<seq>``), so every entry
sits at a known time and the counts per bucket are exact. An overview that misplaces a
burst, hides the part it did not read, or lets a username run as script in the admin
misleads the operator exactly during the incident it is for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client

from axes_redis import chart, keys, overview
from tests.support.caches import ON_CLUSTER
from testsupport.counting import TALLY

PREFIX = "axes"
TRAIL = keys.trail_key(PREFIX)
NOW = datetime(2024, 5, 1, 12, 0, 30, tzinfo=timezone.utc)
"""30 s into the minute 12:00: the hour's last bucket is 12:00, its first 11:01."""
PAGE = "/admin/axes_redis/attackoverview/"
HOSTILE = "<svg onload=alert(1)>"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def add(
    client: Any,
    entries: Iterable[tuple[timedelta, str, dict[str, str]]],
    *,
    now: datetime = NOW,
) -> None:
    """XADD each (time before ``now``, event, fields) with an explicit ID, oldest first."""
    ordered = sorted(entries, key=lambda entry: -entry[0])
    pipe = client.pipeline(transaction=False)
    last = (-1, -1)
    for ago, event, fields in ordered:
        at = ms(now - ago)
        sequence = last[1] + 1 if at == last[0] else 0
        last = (at, sequence)
        pipe.xadd(TRAIL, {"event": event, **fields}, id=f"{at}-{sequence}")
    pipe.execute()


def failure(username: str, ip: str = "10.0.0.1", locked: bool = False) -> dict[str, str]:
    return {"username": username, "ip_address": ip, "locked_out": "1" if locked else "0"}


def login(username: str, ip: str = "10.0.0.1") -> dict[str, str]:
    return {"username": username, "ip_address": ip}


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


# --- the read model ---------------------------------------------------------------------


def test_events_land_in_the_minute_and_quarter_hour_they_happened(redis_db):
    """A burst shown a minute off, or in the wrong hour, sends the operator the wrong way."""
    add(
        redis_db,
        [
            (timedelta(0), "failure", failure("alice")),  # 12:00:30, the last minute
            (timedelta(seconds=30), "failure", failure("alice", locked=True)),  # 12:00:00
            (timedelta(seconds=31), "login", login("bob")),  # 11:59:59
            (minutes(59.5), "failure", failure("carol")),  # 11:01:00, the first minute
            (minutes(60), "failure", failure("carol")),  # 11:00:30: the day only
            (timedelta(hours=23, minutes=45), "failure", failure("dave")),  # 12:15:30 yesterday
            (timedelta(hours=24), "failure", failure("eve")),  # 12:00:30 yesterday: outside
            (minutes(3), "logout", login("bob")),  # not counted
        ],
    )

    found = overview.read(redis_db, PREFIX, now=NOW)

    hour, day = found.hour, found.day
    assert len(hour.buckets) == 60
    assert len(day.buckets) == 96
    assert hour.start == datetime(2024, 5, 1, 11, 1, tzinfo=timezone.utc)
    assert day.start == datetime(2024, 4, 30, 12, 15, tzinfo=timezone.utc)
    assert [(b.failures, b.lockouts, b.logins) for b in hour.buckets[-2:]] == [(0, 0, 1), (2, 1, 0)]
    assert hour.buckets[0].failures == 1
    assert (hour.failures, hour.lockouts, hour.logins) == (3, 1, 1)
    assert (day.failures, day.lockouts, day.logins) == (5, 1, 1)
    assert day.buckets[0].failures == 1  # dave, 12:15:30 yesterday
    assert day.buckets[-1].failures == 2  # 12:00 to 12:15 today
    assert (found.entries_read, found.reads, found.complete) == (7, 1, True)
    assert found.trail_length == 8
    assert all(bucket.read for bucket in day.buckets)


def test_entries_after_now_are_not_counted(redis_db):
    """The window ends now: an entry stamped later (another clock) is not in it."""
    add(redis_db, [(timedelta(0), "failure", failure("a"))], now=NOW)
    add(redis_db, [(timedelta(0), "failure", failure("b"))], now=NOW + minutes(5))
    assert overview.read(redis_db, PREFIX, now=NOW).hour.failures == 1


def test_top_lists_rank_by_failures_and_count_who_is_behind(redis_db):
    """A spray shows as one IP over many usernames, or many IPs on one username."""
    spray = [(timedelta(seconds=i), "failure", failure(f"user{i}", "10.6.6.6")) for i in range(15)]
    stuffing = [
        (timedelta(seconds=100 + i), "failure", failure("admin", f"192.0.2.{i}", locked=i == 0))
        for i in range(12)
    ]
    nameless = [(minutes(2), "failure", {"ip_address": "10.0.0.9", "locked_out": "0"})]
    add(redis_db, [*spray, *stuffing, *nameless])

    window = overview.read(redis_db, PREFIX, now=NOW).hour

    assert window.usernames[0] == overview.Target("admin", 12, 1, 12)
    assert len(window.usernames) == overview.TOP
    assert window.ips[0] == overview.Target("10.6.6.6", 15, 0, 15)
    assert len(window.ips) == overview.TOP
    assert overview.Target(None, 1, 0, 1) in window.usernames  # no username given


def test_the_read_is_bounded_and_says_what_it_did_not_reach(redis_db):
    """At the bound the newest entries are read and the older part is marked unread,
    never shown as a quiet period."""
    add(
        redis_db,
        [(timedelta(seconds=i), "failure", failure("alice")) for i in range(2500)]
        + [(timedelta(hours=5), "failure", failure("old"))],
    )

    found = overview.read(redis_db, PREFIX, now=NOW, max_entries=2000)

    assert (found.entries_read, found.reads, found.complete) == (2000, 3, False)
    assert found.oldest_read == NOW - timedelta(seconds=1999)
    assert found.hour.failures == 2000
    assert not found.hour.complete
    assert not found.day.complete
    read_from = NOW - timedelta(seconds=1999)
    for bucket in found.hour.buckets:
        assert bucket.read == (bucket.start > read_from), bucket.start
    assert found.day.buckets[-1].read
    assert not found.day.buckets[-4].read


@pytest.mark.single_node  # counts the commands sent through the cache's pool
def test_a_full_trail_costs_bounded_xrevrange_calls(redis_db):
    """100 calls of 1,000 entries at most, whatever the trail holds: the page stays cheap."""
    add(redis_db, [(timedelta(milliseconds=i * 10), "login", login("a")) for i in range(3500)])
    TALLY.reset()

    found = overview.read(redis_db, PREFIX, now=NOW, locked_limit=None)

    assert TALLY.commands.count("XREVRANGE") == found.reads == 4
    assert found.entries_read == 3500
    assert found.complete


def test_the_default_clock_is_the_servers(redis_db):
    """Without ``now`` the window ends at Redis' TIME, the clock that wrote the IDs."""
    redis_db.xadd(TRAIL, {"event": "failure", "username": "alice", "locked_out": "0"})
    found = overview.read(redis_db, PREFIX)
    assert found.hour.failures == 1
    assert abs(found.now - datetime.now(timezone.utc)) < timedelta(seconds=5)


def seed_clients(client: Any, count: int, locked_every: int) -> None:
    """Tracked-client hashes as record_failure.lua leaves them (failures, limit)."""
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        key = keys.client_key(PREFIX, {"ip_address": f"10.1.{i // 250}.{i % 250}"})
        pipe.hset(key, mapping={"fails": 3 if i % locked_every == 0 else 1, "limit": 3})
    pipe.execute()


def test_locked_count_reads_every_client_when_there_are_few(redis_db):
    """The count the page shows is exact below the bound."""
    seed_clients(redis_db, 40, locked_every=4)
    assert overview.count_locked(redis_db, PREFIX) == overview.Locked(10, 40, complete=True)


def test_locked_count_stops_at_its_bound_and_says_so(redis_db):
    """Past the bound the count is a lower bound, and marked as one."""
    seed_clients(redis_db, 1500, locked_every=3)
    found = overview.count_locked(redis_db, PREFIX, limit=600)
    assert not found.complete
    assert 600 <= found.examined < 1500
    assert 0 < found.locked <= 500


# --- the chart --------------------------------------------------------------------------


def test_nice_ceiling():
    assert [chart.nice_ceiling(v) for v in (0, 1, 2, 3, 7, 11, 51, 100, 101)] == [
        1,
        1,
        2,
        5,
        10,
        20,
        100,
        100,
        200,
    ]


def test_bars_are_proportional_and_the_unread_part_is_shaded(redis_db):
    add(
        redis_db,
        [(timedelta(seconds=i), "failure", failure("a", locked=i < 5)) for i in range(10)]
        + [(minutes(1), "failure", failure("a"))],
    )
    found = overview.read(redis_db, PREFIX, now=NOW, max_entries=11)
    drawn = chart.layout(found.hour)
    last = drawn.columns[-1]
    assert last.bucket.failures == 10
    assert last.bucket.lockouts == 5
    assert last.failure_height == pytest.approx(drawn.plot_height, abs=0.1)  # 10 of 10
    assert last.lockout_height == pytest.approx(drawn.plot_height / 2, abs=0.1)
    assert [tick.label for tick in drawn.y_ticks] == ["0", "5", "10"]
    assert drawn.unread_width is None
    partial = chart.layout(overview.read(redis_db, PREFIX, now=NOW, max_entries=5).hour)
    assert partial.unread_width is not None
    # The newest 5 are in the last minute, which is therefore only partly read too.
    assert partial.unread_width == pytest.approx(60 * partial.columns[0].slot_width, abs=0.5)


# --- the admin page ---------------------------------------------------------------------


def staff(name: str, perms: tuple[str, ...] = (), superuser: bool = False) -> Client:
    account = User.objects.create_user(name, password="pw", is_staff=True)
    account.is_superuser = superuser
    account.save()
    for codename in perms:
        account.user_permissions.add(Permission.objects.get(codename=codename))
    browser = Client()
    browser.force_login(account)
    return browser


@pytest.fixture
def trail_now(redis_db: Any) -> Any:
    """Entries stamped by the server, a moment ago: the page reads at Redis' TIME."""
    now = overview.server_now(redis_db)
    add(
        redis_db,
        [
            (timedelta(seconds=1), "failure", failure(HOSTILE, "10.6.6.6", locked=True)),
            (timedelta(seconds=2), "failure", failure("alice", "10.6.6.6")),
            (timedelta(seconds=3), "failure", failure("alice", "10.7.7.7")),
            (timedelta(seconds=4), "login", login("bob")),
        ],
        now=now,
    )
    return redis_db


@pytest.mark.django_db
def test_page_shows_charts_top_lists_and_what_it_read(trail_now, settings):
    """The page answers the three questions and names the commands it ran."""
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    seed_clients(trail_now, 4, locked_every=2)
    response = staff("root", superuser=True).get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert html.count('<svg class="overview-chart"') == 2
    assert html.count('class="failures"') >= 2
    assert 'class="lockouts"' in html
    assert '<polyline class="logins"' in html
    assert re.search(r'<span class="total-failures">3</span> failures', html)
    assert re.search(r'<span class="total-lockouts">1</span> lockouts', html)
    assert re.search(r'<span class="total-logins">1</span> logins', html)
    assert '<tr class="top-username"><td>alice</td><td>2</td><td>0</td><td>2</td></tr>' in html
    assert '<tr class="top-ip"><td>10.6.6.6</td><td>2</td><td>1</td><td>2</td></tr>' in html
    assert '<strong id="locked-count">2</strong>' in html
    assert "XREVRANGE axes:trail" in html
    assert "COUNT 1000" in html
    assert "4 entries of the 4 the trail holds" in html
    assert "<script" not in html.split('id="content-main"')[1]  # no JavaScript of ours


@pytest.mark.django_db
def test_page_escapes_a_hostile_username(trail_now):
    """A username is attacker-chosen: in the admin's origin it must be text, never markup."""
    html = staff("root", superuser=True).get(PAGE).content.decode()
    assert "&lt;svg onload=alert(1)&gt;" in html
    assert HOSTILE not in html


@pytest.mark.django_db
def test_page_permissions_are_the_tracked_clients_pages(redis_db):
    """Staff need view (or reset) permission; others are sent to the admin login."""
    assert staff("viewer", ("view_lockouts",)).get(PAGE).status_code == 200
    assert staff("resetter", ("reset_lockouts",)).get(PAGE).status_code == 200
    assert staff("plain").get(PAGE).status_code == 403
    user = User.objects.create_user("nobody", password="pw")
    browser = Client()
    browser.force_login(user)
    assert browser.get(PAGE).status_code == 302
    assert Client().get(PAGE).status_code == 302
    assert staff("poster", superuser=True).post(PAGE).status_code == 405


@pytest.mark.django_db
def test_page_is_listed_and_works_on_a_custom_site(redis_db):
    """Reachable from the index and sidebar, and on a project's own AdminSite."""
    root = staff("root", superuser=True)
    assert f'href="{PAGE}"' in root.get("/admin/").content.decode()
    assert root.get("/ops/axes_redis/attackoverview/").status_code == 200


@pytest.mark.django_db
def test_page_says_why_there_are_no_failures(redis_db, settings):
    """An empty chart must not read as "no attack" when failures are simply not recorded."""
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = False
    root = staff("root", superuser=True)
    html = root.get(PAGE).content.decode()
    assert "AXES_ENABLE_ACCESS_FAILURE_LOG = True" in html
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    html = root.get(PAGE).content.decode()
    assert 'id="no-failures"' in html
    assert "AXES_ENABLE_ACCESS_FAILURE_LOG = True" not in html


@pytest.mark.django_db
@pytest.mark.skipif(ON_CLUSTER, reason="a cluster client with a dead node is another test")
def test_page_reports_redis_down_instead_of_failing(settings):
    """During an outage the page must still load and say what is wrong."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "axes": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    response = staff("root", superuser=True).get(PAGE)
    assert response.status_code == 200
    assert "Redis did not answer" in response.content.decode()


# --- axes_redis stats -------------------------------------------------------------------


def test_stats_prints_the_same_numbers(trail_now, settings):
    """The command is the page's twin for terminals: same totals, same top lists."""
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    out = StringIO()
    call_command("axes_redis", "stats", stdout=out)
    text = out.getvalue()
    assert "Trail, last hour: 3 failures, 1 lockouts, 1 logins" in text
    assert "Trail, last 24 hours: 3 failures, 1 lockouts, 1 logins" in text
    assert re.search(r"^    alice\s+2 failures, 0 lockouts, 2 IPs$", text, re.M)
    assert re.search(r"^    10\.6\.6\.6\s+2 failures, 1 lockouts, 2 usernames$", text, re.M)
    assert "Trail read: 4 entries of 4 in 1 XREVRANGE call(s)" in text

    out = StringIO()
    call_command("axes_redis", "stats", "--json", stdout=out)
    data = json.loads(out.getvalue())["overview"]
    assert (data["last_hour"]["failures"], data["last_day"]["lockouts"]) == (3, 1)
    assert data["last_hour"]["top_usernames"][0]["value"] == "alice"


def test_stats_says_failures_are_not_recorded(redis_db, settings):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = False
    out = StringIO()
    call_command("axes_redis", "stats", stdout=out)
    assert "Failed logins are not recorded in the trail" in out.getvalue()

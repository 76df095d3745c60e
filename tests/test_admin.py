"""The database-free admin pages, through Django's test client against a real Redis.

Lockouts are made by real failed logins (or by the real script, for volume); the
pages are requested as a superuser, as staff with and without our permissions,
as a non-staff user and anonymously, on ``admin.site`` and on a custom site.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client

from axes_redis import keys, permissions
from tests.support.tracked import ALICE, BOB, IP, key, many_ips, seed, settle, stored

pytestmark = pytest.mark.django_db

CLIENTS = "/admin/axes_redis/trackedclient/"
RESET = CLIENTS + "reset/"
TRAIL = "/admin/axes_redis/logintrail/"
HOSTILE = "<script>alert(1)</script>*"


def user(name: str, *, staff: bool = True, superuser: bool = False, perms: tuple[str, ...] = ()):
    account = User.objects.create_user(name, password="pw", is_staff=staff)
    account.is_superuser = superuser
    account.save()
    for codename in perms:
        account.user_permissions.add(Permission.objects.get(codename=codename))
    return account


def logged_in(account: User, **kwargs: Any) -> Client:
    browser = Client(**kwargs)
    browser.force_login(account)
    return browser


@pytest.fixture
def admin_client(db: Any) -> Client:
    return logged_in(user("root", superuser=True))


def shown_keys(html: str) -> list[str]:
    return [
        value.replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
        for value in re.findall(r'data-key="([^"]*)"', html)
    ]


def test_permissions_exist_after_migrate():
    """Operators grant our permissions like any other: the rows must exist after migrate."""
    found = set(
        Permission.objects.filter(content_type__app_label="axes_redis").values_list(
            "codename", flat=True
        )
    )
    assert found == {permissions.VIEW, permissions.RESET}


def test_admin_index_lists_both_pages_under_their_own_heading(redis_db, admin_client):
    """The pages must be reachable from the admin index and the sidebar without a model."""
    html = admin_client.get("/admin/").content.decode()
    assert "Axes (Redis)" in html
    assert f'href="{CLIENTS}"' in html
    assert f'href="{TRAIL}"' in html
    page = admin_client.get(CLIENTS).content.decode()
    assert 'id="nav-sidebar"' in page
    assert f'href="{TRAIL}"' in page  # the sidebar links the other page


def test_a_lockout_made_by_failed_logins_is_listed(redis_db, admin_client, settings):
    """The row must show the client, the count, the lock and the time left."""
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
    for _ in range(3):
        Client().post(
            "/login/", {"username": "alice", "password": "x"}, HTTP_USER_AGENT="Firefox/120"
        )
    response = admin_client.get(CLIENTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert shown_keys(html) == [key({"username": "alice", "ip_address": "127.0.0.1"})]
    assert "3 / 3" in html
    assert "locked out" in html
    assert "Firefox/120" in html
    # To the second, rounded up (Django's timeuntil would say "59 minutes" for 59:59).
    assert re.search(r">(59 minutes \d+ seconds?|1 hour)</span>", html)


def test_unlocks_in_is_honest_to_the_second(redis_db, admin_client):
    """96 s left used to read "1 minute" (Django's timeuntil): a user told so and trying
    again after a minute is refused. Rounded up, to the second."""
    seed(redis_db, [ALICE], failures=3, cooloff=timedelta(seconds=96))
    html = admin_client.get(CLIENTS).content.decode()
    assert re.search(r">1 minute 3[56] seconds</span>", html), html


def test_last_failure_shows_what_failed_not_a_later_login(redis_db, admin_client, settings):
    """Keyed by IP, alice's failures and bob's later successful login share a key: the
    admin and `inspect` must show alice's failed attempt (her path and user agent), never
    bob's login on another path. Metadata is written only by record_failure.lua, with the
    failure it describes; the guard's admit and release scripts never touch it."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    # The key is described when its count reaches the limit; counting without locking
    # lets bob log in from that IP afterwards.
    settings.AXES_LOCK_OUT_AT_FAILURE = False
    User.objects.create_user("bob", password="bob-pw")
    for _ in range(3):
        Client().post(
            "/api/auth/", {"username": "alice", "password": "x"}, HTTP_USER_AGENT="attacker/1"
        )
    bob = Client().post(
        "/login/", {"username": "bob", "password": "bob-pw"}, HTTP_USER_AGENT="bob-browser/2"
    )
    assert bob.status_code == 302  # logged in, from the same IP
    ip_key = key({"ip_address": "127.0.0.1"})
    assert redis_db.hget(ip_key, "fails") == b"3"

    html = admin_client.get(CLIENTS).content.decode()
    assert shown_keys(html) == [ip_key]
    assert "attacker/1" in html
    assert "<td>/api/auth/</td>" in html
    assert "bob-browser" not in html
    assert "<td>/login/</td>" not in html

    out = io.StringIO()
    call_command("axes_redis", "inspect", "--ip", "127.0.0.1", stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    fields = dict(line.strip().split(": ", 1) for line in lines if line.startswith("    "))
    assert (fields["username"], fields["path_info"]) == ("alice", "/api/auth/")
    assert fields["user_agent"] == "attacker/1"


def test_paging_walks_every_client_exactly_once(redis_db, admin_client):
    """Next links carry the SCAN cursor: 130 clients over pages of 50, none lost or repeated."""
    created = seed(redis_db, many_ips(130))
    settle(redis_db, created)
    seen: list[str] = []
    url: str | None = CLIENTS
    pages = 0
    while url:
        html = admin_client.get(url.replace("&amp;", "&")).content.decode()
        seen.extend(shown_keys(html))
        found = re.search(r'href="([^"]*)" id="next-page"', html)
        url = found.group(1) if found else None
        pages += 1
        assert pages < 20
    assert sorted(seen) == sorted(created)
    assert pages >= 3


def link(html: str, link_id: str) -> str:
    found = re.search(rf'href="([^"]*)" id="{link_id}"', html)
    assert found is not None, f"no {link_id} link"
    return found.group(1).replace("&amp;", "&")


def test_previous_page_returns_to_the_same_rows(redis_db, admin_client):
    """SCAN cannot go back: the URL carries the earlier cursors instead."""
    created = seed(redis_db, many_ips(130))
    settle(redis_db, created)
    first = admin_client.get(CLIENTS).content.decode()
    second = admin_client.get(link(first, "next-page")).content.decode()
    back = admin_client.get(link(second, "previous-page")).content.decode()
    assert shown_keys(back) == shown_keys(first)


def test_locked_filter_shows_locked_clients_only(redis_db, admin_client):
    seed(redis_db, [ALICE], failures=3)
    seed(redis_db, [BOB], failures=1)
    html = admin_client.get(CLIENTS + "?locked=1").content.decode()
    assert shown_keys(html) == [key(ALICE)]


def test_exact_search_reads_the_keys_and_a_glob_does_not_widen_it(redis_db, admin_client):
    """Searching "*" must find the username "*" only, not everyone."""
    seed(redis_db, [ALICE, BOB, {"username": "*"}, {"ip_address": IP}])
    assert shown_keys(admin_client.get(CLIENTS + "?username=alice").content.decode()) == [
        key(ALICE)
    ]
    assert shown_keys(admin_client.get(CLIENTS + "?username=*").content.decode()) == [
        key({"username": "*"})
    ]
    assert shown_keys(admin_client.get(CLIENTS + f"?ip={IP}").content.decode()) == [
        key({"ip_address": IP})
    ]


def test_hostile_values_are_escaped(redis_db, admin_client):
    """Usernames are attacker-controlled: they must never become markup in the admin."""
    seed(redis_db, [{"username": HOSTILE}], user_agent=HOSTILE)
    html = admin_client.get(CLIENTS).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_reset_one_removes_exactly_that_client(redis_db, admin_client, caplog):
    seed(redis_db, [ALICE, BOB, {"username": "*"}], failures=3)
    caplog.set_level("INFO", logger="axes_redis")
    response = admin_client.post(RESET, {"reset_one": key({"username": "*"})})
    assert response.status_code == 302
    assert stored(redis_db) == {key(ALICE), key(BOB)}
    assert f"root reset {key({'username': '*'})} from the admin: 1 client(s) removed" in caplog.text


def test_reset_selected_asks_to_confirm_then_removes_those(redis_db, admin_client, caplog):
    seed(redis_db, [ALICE, BOB, {"username": "carol"}], failures=3)
    chosen = [key(ALICE), key(BOB)]
    caplog.set_level("INFO", logger="axes_redis")
    asked = admin_client.post(RESET, {"action": "selected", "key": chosen})
    assert asked.status_code == 200
    assert 'id="confirm-reset"' in asked.content.decode()
    assert len(stored(redis_db)) == 3  # nothing happened yet
    done = admin_client.post(RESET, {"action": "selected", "key": chosen, "confirmed": "yes"})
    assert done.status_code == 302
    assert stored(redis_db) == {key({"username": "carol"})}
    assert "2 client(s) removed" in caplog.text


def test_reset_matching_search_uses_the_reset_semantics(redis_db, admin_client):
    """alice alone, alice at an IP and alice with a user agent go; bob and the bare IP stay."""
    seed(redis_db, [ALICE, BOB, {"ip_address": IP, "username": "alice"}, {"ip_address": IP}])
    seed(redis_db, [{"username": "alice", "user_agent": "ua"}])
    asked = admin_client.post(RESET, {"action": "search", "username": "alice"})
    assert asked.status_code == 200
    assert asked.content.decode().count("<li><code>axes:client:") == 3
    done = admin_client.post(RESET, {"action": "search", "username": "alice", "confirmed": "yes"})
    assert done.status_code == 302
    assert stored(redis_db) == {key(BOB), key({"ip_address": IP})}


def test_reset_refuses_keys_outside_our_schema(redis_db, admin_client):
    """A key posted by the browser must be one of our client hashes, never anything else."""
    redis_db.set("session:abc", "x")
    redis_db.set("axes:client:junk", "x")
    for bad in ("session:abc", "axes:client:junk", "axes:trail"):
        response = admin_client.post(RESET, {"reset_one": bad})
        assert response.status_code == 400
    assert redis_db.exists("session:abc", "axes:client:junk") == 2


def test_get_on_the_reset_url_changes_nothing(redis_db, admin_client):
    seed(redis_db, [ALICE], failures=3)
    assert admin_client.get(RESET, {"reset_one": key(ALICE)}).status_code == 405
    assert stored(redis_db) == {key(ALICE)}


def test_reset_without_csrf_token_is_refused(redis_db, db):
    seed(redis_db, [ALICE], failures=3)
    browser = logged_in(user("root", superuser=True), enforce_csrf_checks=True)
    assert browser.post(RESET, {"reset_one": key(ALICE)}).status_code == 403
    assert stored(redis_db) == {key(ALICE)}


def test_staff_with_view_permission_only_sees_a_read_only_list(redis_db, db):
    seed(redis_db, [ALICE], failures=3)
    viewer = logged_in(user("viewer", perms=(permissions.VIEW,)))
    html = viewer.get(CLIENTS).content.decode()
    assert shown_keys(html) == [key(ALICE)]
    assert 'name="reset_one"' not in html
    assert "reset-selected" not in html
    assert viewer.post(RESET, {"reset_one": key(ALICE)}).status_code == 403
    assert stored(redis_db) == {key(ALICE)}


def test_staff_with_reset_permission_can_reset(redis_db, db):
    seed(redis_db, [ALICE], failures=3)
    operator = logged_in(user("operator", perms=(permissions.RESET,)))
    assert 'name="reset_one"' in operator.get(CLIENTS).content.decode()
    assert operator.post(RESET, {"reset_one": key(ALICE)}).status_code == 302
    assert stored(redis_db) == set()


def test_staff_without_our_permissions_does_not_see_the_pages(redis_db, db):
    staff = logged_in(user("staff"))
    assert staff.get(CLIENTS).status_code == 403
    assert staff.get(TRAIL).status_code == 403
    assert "Axes (Redis)" not in staff.get("/admin/").content.decode()


@pytest.mark.parametrize("who", ["anonymous", "non-staff"])
def test_non_staff_and_anonymous_go_to_the_admin_login(redis_db, db, who):
    seed(redis_db, [ALICE], failures=3)
    browser = Client() if who == "anonymous" else logged_in(user("u", staff=False))
    for response in (browser.get(CLIENTS), browser.post(RESET, {"reset_one": key(ALICE)})):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert stored(redis_db) == {key(ALICE)}


def test_bad_cursors_are_a_clear_400(redis_db, admin_client):
    for url in (CLIENTS + "?cursor=abc", CLIENTS + "?cursor=1&prev=x", TRAIL + "?cursor=nope"):
        response = admin_client.get(url)
        assert response.status_code == 400
        assert b"cursor" in response.content or b"stream ID" in response.content


def test_a_custom_admin_site_gets_both_pages(redis_db, admin_client):
    seed(redis_db, [ALICE], failures=3)
    index = admin_client.get("/ops/").content.decode()
    assert 'href="/ops/axes_redis/trackedclient/"' in index
    html = admin_client.get("/ops/axes_redis/trackedclient/").content.decode()
    assert shown_keys(html) == [key(ALICE)]
    assert 'href="/ops/"' in html  # breadcrumbs stay on the custom site
    response = admin_client.post("/ops/axes_redis/trackedclient/reset/", {"reset_one": key(ALICE)})
    assert response["Location"] == "/ops/axes_redis/trackedclient/"
    assert stored(redis_db) == set()


def test_login_trail_page_shows_entries_newest_first_and_filters(redis_db, admin_client, settings):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    for name in ("alice", "bob", HOSTILE):
        Client().post("/login/", {"username": name, "password": "x"})
    html = admin_client.get(TRAIL).content.decode()
    assert html.count('class="trail-entry"') == 3
    assert html.index("&lt;script&gt;") < html.index(">bob<") < html.index(">alice<")
    assert "<script>alert(1)</script>" not in html
    only_bob = admin_client.get(TRAIL + "?username=bob").content.decode()
    assert only_bob.count('class="trail-entry"') == 1
    assert admin_client.get(TRAIL + "?event=bogus").status_code == 400


def test_login_trail_pages(redis_db, admin_client):
    stream = keys.trail_key("axes")
    for index in range(120):
        redis_db.xadd(stream, {"event": "login", "username": f"user{index:03d}"})
    seen: list[str] = []
    url: str | None = TRAIL
    while url:
        html = admin_client.get(url.replace("&amp;", "&")).content.decode()
        seen.extend(re.findall(r"<td>(user\d+)</td>", html))
        found = re.search(r'href="([^"]*)" id="next-page"', html)
        url = found.group(1) if found else None
    assert seen == [f"user{index:03d}" for index in reversed(range(120))]


def test_the_admin_system_checks_accept_the_placeholders():
    """The admin's own checks run on every ModelAdmin: ours must pass them without a model."""
    from django.core import checks

    found = checks.run_checks(tags=[checks.Tags.admin])
    assert [message for message in found if message.level >= checks.WARNING] == []

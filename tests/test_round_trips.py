"""One round trip: what our process really sends to Redis per login, counted on the wire.

``TALLY`` (testsupport/counting.py) sees every command and every packet the cache's
connections send. Each measurement starts on a warm connection with the scripts
loaded, so handshakes and the one-off ``SCRIPT LOAD`` are not counted; the cold
path is covered in test_scripts.py.

Every test runs both flows, pinned so the numbers do not depend on the default:
"classic" (``AXES_REDIS_PARALLEL_GUARD=False``: django-axes' check, then the
record) and "guard" (the check takes a slot for the guess; the failure that
settles it is the record, a success frees it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.models import User
from django.test import RequestFactory

from axes_redis import keys, scripts
from axes_redis.handler import AxesRedisHandler
from tests.support.logins import attempt
from testsupport.counting import TALLY

pytestmark = [pytest.mark.django_db, pytest.mark.single_node]

COMBINED = ["username", "ip_address", ["username", "ip_address"]]
IP_KEY = keys.client_key("axes", {"ip_address": "127.0.0.1"})


@pytest.fixture(autouse=True, params=["classic", "guard"])
def flow(request: pytest.FixtureRequest, settings: Any) -> str:
    settings.AXES_REDIS_PARALLEL_GUARD = request.param == "guard"
    settings.AXES_FAILURE_LIMIT = 3
    return str(request.param)


def measure(action: Callable[[], Any]) -> tuple[int, list[str], Any]:
    """Run ``action`` on a reset tally: (round trips, command names, its result)."""
    TALLY.reset()
    result = action()
    return TALLY.round_trips, list(TALLY.commands), result


def login_request(username: str = "alice") -> Any:
    request = RequestFactory().post("/login/", {"username": username, "password": "wrong"})
    AxesProxyHandler.update_request(request)
    return request


def failures(client: Any, key: str) -> int:
    return int(client.hget(key, "fails") or 0)


@pytest.mark.parametrize("parameters", [["ip_address"], COMBINED], ids=["ip", "combined"])
def test_failed_login_is_one_call_for_the_check_and_at_most_one_for_the_record(
    redis_db, client, settings, flow, parameters
):
    """A failed login must not cost more than two round trips, however many lockout keys."""
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    User.objects.create_user("alice", password="right")
    assert attempt(client).status_code == 200  # warms the connection and loads the scripts

    round_trips, commands, response = measure(lambda: attempt(client))

    assert response.status_code == 200
    # The check (get_failures, or admit with the guard) and the record.
    expected = ["EVALSHA", "EVALSHA"]
    assert commands == expected
    assert round_trips == len(expected)
    written = sorted(k.decode() for k in redis_db.keys("axes:*"))
    assert len(written) == len(parameters)
    assert all(failures(redis_db, key) == 2 for key in written)


@pytest.mark.parametrize("parameters", [["ip_address"], COMBINED], ids=["ip", "combined"])
def test_handler_get_failures_is_one_command(redis_db, settings, parameters):
    """The lockout check must read every lockout key of a client in one script call."""
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    handler = AxesRedisHandler()
    request = login_request()
    credentials = {"username": "alice"}
    handler.user_login_failed(sender=None, credentials=credentials, request=login_request())
    handler.get_failures(request, credentials)  # loads the script

    round_trips, commands, count = measure(lambda: handler.get_failures(request, credentials))

    assert (round_trips, commands) == (1, ["EVALSHA"])
    assert count == 1


@pytest.mark.parametrize("parameters", [["ip_address"], COMBINED], ids=["ip", "combined"])
def test_handler_user_login_failed_is_one_command(redis_db, settings, parameters):
    """Recording a failure must be one atomic call, never a read-modify-write sequence."""
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    handler = AxesRedisHandler()
    credentials = {"username": "alice"}
    handler.user_login_failed(sender=None, credentials=credentials, request=login_request())

    request = login_request()
    round_trips, commands, _ = measure(
        lambda: handler.user_login_failed(sender=None, credentials=credentials, request=request)
    )

    assert (round_trips, commands) == (1, ["EVALSHA"])
    assert request.axes_failures_since_start == 2
    assert handler.get_failures(login_request(), credentials) == 2


@pytest.mark.parametrize("password", ["wrong", "right"])
def test_locked_out_client_is_refused_by_the_check_alone(redis_db, client, settings, password):
    """A locked-out attacker must be refused for one read, and write nothing."""
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
    User.objects.create_user("alice", password="right")
    for _ in range(3):
        attempt(client)
    ttl_before = redis_db.pttl(IP_KEY)

    round_trips, commands, response = measure(lambda: attempt(client, password=password))

    assert response.status_code == 429
    assert (round_trips, commands) == (1, ["EVALSHA"])
    assert failures(redis_db, IP_KEY) == 3
    assert 0 < redis_db.pttl(IP_KEY) <= ttl_before


def test_locked_out_failure_slides_the_cool_off_when_asked_with_one_more_call(
    redis_db, client, settings
):
    """With AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT the lockout must still cost one write."""
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
    for _ in range(3):
        attempt(client)

    round_trips, commands, response = measure(lambda: attempt(client))

    assert response.status_code == 429
    assert (round_trips, commands) == (2, ["EVALSHA", "EVALSHA"])
    assert failures(redis_db, IP_KEY) == 4


@pytest.mark.parametrize("parameters", [["ip_address"], COMBINED], ids=["ip", "combined"])
def test_successful_login_with_reset_on_success_is_check_plus_one_call(
    redis_db, client, settings, parameters
):
    """A successful login must forget every lockout key of the client in a single call.

    That call is release.lua in "forget" mode, so that the login trail's entry (when
    the trail is on) is written in the same round trip.
    """
    settings.AXES_RESET_ON_SUCCESS = True
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    User.objects.create_user("alice", password="right")
    attempt(client)
    assert len(redis_db.keys("axes:*")) == len(parameters)
    # Run alone, no earlier test has loaded release.lua into this server's script cache.
    redis_db.script_load(scripts.source("release"))

    round_trips, commands, response = measure(lambda: attempt(client, password="right"))

    assert response.status_code == 302
    assert (round_trips, commands) == (2, ["EVALSHA", "EVALSHA"])
    assert redis_db.keys("axes:*") == []


def test_successful_login_without_reset_is_the_check_and_at_most_a_release(
    redis_db, client, settings, flow
):
    """Without AXES_RESET_ON_SUCCESS a success must pay for the check (and its give-back) only."""
    settings.AXES_RESET_ON_SUCCESS = False
    User.objects.create_user("alice", password="right")
    attempt(client, password="right")  # loads every script a success uses
    attempt(client)

    round_trips, commands, response = measure(lambda: attempt(client, password="right"))

    assert response.status_code == 302
    # classic: the check; guard: the check took a slot, the release frees it.
    expected = {"classic": ["EVALSHA"], "guard": ["EVALSHA", "EVALSHA"]}[flow]
    assert (round_trips, commands) == (len(expected), expected)
    assert failures(redis_db, IP_KEY) == 1


def evalsha_calls(client: Any) -> int:
    return int(client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


@pytest.mark.real_redis_only
def test_server_counts_at_least_the_evalsha_calls_the_tally_reports(redis_db, client, flow):
    """The client-side tally must not under-count what the server executes."""
    attempt(client)
    before = evalsha_calls(redis_db)

    _, commands, _ = measure(lambda: attempt(client))

    assert commands.count("EVALSHA") == 2
    # The server may be shared with other test runs, hence >=; the exact check is below.
    assert evalsha_calls(redis_db) - before >= commands.count("EVALSHA")


def commands_called_by_scripts() -> set[str]:
    called: set[str] = set()
    for name in (scripts.ADMIT, scripts.GET_FAILURES, scripts.RECORD_FAILURE, scripts.RELEASE):
        text = scripts.source(name).decode()
        called.update(m.lower() for m in re.findall(r"redis\.call\('(\w+)'", text))
    return called


def command_calls(client: Any) -> dict[str, int]:
    stats = client.info("commandstats")
    return {name: int(entry["calls"]) for name, entry in stats.items()}


@pytest.mark.real_redis_only
def test_server_executes_exactly_what_the_tally_reports(private_redis, client, flow):
    """The round-trip claim must hold on the server's own counters, not only in our tally."""
    User.objects.create_user("alice", password="right")
    attempt(client)
    before = command_calls(private_redis)

    round_trips, commands, _ = measure(lambda: attempt(client))

    after = command_calls(private_redis)
    delta = {
        name: after[name] - before.get(name, 0)
        for name in after
        if after[name] != before.get(name, 0) and name != "cmdstat_info"
    }
    expected = ["EVALSHA", "EVALSHA"]
    assert (round_trips, commands) == (len(expected), expected)
    assert delta.pop("cmdstat_evalsha") == len(expected)
    # Everything else the server ran was executed by our scripts, inside those two calls.
    assert delta
    assert set(delta) <= {f"cmdstat_{name}" for name in commands_called_by_scripts()}

"""AXES_LOCKOUT_PARAMETERS: which keys a failure counts on, and so who is locked out.

Every documented form (single parameters, combinations, callables, dotted paths), django-axes'
own sequences of failures across users and IPs, and the missing or empty username (through
``/api/auth/``, since the login form refuses those before ``authenticate()``). Each test runs
on our handler and on ``AxesCacheHandler`` (``handler``, tests/support/contract.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support.contract import (
    EMPTY_VALUES_JOINED,
    IP1,
    IP2,
    IP3,
    READABLE_RECORD,
    UA2,
)
from tests.support.logins import (
    ALLOWED,
    BLOCKED,
    LOCAL,
    NOT_BLOCKED,
    RIGHT,
    UA,
    WRONG,
    api_attempt,
    attempt,
    fail,
    logged_in,
)

pytestmark = pytest.mark.django_db


Probe = tuple[str, str, str, bool]
"""(username, ip, user agent, locked?), tried with the right password."""

# (AXES_LOCKOUT_PARAMETERS, the clients counted after alice fails 3 times from IP1 with UA,
#  probes)
PARAMETER_SCENARIOS: dict[str, tuple[Any, list[dict[str, str]], list[Probe]]] = {
    "ip": (
        ["ip_address"],
        [{"ip_address": IP1}],
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, True),
            ("alice", IP2, UA, False),
            ("bob", IP2, UA, False),
        ],
    ),
    "username": (
        ["username"],
        [{"username": "alice"}],
        [
            ("alice", IP1, UA, True),
            ("alice", IP2, UA, True),
            ("bob", IP1, UA, False),
            ("bob", IP2, UA, False),
        ],
    ),
    "username-or-ip": (
        ["username", "ip_address"],
        [{"username": "alice"}, {"ip_address": IP1}],
        [
            ("alice", IP1, UA, True),
            ("alice", IP2, UA, True),
            ("bob", IP1, UA, True),
            ("bob", IP2, UA, False),
        ],
    ),
    "username-and-ip": (
        [["username", "ip_address"]],
        [{"username": "alice", "ip_address": IP1}],
        [
            ("alice", IP1, UA, True),
            ("alice", IP2, UA, False),
            ("bob", IP1, UA, False),
            ("bob", IP2, UA, False),
        ],
    ),
    "ip-and-user-agent": (
        [["ip_address", "user_agent"]],
        [{"ip_address": IP1, "user_agent": UA}],
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, True),
            ("alice", IP1, UA2, False),
            ("alice", IP2, UA, False),
        ],
    ),
    "user-agent": (
        ["user_agent"],
        [{"user_agent": UA}],
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, True),
            ("alice", IP2, UA, True),
            ("alice", IP1, UA2, False),
        ],
    ),
    "all-separately": (
        ["ip_address", "username", "user_agent"],
        [{"ip_address": IP1}, {"username": "alice"}, {"user_agent": UA}],
        [
            ("alice", IP1, UA, True),
            ("alice", IP2, UA2, True),
            ("bob", IP1, UA2, True),
            ("bob", IP2, UA, True),
            ("bob", IP2, UA2, False),
        ],
    ),
    "all-combined": (
        [["ip_address", "username", "user_agent"]],
        [{"ip_address": IP1, "username": "alice", "user_agent": UA}],
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, False),
            ("alice", IP2, UA, False),
            ("alice", IP1, UA2, False),
        ],
    ),
    "ip-or-username-and-user-agent": (
        ["ip_address", ["username", "user_agent"]],
        [{"ip_address": IP1}, {"username": "alice", "user_agent": UA}],
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA2, True),
            ("alice", IP2, UA, True),
            ("bob", IP2, UA, False),
            ("alice", IP2, UA2, False),
        ],
    ),
    "ip-and-ua-or-username-and-ua": (
        [["ip_address", "user_agent"], ["username", "user_agent"]],
        [{"ip_address": IP1, "user_agent": UA}, {"username": "alice", "user_agent": UA}],
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, True),
            ("alice", IP2, UA, True),
            ("bob", IP2, UA, False),
            ("alice", IP1, UA2, False),
        ],
    ),
    "callable": (
        lambda request, credentials: ["username"],
        [{"username": "alice"}],
        [("alice", IP2, UA2, True), ("bob", IP1, UA, False)],
    ),
    "dotted-path": (
        "tests.callables.username_only",
        [{"username": "alice"}],
        [("alice", IP2, UA2, True), ("bob", IP1, UA, False)],
    ),
}


@pytest.mark.parametrize("scenario", list(PARAMETER_SCENARIOS))
def test_lockout_parameters_choose_keys_and_who_is_locked(
    handler, users, client, settings, scenario
):
    """Each AXES_LOCKOUT_PARAMETERS form must lock exactly the clients it names, no one else."""
    parameters, counted, probes = PARAMETER_SCENARIOS[scenario]
    expected_keys = {handler.key(**client_parameters) for client_parameters in counted}
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    assert fail(client, 3, ip=IP1, ua=UA) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert handler.stored() == expected_keys
    assert all(handler.failures(name) == 3 for name in expected_keys)

    # Allowed probes first: a refused probe counts a failure on its own keys.
    for username, ip, ua, locked in sorted(probes, key=lambda probe: probe[3]):
        probe = Client()
        status = attempt(probe, username, RIGHT, ip=ip, ua=ua).status_code
        assert status == (BLOCKED if locked else ALLOWED), (username, ip, ua)
        assert logged_in(probe) is not locked


# Sequences from django-axes' test_login.py: (username, password, ip, expected status).
SEQUENCES: dict[str, tuple[Any, int, list[tuple[str, str, str, int]]]] = {
    "username-and-ip-limit-2": (
        [["username", "ip_address"]],
        2,
        [
            ("alice", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP2, NOT_BLOCKED),
            ("bob", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP1, BLOCKED),
            ("alice", WRONG, IP2, BLOCKED),
            ("bob", RIGHT, IP2, ALLOWED),
        ],
    ),
    "username-or-ip-limit-3": (
        ["username", "ip_address"],
        3,
        [
            ("alice", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP2, NOT_BLOCKED),
            ("alice", WRONG, IP2, BLOCKED),
            ("alice", WRONG, IP3, BLOCKED),
            ("bob", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP1, BLOCKED),
            ("bob", WRONG, IP1, BLOCKED),
            ("carol", WRONG, IP1, BLOCKED),
        ],
    ),
    "username-or-ip-mixed-failures": (
        ["username", "ip_address"],
        3,
        [
            ("alice", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP2, NOT_BLOCKED),
            ("bob", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP2, BLOCKED),
            ("bob", RIGHT, IP2, ALLOWED),
        ],
    ),
}


@pytest.mark.parametrize("sequence", list(SEQUENCES))
def test_failures_across_users_and_ips_add_up_per_key(handler, users, client, settings, sequence):
    """Failures spread over users and IPs must add up on exactly the keys they share."""
    parameters, limit, steps = SEQUENCES[sequence]
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    settings.AXES_FAILURE_LIMIT = limit
    for step, (username, password, ip, expected) in enumerate(steps):
        status = attempt(Client(), username, password, ip=ip).status_code
        assert status == expected, (step, username, ip)


def test_missing_username_with_username_lockout_records_nothing(
    handler, users, client, settings, caplog
):
    """A login without any username must not create a shared "no username" lock (["username"])."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    statuses = [api_attempt(client, {"password": WRONG}).status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert handler.stored() == set()
    assert (
        caplog.messages.count(
            "AXES: Username is None and username is the only one lockout parameter, "
            "new record will NOT be created."
        )
        == 5
    )


def test_missing_username_still_counts_against_the_ip(handler, users, client):
    """Omitting the username must not dodge the IP counter."""
    statuses = [api_attempt(client, {"password": WRONG}).status_code for _ in range(3)]
    assert statuses == [401, 401, BLOCKED]
    if handler.differs(READABLE_RECORD):
        assert handler.failures(handler.key(ip_address=LOCAL)) == 3
        return
    stored_fields = handler.fields(handler.key(ip_address=LOCAL))
    assert stored_fields["fails"] == "3"
    assert "username" not in stored_fields  # none given: nothing to describe


@pytest.mark.parametrize(
    ("parameters", "counted", "alice_status"),
    [
        (["username"], {"username": ""}, ALLOWED),
        ([["username", "ip_address"]], {"username": "", "ip_address": IP1}, ALLOWED),
        (["username", "ip_address"], {"username": ""}, BLOCKED),
    ],
    ids=["username", "username-and-ip", "username-or-ip"],
)
def test_empty_username_lockout_does_not_lock_real_users(
    handler, users, client, settings, parameters, counted, alice_status
):
    """Locking out the empty username must not lock out named users (beyond a shared IP)."""
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    data = {"username": "", "password": WRONG}
    statuses = [api_attempt(client, data, ip=IP1).status_code for _ in range(3)]
    assert statuses == [401, 401, BLOCKED]
    assert handler.failures(handler.key(**counted)) == 3
    assert client.get("/login/", REMOTE_ADDR=IP1).status_code == 200
    assert attempt(Client(), "alice", RIGHT, ip=IP1).status_code == alice_status


def test_empty_username_at_an_ip_is_not_that_ip(handler, users, client, settings):
    """An empty username at IP1 must be counted apart from IP1 itself: a failure that counts
    twice on one key locks an address out in half the guesses."""
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
    assert api_attempt(client, {"username": "", "password": WRONG}, ip=IP1).status_code == 401
    ip_key, combined = handler.key(ip_address=IP1), handler.key(username="", ip_address=IP1)
    if handler.differs(EMPTY_VALUES_JOINED):
        assert combined == ip_key
        assert handler.failures(ip_key) == 2
        return
    assert handler.stored() == {ip_key, combined}
    assert handler.failures(ip_key) == handler.failures(combined) == 1

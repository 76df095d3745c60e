"""Forgetting failures: AXES_RESET_ON_SUCCESS, logouts, and ``axes.utils.reset``.

A successful login clears its own client's failures only when the project asks for it, a
logout never touches them, and an operator's reset by username, IP or both unlocks exactly that
client (django-axes' reset fixture: alice and bob failing from two addresses). Each test runs on
our handler and on ``AxesCacheHandler`` (``handler``, tests/support/contract.py).
"""

from __future__ import annotations

import pytest
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset
from django.test import Client, RequestFactory

from tests.support.contract import (
    COOLOFF_MESSAGE,
    IP1,
    IP2,
)
from tests.support.logins import (
    ALLOWED,
    BLOCKED,
    LOCAL,
    NOT_BLOCKED,
    RIGHT,
    UA,
    attempt,
    fail,
    logged_in,
)

pytestmark = pytest.mark.django_db


def test_reset_on_success_forgets_that_client_only(handler, users, client, settings):
    """AXES_RESET_ON_SUCCESS=True: a real login clears its own failures and nobody else's."""
    settings.AXES_RESET_ON_SUCCESS = True
    settings.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
    assert fail(client, 2, ip=IP1) == [NOT_BLOCKED, NOT_BLOCKED]
    assert fail(Client(), 1, "bob", ip=IP2) == [NOT_BLOCKED]

    assert attempt(client, "alice", RIGHT, ip=IP1).status_code == ALLOWED
    assert handler.stored() == {handler.key(username="bob"), handler.key(ip_address=IP2)}
    # The full allowance is back: two failures pass, the third locks.
    assert fail(client, 3, ip=IP1) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]


def test_success_keeps_failures_by_default(handler, users, client):
    """AXES_RESET_ON_SUCCESS=False: logging in between guesses must not reset the count."""
    assert fail(client, 2) == [NOT_BLOCKED, NOT_BLOCKED]
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED
    assert handler.failures(handler.key(ip_address=LOCAL)) == 2
    response = attempt(client)
    assert response.status_code == BLOCKED
    assert response.content.decode() == COOLOFF_MESSAGE


def test_logout_leaves_the_counters_alone(handler, users, client):
    """Logging out must neither clear nor add failures (only a login may reset them)."""
    assert fail(client, 2) == [NOT_BLOCKED, NOT_BLOCKED]
    assert attempt(client, "alice", RIGHT, path="/admin/login/").status_code == ALLOWED
    response = client.post("/admin/logout/", REMOTE_ADDR=LOCAL, HTTP_USER_AGENT=UA)
    assert response.status_code == 200
    assert not logged_in(client)
    assert handler.stored() == {handler.key(ip_address=LOCAL)}
    assert handler.failures(handler.key(ip_address=LOCAL)) == 2


def test_username_only_reset_by_username_unlocks(handler, users, client, settings):
    """With username lockout, resetting that username must let the user back in from any IP."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    assert fail(client, 3) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert reset(username="alice") == 1
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED
    # Successful logins never count towards a lockout.
    for _ in range(4):
        assert attempt(client, "alice", RIGHT).status_code == ALLOWED
    assert handler.stored() == set()


def set_up_four_clients() -> None:
    """alice and bob each fail once from IP1 and once from IP2 (django-axes' reset fixture)."""
    for username in ("alice", "bob"):
        for ip in (IP1, IP2):
            assert attempt(Client(), username, ip=ip).status_code == NOT_BLOCKED


def failures_of(username: str | None = None, ip: str = LOCAL) -> int:
    request = RequestFactory().post("/login/", REMOTE_ADDR=ip, HTTP_USER_AGENT=UA)
    credentials = {"username": username} if username else {}
    return int(AxesProxyHandler.get_failures(request, credentials=credentials))


def test_reset_by_username_clears_that_username_only(handler, users, settings):
    """Unlocking one account must not unlock the others."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    set_up_four_clients()
    assert (failures_of("alice"), failures_of("bob")) == (2, 2)
    assert reset(username="alice") == 1
    assert (failures_of("alice"), failures_of("bob")) == (0, 2)


def test_reset_by_ip_clears_that_ip_only(handler, users):
    """Unlocking one address must not unlock the others."""
    set_up_four_clients()
    assert (failures_of(ip=IP1), failures_of(ip=IP2)) == (2, 2)
    assert reset(ip=IP1) == 1
    assert (failures_of(ip=IP1), failures_of(ip=IP2)) == (0, 2)


def test_reset_by_ip_and_username_clears_that_combination_only(handler, users, settings):
    """Unlocking alice at IP1 must leave bob at IP1 and alice at IP2 counted."""
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
    set_up_four_clients()
    assert reset(ip=IP1, username="alice") == 1
    assert failures_of("alice", IP1) == 0
    assert failures_of("bob", IP1) == 1
    assert failures_of("alice", IP2) == 1

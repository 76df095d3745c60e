"""Who is never counted or never let in: IP white- and blacklists, callables, GET, the admin.

``AXES_IP_WHITELIST`` with its mode flags, ``AXES_IP_BLACKLIST``, ``AXES_WHITELIST_CALLABLE``,
``AXES_NEVER_LOCKOUT_GET`` (through ``authenticate()`` on a GET request, which the login view
never makes) and ``AXES_ONLY_ADMIN_SITE``. Each test runs on our handler and on
``AxesCacheHandler`` (``handler``, tests/support/contract.py).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from tests import callables
from tests.support.contract import (
    ADMIN_ONLY_SITE_LOCKED,
    IP1,
    IP2,
    READABLE_RECORD,
)
from tests.support.logins import (
    ALLOWED,
    BLOCKED,
    LOCAL,
    NOT_BLOCKED,
    RIGHT,
    WRONG,
    attempt,
    fail,
    logged_in,
)

pytestmark = pytest.mark.django_db


def test_ip_whitelist_with_never_lockout_is_never_counted(handler, users, client, settings, caplog):
    """AXES_NEVER_LOCKOUT_WHITELIST: a whitelisted office IP must never be locked nor tracked."""
    caplog.set_level(logging.INFO, logger=handler.logger)
    settings.AXES_IP_WHITELIST = [IP1]
    settings.AXES_NEVER_LOCKOUT_WHITELIST = True
    assert fail(client, 5, ip=IP1) == [NOT_BLOCKED] * 5
    assert handler.stored() == set()
    whitelisted = [
        m for m in caplog.messages if m.startswith("AXES: Login failed from whitelisted")
    ]
    assert len(whitelisted) == 5
    assert attempt(client, "alice", RIGHT, ip=IP1).status_code == ALLOWED
    # Everyone else is still locked out.
    assert fail(Client(), 3, ip=IP2) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]


def test_ip_whitelist_alone_protects_nobody(handler, users, client, settings):
    """AXES_IP_WHITELIST without a mode flag must not exempt anyone from lockout."""
    settings.AXES_IP_WHITELIST = [IP1]
    assert fail(client, 3, ip=IP1) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert handler.failures(handler.key(ip_address=IP1)) == 3


def test_only_whitelist_refuses_every_other_ip(handler, users, client, settings):
    """AXES_ONLY_WHITELIST: a login from outside the whitelist must fail, right password or not."""
    settings.AXES_IP_WHITELIST = [IP1]
    settings.AXES_ONLY_WHITELIST = True
    outsider = Client()
    response = attempt(outsider, "alice", RIGHT, ip=IP2)
    assert response.status_code != ALLOWED
    assert not logged_in(outsider)

    assert fail(client, 5, ip=IP1) == [NOT_BLOCKED] * 5
    assert handler.key(ip_address=IP1) not in handler.stored()
    assert attempt(client, "alice", RIGHT, ip=IP1).status_code == ALLOWED


def test_ip_blacklist_refuses_the_right_password(handler, users, client, settings):
    """AXES_IP_BLACKLIST: a blacklisted IP must never log in, whatever it sends."""
    settings.AXES_IP_BLACKLIST = [IP1]
    response = attempt(client, "alice", RIGHT, ip=IP1)
    assert response.status_code != ALLOWED
    assert not logged_in(client)
    other = Client()
    assert attempt(other, "alice", RIGHT, ip=IP2).status_code == ALLOWED
    assert handler.key(ip_address=IP2) not in handler.stored()


@pytest.mark.parametrize(
    "whitelist",
    [callables.whitelist_trusted, "tests.callables.whitelist_trusted"],
    ids=["callable", "dotted-path"],
)
def test_whitelist_callable_exempts_that_user_only(handler, users, client, settings, whitelist):
    """AXES_WHITELIST_CALLABLE: an exempt account is never tracked; others are, same IP."""
    settings.AXES_WHITELIST_CALLABLE = whitelist
    trusted = callables.TRUSTED_USERNAME
    assert fail(client, 5, trusted) == [NOT_BLOCKED] * 5
    assert handler.stored() == set()

    assert fail(client, 3, "alice") == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert handler.failures(handler.key(ip_address=LOCAL)) == 3
    # The locked IP still lets the exempt account in.
    assert attempt(client, trusted, RIGHT).status_code == ALLOWED


def authenticate_with(method: str, password: str) -> Any:
    """The real ``authenticate()`` (Axes backend, signals, our handler) on a GET or POST."""
    factory = RequestFactory()
    request = factory.get("/login/") if method == "GET" else factory.post("/login/")
    return authenticate(request, username="alice", password=password)


def test_never_lockout_get_exempts_get_logins(handler, users, settings):
    """AXES_NEVER_LOCKOUT_GET: GET-based authentication is never counted or locked."""
    settings.AXES_NEVER_LOCKOUT_GET = True
    for _ in range(5):
        assert authenticate_with("GET", WRONG) is None
    assert handler.stored() == set()
    assert authenticate_with("GET", RIGHT) is not None
    # POST logins are still counted and locked.
    for _ in range(3):
        assert authenticate_with("POST", WRONG) is None
    assert handler.failures(handler.key(ip_address=LOCAL)) == 3
    assert authenticate_with("POST", RIGHT) is None
    assert authenticate_with("GET", RIGHT) is not None


def test_get_logins_are_locked_without_never_lockout_get(handler, users):
    """Without AXES_NEVER_LOCKOUT_GET a GET-based login must be locked like any other."""
    for _ in range(3):
        assert authenticate_with("GET", WRONG) is None
    assert handler.failures(handler.key(ip_address=LOCAL)) == 3
    assert authenticate_with("GET", RIGHT) is None


def test_only_admin_site_locks_the_admin_login_only(handler, users, client, settings):
    """AXES_ONLY_ADMIN_SITE: the admin login is protected, the site's own login never locks."""
    settings.AXES_ONLY_ADMIN_SITE = True
    site_statuses = fail(client, 5, ip=IP1)
    if handler.differs(ADMIN_ONLY_SITE_LOCKED):
        assert site_statuses == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED, BLOCKED, BLOCKED]
    else:
        assert site_statuses == [NOT_BLOCKED] * 5
    assert attempt(client, "alice", RIGHT, ip=IP1).status_code == ALLOWED
    # Our handler's documented choice: those failures still count (they are guesses).
    assert handler.failures(handler.key(ip_address=IP1)) == 5

    admin = Client()
    statuses = [
        attempt(admin, "alice", WRONG, ip=IP2, path="/admin/login/").status_code for _ in range(3)
    ]
    assert statuses == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert handler.failures(handler.key(ip_address=IP2)) == 3
    response = attempt(admin, "alice", RIGHT, ip=IP2, path="/admin/login/")
    assert response.status_code == BLOCKED
    assert not logged_in(admin)


def test_admin_login_is_locked_by_default(handler, users, client):
    """The admin login must be protected like any other login (AXES_ONLY_ADMIN_SITE off)."""
    statuses = [attempt(client, path="/admin/login/").status_code for _ in range(3)]
    assert statuses == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    if handler.differs(READABLE_RECORD):
        assert handler.failures(handler.key(ip_address=LOCAL)) == 3
    else:
        assert handler.fields(handler.key(ip_address=LOCAL))["path_info"] == "/admin/login/"
    assert attempt(client, "alice", RIGHT, path="/admin/login/").status_code == BLOCKED

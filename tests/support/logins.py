"""Logins through Django's test client, as a project's users and attackers make them.

The test client is called ``browser`` here: "client" is the tracked requester of the key
schema. ``/login/`` is Django's ``LoginView`` behind the middlewares of tests/settings.py;
``/api/auth/`` (tests/urls.py) hands whatever was posted to ``authenticate()``, ``None`` and
100 kB usernames included, which the login form would refuse before django-axes sees them.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

RIGHT = "right-password"
WRONG = "wrong-password"
LOCAL = "127.0.0.1"
"""The address Django's test client sends when a test names none."""
UA = "test-browser"

ALLOWED = 302
"""LoginView redirects after a successful login."""
NOT_BLOCKED = 200
"""The form again: wrong password, not locked."""
BLOCKED = 429
API = "/api/auth/"


def attempt(
    browser: Client,
    username: str = "alice",
    password: str = WRONG,
    *,
    ip: str = LOCAL,
    ua: str = UA,
    path: str = "/login/",
    **environ: Any,
) -> Any:
    """One login POST from ``ip`` with ``ua``; ``environ`` adds or overrides WSGI entries."""
    return browser.post(
        path,
        {"username": username, "password": password},
        **{"REMOTE_ADDR": ip, "HTTP_USER_AGENT": ua, **environ},
    )


def api_attempt(browser: Client, data: dict[str, str], *, ip: str = LOCAL, ua: str = UA) -> Any:
    """``/api/auth/`` with exactly ``data``: the username may be missing or empty."""
    return browser.post(API, data, REMOTE_ADDR=ip, HTTP_USER_AGENT=ua)


def fail(browser: Client, times: int, username: str = "alice", **kwargs: Any) -> list[int]:
    """``times`` wrong passwords for ``username``: the status of each answer."""
    return [attempt(browser, username, WRONG, **kwargs).status_code for _ in range(times)]


def logged_in(browser: Client) -> bool:
    return "_auth_user_id" in browser.session

"""What a locked-out login gets back, and who hears of it.

django-axes documents the lockout response (message and status, ``AXES_HTTP_RESPONSE_CODE``,
``AXES_LOCKOUT_TEMPLATE``, ``AXES_LOCKOUT_URL``, JSON for XHR, ``AXES_LOCKOUT_CALLABLE``) and the
``user_locked_out`` signal; a project's own pages and alerts rely on them. Each test runs on our
handler and on ``AxesCacheHandler`` (``handler``, tests/support/contract.py).
"""

from __future__ import annotations

import pytest
from django.http import HttpRequest

from tests import callables
from tests.support.contract import (
    COOLOFF_MESSAGE,
    lock_alice,
)
from tests.support.logins import (
    BLOCKED,
    LOCAL,
    RIGHT,
    attempt,
    fail,
)

pytestmark = pytest.mark.django_db


def test_lockout_response_is_the_plain_cooloff_message(handler, users, client):
    """A lockout must answer with django-axes' documented message and status, not the form."""
    response = lock_alice(client)
    assert response.status_code == BLOCKED
    assert response.content.decode() == COOLOFF_MESSAGE


def test_lockout_response_status_follows_axes_http_response_code(handler, users, client, settings):
    """AXES_HTTP_RESPONSE_CODE must be honoured for every lockout response."""
    settings.AXES_HTTP_RESPONSE_CODE = 403
    response = lock_alice(client)
    assert response.status_code == 403
    assert response.content.decode() == COOLOFF_MESSAGE
    assert attempt(client, "alice", RIGHT).status_code == 403


def test_lockout_response_renders_axes_lockout_template(handler, users, client, settings):
    """AXES_LOCKOUT_TEMPLATE must be rendered with django-axes' context."""
    settings.AXES_LOCKOUT_TEMPLATE = "lockout.html"
    response = lock_alice(client)
    assert response.status_code == BLOCKED
    assert response.content.decode().strip() == (
        "Locked out: alice after 3 failures; try again in PT1H."
    )


def test_lockout_response_redirects_to_axes_lockout_url(handler, users, client, settings):
    """AXES_LOCKOUT_URL must redirect with the username in the query string."""
    settings.AXES_LOCKOUT_URL = "/locked/"
    response = lock_alice(client)
    assert response.status_code == 302
    assert response["Location"] == "/locked/?username=alice"
    assert client.get(response["Location"]).content == b"locked page for alice"


def test_lockout_response_is_json_for_xhr(handler, users, client):
    """An AJAX login must get django-axes' JSON lockout body, not HTML."""
    response = lock_alice(client, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == BLOCKED
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["failure_limit"] == 3
    assert body["username"] == "alice"
    assert body["cooloff_time"] == "PT1H"
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "lockout_callable",
    [callables.lockout_response, "tests.callables.lockout_response"],
    ids=["callable", "dotted-path"],
)
def test_lockout_response_comes_from_axes_lockout_callable(
    handler, users, client, settings, lockout_callable
):
    """AXES_LOCKOUT_CALLABLE must build the lockout response, with the failed credentials."""
    settings.AXES_LOCKOUT_CALLABLE = lockout_callable
    response = lock_alice(client)
    assert response.status_code == 418
    assert response.content == b"custom lockout for alice"


def test_user_locked_out_signal_at_and_after_the_limit(handler, users, client, lockouts):
    """user_locked_out must fire at the limit-th failure and every one after, never before."""
    sent_after = []
    for _ in range(5):
        attempt(client)
        sent_after.append(len(lockouts))
    assert sent_after == [0, 0, 1, 2, 3]
    for sent in lockouts:
        assert sent["sender"] == "axes"
        assert sent["username"] == "alice"
        assert sent["ip_address"] == LOCAL
        assert isinstance(sent["request"], HttpRequest)
        assert sent["request"].path == "/login/"


def test_no_signal_without_lockout(handler, users, client, lockouts):
    """Failures below the limit and successful logins must not report a lockout."""
    fail(client, 2)
    attempt(client, "alice", RIGHT)
    assert lockouts == []

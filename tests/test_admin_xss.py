"""No request parameter of the admin pages comes back as markup (reflected XSS).

Every parameter both pages read, from the query string or a reset form, is sent
with a script-bearing payload by a logged-in superuser. A refusal must be a
``text/plain`` 400 that does not quote the value; a page that renders must show
the value HTML-escaped only.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.utils.html import escape

from axes_redis import keys
from axes_redis.conf import axes_redis_settings

pytestmark = pytest.mark.django_db

CLIENTS = "/admin/axes_redis/trackedclient/"
RESET = CLIENTS + "reset/"
TRAIL = "/admin/axes_redis/logintrail/"

PAYLOADS = (
    "<svg onload=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><svg onload=alert(1)>",
)
"""Plain, and breaking out of a double- or single-quoted attribute."""

PLAIN_TEXT = "text/plain; charset=utf-8"


@pytest.fixture
def superuser(db: Any) -> Client:
    account = User.objects.create_superuser("root", password="pw")
    browser = Client()
    browser.force_login(account)
    return browser


X = "\N{REPLACEMENT CHARACTER}"
"""Stands for the payload in the parametrised queries and forms."""

ALICE = "\N{BLACK STAR}"
"""Stands for a valid client key (the prefix is read at request time)."""


def client_key(**parameters: str) -> str:
    return keys.client_key(axes_redis_settings.key_prefix, parameters)


def fill(params: dict[str, Any], payload: str) -> dict[str, Any]:
    """``params`` with ``X`` replaced by ``payload`` and ``ALICE`` by alice's client key."""
    stand_ins = {X: payload, ALICE: client_key(username="alice")}
    return {
        name: [stand_ins.get(item, item) for item in value]
        if isinstance(value, list)
        else stand_ins.get(value, value)
        for name, value in params.items()
    }


def assert_not_reflected(response: HttpResponse, payload: str) -> str:
    """The body holds no live markup from ``payload``; returns the body."""
    body = response.content.decode()
    assert "<svg onload" not in body.lower()
    if response["Content-Type"].startswith("text/html"):
        # Only the escaped form may appear; nothing of the handler survives outside it.
        assert "onload=alert" not in body.replace(str(escape(payload)), "")
    return body


def assert_plain_refusal(response: HttpResponse, payload: str) -> None:
    """A 400 in plain text that does not quote the input at all."""
    assert response.status_code == 400
    body = assert_not_reflected(response, payload)
    assert payload not in body
    assert "svg" not in body
    assert "alert" not in body
    assert response["Content-Type"] == PLAIN_TEXT


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(
    "query",
    [
        {"cursor": X},
        {"cursor": "0", "prev": X},
        {"cursor": "0", "prev": ["0", X]},
        {"prev": X, "locked": "1"},
        {"username": "alice", "prev": X},
    ],
    ids=["cursor", "prev", "second-prev", "prev-locked", "prev-with-search"],
)
def test_tracked_clients_bad_cursors_are_plain_text_without_the_input(
    redis_db, superuser, payload, query
):
    assert_plain_refusal(superuser.get(CLIENTS, fill(query, payload)), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(
    "query",
    [
        {"cursor": X},
        {"cursor": "1700000000000-0", "prev": X},
        {"cursor": "1700000000000-0", "prev": ["1700000000001-0", X]},
        {"event": X},
        {"event": X, "username": "alice"},
    ],
    ids=["cursor", "prev", "second-prev", "event", "event-with-username"],
)
def test_login_trail_bad_parameters_are_plain_text_without_the_input(
    redis_db, superuser, payload, query
):
    assert_plain_refusal(superuser.get(TRAIL, fill(query, payload)), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(
    "query",
    [
        {"username": X},
        {"ip": X},
        {"username": X, "ip": X, "locked": "1"},
        {"locked": X},
    ],
    ids=["username", "ip", "both-locked", "locked"],
)
def test_tracked_clients_search_and_filter_render_escaped(redis_db, superuser, payload, query):
    """A search is shown back in the form and the links: escaped, never as markup."""
    response = superuser.get(CLIENTS, fill(query, payload))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = assert_not_reflected(response, payload)
    if "username" in query:
        assert f'value="{escape(payload)}"' in body


@pytest.mark.parametrize("payload", PAYLOADS)
def test_login_trail_username_renders_escaped(redis_db, superuser, payload):
    response = superuser.get(TRAIL, {"username": payload, "event": "failure"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = assert_not_reflected(response, payload)
    assert f'value="{escape(payload)}"' in body


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(
    "form",
    [
        {"reset_one": X},
        {"action": X},
        {"action": "selected", "key": X},
        {"action": "selected", "key": [ALICE, X]},
    ],
    ids=["reset_one", "action", "key", "second-key"],
)
def test_reset_refusals_are_plain_text_without_the_input(redis_db, superuser, payload, form):
    assert_plain_refusal(superuser.post(RESET, fill(form, payload)), payload)
    assert redis_db.exists(client_key(username="alice")) == 0  # and nothing was touched


def test_reset_search_without_terms_is_plain_text(redis_db, superuser):
    response = superuser.post(RESET, {"action": "search", "username": "", "ip": ""})
    assert response.status_code == 400
    assert response["Content-Type"] == PLAIN_TEXT


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", ["username", "ip"])
def test_reset_search_confirmation_renders_the_terms_escaped(redis_db, superuser, payload, field):
    response = superuser.post(RESET, {"action": "search", field: payload, "confirmed": payload})
    assert response.status_code == 200
    body = assert_not_reflected(response, payload)
    assert 'id="confirm-reset"' in body
    assert f"<strong>{escape(payload)}</strong>" in body
    assert f'name="{field}" value="{escape(payload)}"' in body


@pytest.mark.parametrize("payload", PAYLOADS)
def test_reset_search_done_shows_only_escaped_text_afterwards(redis_db, superuser, payload):
    """The confirmed reset redirects; the page it lands on shows nothing of the payload raw."""
    response = superuser.post(
        RESET, {"action": "search", "username": payload, "confirmed": "yes"}, follow=True
    )
    assert response.redirect_chain == [(CLIENTS, 302)]
    assert response.status_code == 200
    body = assert_not_reflected(response, payload)
    assert "0 client(s) reset." in body


@pytest.mark.parametrize("payload", PAYLOADS)
def test_reset_next_is_escaped_on_the_confirmation(redis_db, superuser, payload):
    """``next`` is echoed into the confirmation's links and form when it is a local path."""
    back = "/admin/" + payload
    response = superuser.post(
        RESET, {"action": "selected", "key": client_key(username="alice"), "next": back}
    )
    assert response.status_code == 200
    body = assert_not_reflected(response, payload)
    assert f'href="{escape(back)}"' in body


@pytest.mark.parametrize(
    "back", ["javascript:alert(1)", "JavaScript:alert(1)", "//evil.example/", "data:text/html,x"]
)
def test_reset_next_off_site_or_script_falls_back_to_the_list(redis_db, superuser, back):
    response = superuser.post(
        RESET, {"action": "selected", "key": client_key(username="alice"), "next": back}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert back not in body
    assert f'href="{CLIENTS}"' in body
    done = superuser.post(RESET, {"reset_one": client_key(username="alice"), "next": back})
    assert done.status_code == 302
    assert done["Location"] == CLIENTS

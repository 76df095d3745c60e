"""axes_defaults answers exactly what django-axes' own helpers answer.

The shortcuts exist for speed only: if one ever disagreed with django-axes, a
site's username, limit, cool-off, keys or log lines would silently change. So
for every setting a shortcut covers, hypothesis draws settings and inputs and
the helper is the oracle; callables and dotted paths must reach the helper.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes import helpers
from axes.handlers.base import AxesBaseHandler
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from axes_redis import axes_defaults
from axes_redis.handler import AxesRedisHandler

NAMES = ["username", "ip_address", "user_agent"]
FIELDS = ["username", "email", "login"]

texts = st.text(max_size=40)
parameter_lists = st.lists(
    st.one_of(
        st.sampled_from([*NAMES, "nonsense"]),
        st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True),
    ),
    min_size=1,
    max_size=3,
)
cool_offs = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10_000),
    st.floats(min_value=0, max_value=1_000, allow_nan=False),
    st.builds(timedelta, seconds=st.integers(min_value=0, max_value=10**7)),
)
credentials: st.SearchStrategy[dict[str, Any] | None] = st.one_of(
    st.none(),
    st.just({}),
    st.dictionaries(st.sampled_from([*FIELDS, "password"]), st.one_of(texts, st.none())),
)
path_infos = st.one_of(texts, st.tuples(texts, texts), st.lists(texts, max_size=2))
hypothesis_config = hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def both(call: Any) -> tuple[Any, Any]:
    """(shortcut's answer, helper's answer), or the exception type each raised."""
    answers = []
    for use_helpers in (False, True):
        try:
            answers.append(call(helpers if use_helpers else None))
        except (ImportError, TypeError, ValueError) as exc:
            answers.append(type(exc))
    return answers[0], answers[1]


def post(data: dict[str, str]) -> Any:
    return RequestFactory().post("/login/", data)


@hypothesis_config
@given(
    field=st.sampled_from(FIELDS),
    given_credentials=credentials,
    form=st.dictionaries(st.sampled_from(FIELDS), texts),
)
def test_username_is_django_axes(
    field: str, given_credentials: dict[str, Any] | None, form: dict[str, str]
) -> None:
    """The username from credentials, else from the POST body, by AXES_USERNAME_FORM_FIELD."""
    request = post(form)
    with override_settings(AXES_USERNAME_FORM_FIELD=field, AXES_USERNAME_CALLABLE=None):
        ours = axes_defaults.username(request, given_credentials)
        assert ours == helpers.get_client_username(request, given_credentials)


@hypothesis_config
@given(limit=st.one_of(st.integers(min_value=-5, max_value=10**6), st.booleans(), texts))
def test_failure_limit_is_django_axes(limit: Any) -> None:
    request = post({})
    with override_settings(AXES_FAILURE_LIMIT=limit):
        ours, theirs = both(
            lambda h: (h.get_failure_limit if h else axes_defaults.failure_limit)(request, None)
        )
    assert ours == theirs
    assert type(ours) is type(theirs)


@hypothesis_config
@given(cool_off=cool_offs)
def test_cool_off_is_django_axes(cool_off: Any) -> None:
    request = post({})
    with override_settings(AXES_COOLOFF_TIME=cool_off):
        assert axes_defaults.cool_off(request) == helpers.get_cool_off(request)


@hypothesis_config
@given(
    parameters=parameter_lists,
    username=st.one_of(texts, st.none()),
    ip_address=texts,
    user_agent=texts,
)
def test_lockout_parameters_are_django_axes(
    parameters: list[Any], username: str | None, ip_address: str, user_agent: str
) -> None:
    """The parameter sets (and the ValueError for an unknown name) are django-axes'."""
    request = post({})
    with override_settings(AXES_LOCKOUT_PARAMETERS=parameters):
        assert axes_defaults.lockout_parameters(request, None) == helpers.get_lockout_parameters(
            request, None
        )
        ours, theirs = both(
            lambda h: (h.get_client_parameters if h else axes_defaults.client_parameters)(
                username, ip_address, user_agent, request, None
            )
        )
    assert ours == theirs


@hypothesis_config
@given(
    verbose=st.booleans(),
    sensitive=st.lists(st.sampled_from([*NAMES, "email", "path_info"]), max_size=3),
    password_field=st.one_of(st.none(), st.sampled_from(["password", *NAMES])),
    parameters=st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True),
    username=st.one_of(texts, st.none(), st.integers()),
    ip_address=texts,
    user_agent=texts,
    path_info=path_infos,
)
def test_client_str_is_django_axes(
    verbose: bool,
    sensitive: list[str],
    password_field: str | None,
    parameters: list[str],
    username: Any,
    ip_address: str,
    user_agent: str,
    path_info: Any,
) -> None:
    """The client string of log lines, character for character, masked fields included."""
    request = post({})
    with override_settings(
        AXES_VERBOSE=verbose,
        AXES_SENSITIVE_PARAMETERS=sensitive,
        AXES_PASSWORD_FORM_FIELD=password_field,
        AXES_LOCKOUT_PARAMETERS=parameters,
        AXES_CLIENT_STR_CALLABLE=None,
    ):
        arguments = (username, ip_address, user_agent, path_info, request)
        assert axes_defaults.client_str(*arguments) == helpers.get_client_str(*arguments)


def _username(request: Any, credentials: Any) -> str:
    return "from-the-callable"


def _limit(request: Any, credentials: Any) -> int:
    return 42


def _cool_off(request: Any) -> timedelta:
    return timedelta(seconds=42)


def _parameters(request: Any, credentials: Any) -> list[Any]:
    return [["username", "user_agent"]]


def _client_str(*args: Any) -> str:
    return "client from the callable"


CALLABLES = [
    ("AXES_USERNAME_CALLABLE", lambda: axes_defaults.username(post({}), {"username": "x"})),
    ("AXES_FAILURE_LIMIT", lambda: axes_defaults.failure_limit(post({}), None)),
    ("AXES_COOLOFF_TIME", lambda: axes_defaults.cool_off(post({}))),
    ("AXES_LOCKOUT_PARAMETERS", lambda: axes_defaults.lockout_parameters(post({}), None)),
    ("AXES_CLIENT_STR_CALLABLE", lambda: axes_defaults.client_str("u", "ip", "ua", "/", post({}))),
]
ANSWERS = {
    "AXES_USERNAME_CALLABLE": (_username, "from-the-callable"),
    "AXES_FAILURE_LIMIT": (_limit, 42),
    "AXES_COOLOFF_TIME": (_cool_off, timedelta(seconds=42)),
    "AXES_LOCKOUT_PARAMETERS": (_parameters, [["username", "user_agent"]]),
    "AXES_CLIENT_STR_CALLABLE": (_client_str, "client from the callable"),
}


@pytest.mark.parametrize("dotted", [False, True], ids=["callable", "dotted path"])
@pytest.mark.parametrize(("setting", "ask"), CALLABLES, ids=[name for name, _ in CALLABLES])
def test_callables_are_asked_every_time(setting: str, ask: Any, dotted: bool) -> None:
    """A callable setting is django-axes' to call: the shortcut never answers for it."""
    function, answer = ANSWERS[setting]
    value = f"{__name__}.{function.__name__}" if dotted else function
    assert ask() != answer
    with override_settings(**{setting: value}):
        assert ask() == answer
    assert ask() != answer


def test_a_changed_setting_is_seen_at_once() -> None:
    """The plan is forgotten when override_settings (or any setting_changed) names it."""
    request = post({})
    with override_settings(AXES_FAILURE_LIMIT=3):
        assert axes_defaults.failure_limit(request, None) == 3
        with override_settings(AXES_FAILURE_LIMIT=7):
            assert axes_defaults.failure_limit(request, None) == 7
        assert axes_defaults.failure_limit(request, None) == 3


def test_debug_logging_of_django_axes_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    """With django-axes' logger at DEBUG, its helper runs and logs as it always did."""
    with caplog.at_level("DEBUG", logger="axes.helpers"):
        assert axes_defaults.username(post({}), {"username": "alice"}) == "alice"
    assert "Using parameter credentials to get username" in caplog.text


def _whitelisted_user(request: Any, credentials: Any) -> bool:
    return bool(credentials and credentials.get("username") == "trusted")


ips = st.sampled_from(["203.0.113.9", "198.51.100.1", "::1"])


@hypothesis_config
@given(
    blacklist=st.one_of(st.none(), st.lists(ips, max_size=2)),
    whitelist=st.one_of(st.none(), st.lists(ips, max_size=2)),
    only_whitelist=st.booleans(),
    never_lockout_whitelist=st.booleans(),
    never_lockout_get=st.booleans(),
    whitelist_callable=st.sampled_from([None, _whitelisted_user]),
    ip_address=ips,
    method=st.sampled_from(["GET", "POST"]),
    username=st.sampled_from(["trusted", "alice"]),
)
def test_exemptions_are_django_axes(
    blacklist: list[str] | None,
    whitelist: list[str] | None,
    only_whitelist: bool,
    never_lockout_whitelist: bool,
    never_lockout_get: bool,
    whitelist_callable: Any,
    ip_address: str,
    method: str,
    username: str,
) -> None:
    """The handler's blacklist and whitelist answers are django-axes' base handler's,
    also when the shortcut skips them."""
    request = RequestFactory().generic(method, "/login/")
    request.axes_ip_address = ip_address  # type: ignore[attr-defined]
    given_credentials = {"username": username}
    handler = AxesRedisHandler()
    with override_settings(
        AXES_IP_BLACKLIST=blacklist,
        AXES_IP_WHITELIST=whitelist,
        AXES_ONLY_WHITELIST=only_whitelist,
        AXES_NEVER_LOCKOUT_WHITELIST=never_lockout_whitelist,
        AXES_NEVER_LOCKOUT_GET=never_lockout_get,
        AXES_WHITELIST_CALLABLE=whitelist_callable,
    ):
        for credentials_or_none in (given_credentials, None):
            assert handler.is_blacklisted(request, credentials_or_none) == bool(
                AxesBaseHandler.is_blacklisted(handler, request, credentials_or_none)
            )
            assert handler.is_whitelisted(request, credentials_or_none) == bool(
                AxesBaseHandler.is_whitelisted(handler, request, credentials_or_none)
            )

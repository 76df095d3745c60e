"""System checks (axes_redis/checks.py): each misconfiguration gets its own id and a hint.

Every case is checked twice: by calling the check functions, and through Django's
registry (``run_checks`` / ``manage.py check``), which proves they are registered.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from axes.signals import handle_setting_changed
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.core.checks import CheckMessage, Error, Tags, Warning, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.core.signals import setting_changed
from django.test import override_settings
from django_redis.cache import RedisCache as DjangoRedisCache

from axes_redis import checks
from axes_redis.conf import HANDLER_PATH, MIDDLEWARE_PATH

# Never connected to (these checks do no I/O). A URL of its own, because django-redis
# keeps one pool per URL for the whole process and W002 reads that pool's timeouts.
REDIS_URL = "redis://127.0.0.1:6379/7"
AXES_DATABASE_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
_DJANGO_REDIS = "django.core.cache.backends.redis.RedisCache"


class SubclassedRedisCache(RedisCache):
    """A project's own subclass of Django's RedisCache."""


class SubclassedDjangoRedisCache(DjangoRedisCache):  # type: ignore[misc]
    """A project's own subclass of django-redis' RedisCache."""


def caches_with(backend: str) -> dict[str, Any]:
    """CACHES with ``backend`` as the axes cache, socket timeouts bounded (so no W002)."""
    if "django_redis" in backend or backend.endswith("DjangoRedisCache"):
        options: dict[str, Any] = {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25}
    else:
        options = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "axes": {"BACKEND": backend, "LOCATION": REDIS_URL, "OPTIONS": options},
    }


@pytest.fixture(autouse=True)
def valid_configuration() -> Iterator[None]:
    """Start every test from a configuration that raises nothing; each test breaks one thing."""
    with override_settings(
        CACHES=caches_with("django_redis.cache.RedisCache"),
        AXES_HANDLER=HANDLER_PATH,
        AXES_CACHE="axes",
        AXES_REDIS_KEY_PREFIX="axes",
    ):
        yield


@contextmanager
def handler_setting(value: str) -> Iterator[None]:
    """``override_settings(AXES_HANDLER=value)`` for a value that cannot be imported.

    django-axes' ``setting_changed`` receiver imports a new AXES_HANDLER on the spot,
    which would raise the very ImportError the check is to report; it is disconnected
    meanwhile (the handler in use does not change: nothing logs in here).
    """
    setting_changed.disconnect(handle_setting_changed)
    try:
        with override_settings(AXES_HANDLER=value):
            yield
    finally:
        setting_changed.connect(handle_setting_changed)


def own(messages: list[CheckMessage]) -> list[CheckMessage]:
    return [m for m in messages if (m.id or "").startswith("axes_redis.")]


def ours() -> list[CheckMessage]:
    """Our check functions, called directly."""
    return [*checks.check_handler(None), *checks.check_configuration(None)]


def registered() -> list[CheckMessage]:
    """Our messages as Django's check registry reports them.

    Limited to the ``security`` tag (both our checks carry it) because Django's own
    ``caches`` checks instantiate every cache and so crash on a backend whose driver
    (pymemcache) is not installed, before ours could report anything.
    """
    return own(list(run_checks(tags=[Tags.security])))


def ids(messages: list[CheckMessage]) -> list[str]:
    return sorted(str(m.id) for m in messages)


def assert_only(expected: str) -> None:
    """Exactly one message, with the expected id and a hint, both directly and registered."""
    direct, through_registry = ours(), registered()
    assert ids(direct) == [expected]
    assert ids(through_registry) == [expected]
    for message in (*direct, *through_registry):
        assert message.hint
        assert message.hint.strip()
        assert isinstance(message, Warning if expected.split(".")[1].startswith("W") else Error)


# --- the ids themselves -------------------------------------------------------------


def test_ids_are_unique_module_constants():
    """Two misconfigurations sharing an id could not be silenced or searched for separately."""
    constants = {
        name: value for name, value in vars(checks).items() if re.fullmatch(r"[EW]\d{3}", name)
    }
    assert set(constants) >= {"E001", "E002", "E004", "E010", "E011", "E012", "W001", "W003"}
    assert len(set(constants.values())) == len(constants)
    for name, value in constants.items():
        assert value == f"axes_redis.{name}"


def test_valid_configuration_raises_nothing():
    """A correct setup must pass `manage.py check` with no noise from us."""
    assert ours() == []
    assert registered() == []
    assert own(list(run_checks())) == []
    for backend in (
        "django_redis.cache.RedisCache",
        "django.core.cache.backends.redis.RedisCache",
    ):
        with override_settings(CACHES=caches_with(backend)):
            assert ours() == []
            assert registered() == []
    out, err = io.StringIO(), io.StringIO()
    call_command("check", stdout=out, stderr=err)
    assert "axes_redis" not in out.getvalue() + err.getvalue()


# --- E001: AXES_CACHE names no cache ------------------------------------------------


def test_missing_cache_alias_is_e001():
    """AXES_CACHE pointing nowhere must fail at deploy time, not at the first failed login."""
    with override_settings(AXES_CACHE="nowhere"):
        assert_only(checks.E001)
        assert ids(own(list(run_checks(tags=[Tags.caches])))) == [checks.E001]
        with pytest.raises(SystemCheckError, match=re.escape(checks.E001)):
            call_command("check", stdout=io.StringIO(), stderr=io.StringIO())


# --- E002: not a Redis backend -----------------------------------------------------


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.dummy.DummyCache",
        "no.such.module.RedisCache",
    ],
)
def test_non_redis_backend_is_e002(backend):
    """A per-process or non-atomic cache must be refused: lockouts would not hold across workers."""
    with override_settings(CACHES=caches_with(backend)):
        assert_only(checks.E002)


@pytest.mark.parametrize(
    "backend",
    [
        "django_redis.cache.RedisCache",
        "django.core.cache.backends.redis.RedisCache",
        f"{__name__}.SubclassedRedisCache",
        f"{__name__}.SubclassedDjangoRedisCache",
    ],
)
def test_redis_backends_and_their_subclasses_are_accepted(backend):
    """A supported Redis backend, or a project's subclass of one, must not be refused."""
    with override_settings(CACHES=caches_with(backend)):
        assert ours() == []
        assert registered() == []


# --- E003: unusable key prefix -------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "a b", "a{b}", "a*", 5])
def test_unusable_key_prefix_is_e003(prefix):
    """A prefix breaking the hash tag or SCAN patterns must be refused before keys exist."""
    with override_settings(AXES_REDIS_KEY_PREFIX=prefix):
        assert_only(checks.E003)


@pytest.mark.parametrize("prefix", ["axes", "my-site:axes", "site_1.axes"])
def test_usable_key_prefixes_are_accepted(prefix):
    """An ordinary namespaced prefix must not be refused."""
    with override_settings(AXES_REDIS_KEY_PREFIX=prefix):
        assert ours() == []


# --- E004: axes not installed --------------------------------------------------------


def test_missing_axes_app_is_e004():
    """Without 'axes' installed no login signal reaches the handler: nothing would be counted.

    Here through override_settings; tests/test_newcomer_mistakes.py shows it in a real
    process, where django-axes' models used to crash `check` before E004 was reported.
    """
    apps_without_axes = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "axes_redis",
    ]
    with override_settings(INSTALLED_APPS=apps_without_axes):
        assert ids(checks.check_handler(None)) == [checks.E004]
        assert ids(registered()) == [checks.E004]
        assert all(m.hint for m in registered())
        # Whatever AXES_HANDLER says: axes_redis without axes makes no sense.
        with override_settings(AXES_HANDLER=AXES_DATABASE_HANDLER):
            assert ids(checks.check_handler(None)) == [checks.E004]
    assert ours() == []


# --- W001: installed but not the handler ---------------------------------------------


def test_other_handler_is_w001_and_silences_the_cache_checks():
    """Installing axes_redis without selecting its handler must warn: nothing reaches Redis."""
    broken_cache = caches_with("django.core.cache.backends.locmem.LocMemCache")
    with override_settings(
        AXES_HANDLER=AXES_DATABASE_HANDLER, CACHES=broken_cache, AXES_REDIS_KEY_PREFIX=""
    ):
        assert_only(checks.W001)
        assert checks.check_configuration(None) == []
        err = io.StringIO()
        call_command("check", stdout=io.StringIO(), stderr=err)  # a warning does not fail
        assert checks.W001 in err.getvalue()


def test_our_handler_is_what_w001_asks_for():
    """The W001 hint must name the exact setting value that fixes it."""
    with override_settings(AXES_HANDLER=AXES_DATABASE_HANDLER):
        (warning,) = checks.check_handler(None)
    assert warning.hint is not None
    assert HANDLER_PATH in warning.hint


# --- E009: the parallel guard without its middleware ---------------------------------


def test_guard_without_its_middleware_is_e009():
    """Without the middleware an API login's slot is freed only by the hold: say so at check."""
    without = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    with override_settings(MIDDLEWARE=without):
        assert_only(checks.E009)
        (error,) = checks.check_configuration(None)
        assert error.hint is not None
        assert MIDDLEWARE_PATH in error.hint
        assert "AXES_REDIS_PARALLEL_GUARD = False" in error.hint
        with override_settings(AXES_REDIS_PARALLEL_GUARD=False, AXES_REDIS_FAIL_OPEN=True):
            assert ours() == []


# --- E010: django-redis' uppercase OPTIONS on Django's RedisCache ------------------------


def test_uppercase_options_on_djangos_redis_cache_are_e010():
    """django-redis' SOCKET_TIMEOUT on Django's RedisCache reaches redis-py as is: a TypeError
    at the first connection, so every login a 500. Say so, in its own words, not W002's."""
    config = caches_with(_DJANGO_REDIS)
    config["axes"]["OPTIONS"] = {
        "SOCKET_CONNECT_TIMEOUT": 0.25,
        "SOCKET_TIMEOUT": 0.5,
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
    }
    with override_settings(CACHES=config):
        assert_only(checks.E010)
        (error,) = checks.check_configuration(None)
    assert "SOCKET_CONNECT_TIMEOUT" in error.msg
    assert error.hint is not None
    assert "{'socket_connect_timeout': 0.25, 'socket_timeout': 0.5}" in error.hint
    assert "CLIENT_CLASS: django-redis only" in error.hint
    assert "'django_redis.cache.RedisCache'" in error.hint


def test_uppercase_options_on_django_redis_are_fine():
    """The same names are django-redis' own: no E010 there."""
    with override_settings(CACHES=caches_with("django_redis.cache.RedisCache")):
        assert ours() == []
    with override_settings(CACHES=caches_with(f"{__name__}.SubclassedDjangoRedisCache")):
        assert ours() == []


# --- E011: AXES_HANDLER that cannot be imported ---------------------------------------


@pytest.mark.parametrize(
    "typo",
    [
        "axes_redis.handler.AxesRedisHandlr",
        "axes_redis.handlers.AxesRedisHandler",
        "axes_redis.AxesRedisHandler",
    ],
)
def test_mistyped_handler_is_e011_with_the_right_spelling(typo):
    """A typo in AXES_HANDLER is an ImportError (a 500) at the first login: catch it at check."""
    with handler_setting(typo):
        assert_only(checks.E011)
        (error,) = checks.check_handler(None)
        with pytest.raises(SystemCheckError, match=re.escape(checks.E011)):
            call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
    assert typo in error.msg
    assert error.hint == f"Did you mean AXES_HANDLER = {HANDLER_PATH!r}?"


def test_mistyped_django_axes_handler_is_e011_too():
    """A typo in one of django-axes' handlers is suggested as that one, not ours."""
    with handler_setting("axes.handlers.databse.AxesDatabaseHandler"):
        (error,) = checks.check_handler(None)
    assert error.id == checks.E011
    assert error.hint is not None
    assert error.hint.startswith(f"Did you mean {AXES_DATABASE_HANDLER!r}?")


# --- E012 and W003: the outage response ----------------------------------------------


@pytest.mark.parametrize("value", ["tests.callables.no_such_callable", "tests.callables"])
def test_unusable_outage_response_callable_is_e012(value):
    """A broken AXES_REDIS_OUTAGE_RESPONSE_CALLABLE would turn every outage into a 500."""
    with override_settings(AXES_REDIS_OUTAGE_RESPONSE_CALLABLE=value):
        assert_only(checks.E012)


def test_importable_outage_response_callable_is_accepted():
    """The default, as a dotted path, is a valid value."""
    with override_settings(
        AXES_REDIS_OUTAGE_RESPONSE_CALLABLE="axes_redis.outage.default_response"
    ):
        assert ours() == []


def test_fail_closed_without_the_middleware_is_w003():
    """Without AxesRedisMiddleware an outage can only be answered with the lockout page."""
    without = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    with override_settings(MIDDLEWARE=without, AXES_REDIS_PARALLEL_GUARD=False):
        assert_only(checks.W003)
        (warning,) = checks.check_configuration(None)
    assert warning.hint is not None
    assert MIDDLEWARE_PATH in warning.hint

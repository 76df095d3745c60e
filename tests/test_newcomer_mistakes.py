"""Newcomer mistakes in a real process: a check id and a hint, or one clear line, never a
traceback.

Each case writes a settings module to a temporary directory and runs Django as a user
does (``python -m django check``, a management command, the WSGI application), with
nothing overridden in-process: ``override_settings`` could not show these, because
they are about what Django imports, registers and runs at startup.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from axes_redis.conf import HANDLER_PATH, MIDDLEWARE_PATH
from testsupport.redis_server import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]

SETTINGS: dict[str, Any] = {
    "SECRET_KEY": "newcomer",
    "USE_TZ": True,
    "INSTALLED_APPS": [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "axes",
        "axes_redis",
    ],
    "MIDDLEWARE": [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        MIDDLEWARE_PATH,
        "axes.middleware.AxesMiddleware",
    ],
    "AUTHENTICATION_BACKENDS": [
        "axes_redis.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ],
    "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    "AXES_HANDLER": HANDLER_PATH,
    "AXES_CACHE": "axes",
}
"""A correct project, as the README's snippet makes one; each test breaks one thing."""


def caches(url: str, **options: Any) -> dict[str, Any]:
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "axes": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": options or {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        },
    }


def closed_url() -> str:
    """A Redis URL where nothing listens: Redis is down."""
    return f"redis://127.0.0.1:{free_port()}/0"


def django(tmp_path: Path, code: str | None, *args: str, **settings: Any) -> tuple[int, str]:
    """Run ``python -m django <args>`` (or ``python -c code``) on a settings module made of
    ``SETTINGS`` and ``settings``; return the exit status and everything printed."""
    module = tmp_path / "newcomer_settings.py"
    values = {**SETTINGS, "CACHES": caches(closed_url()), **settings}
    module.write_text("".join(f"{name} = {value!r}\n" for name, value in values.items()))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(PROJECT_ROOT)])
    env["DJANGO_SETTINGS_MODULE"] = "newcomer_settings"
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "django", *args]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stdout + done.stderr


def assert_no_traceback(output: str) -> None:
    assert "Traceback" not in output, output


# --- axes missing from INSTALLED_APPS: E004 ------------------------------------------------


def test_missing_axes_app_is_e004_not_a_crash(tmp_path):
    """Django's own auth check imports every MIDDLEWARE entry, and django-axes' middleware
    imports its models, which cannot load without the app: `check` used to die on a
    RuntimeError about AccessFailureLog before E004 could say what is wrong."""
    apps = [app for app in SETTINGS["INSTALLED_APPS"] if app != "axes"]
    status, output = django(tmp_path, None, "check", INSTALLED_APPS=apps)
    assert status == 1
    assert_no_traceback(output)
    assert "AccessFailureLog" not in output
    assert "(axes_redis.E004)" in output
    assert "HINT: Add 'axes' to INSTALLED_APPS (before 'axes_redis')." in output


def test_missing_axes_app_stops_the_server_with_e004s_words(tmp_path):
    """A server started without `check` (gunicorn loads the WSGI app) says the same."""
    apps = [app for app in SETTINGS["INSTALLED_APPS"] if app != "axes"]
    code = "from django.core.wsgi import get_wsgi_application; get_wsgi_application()"
    status, output = django(tmp_path, code, INSTALLED_APPS=apps)
    assert status == 1
    assert "'axes' is not in INSTALLED_APPS (system check axes_redis.E004)" in output


# --- AXES_HANDLER mistyped, or axes_redis not installed: E011, startup error -------------


@pytest.mark.parametrize(
    "typo", ["axes_redis.handler.AxesRedisHandlr", "axes_redis.handlers.AxesRedisHandler"]
)
def test_mistyped_handler_is_e011_at_check_time(tmp_path, typo):
    """A typo used to pass `check` and fail the first login with an ImportError (a 500)."""
    status, output = django(tmp_path, None, "check", AXES_HANDLER=typo)
    assert status == 1
    assert_no_traceback(output)
    assert f"(axes_redis.E011) AXES_HANDLER = {typo!r} cannot be imported" in output
    assert f"HINT: Did you mean AXES_HANDLER = {HANDLER_PATH!r}?" in output


def test_missing_axes_redis_app_stops_the_server_at_startup(tmp_path):
    """Without 'axes_redis' installed none of its checks is registered, so `check` cannot
    see the mistake (nothing of ours is imported before Django runs the checks). The
    middleware can: it refuses to start, before any login, with the fix in its message."""
    apps = [app for app in SETTINGS["INSTALLED_APPS"] if app != "axes_redis"]
    code = "from django.core.wsgi import get_wsgi_application; get_wsgi_application()"
    status, output = django(tmp_path, code, INSTALLED_APPS=apps)
    assert status == 1
    assert "ImproperlyConfigured: " in output
    assert "'axes_redis' is not in INSTALLED_APPS" in output
    assert "Add 'axes_redis' to INSTALLED_APPS, after 'axes'." in output


# --- django-redis' OPTIONS on Django's RedisCache: E010 -------------------------------------


@pytest.mark.parametrize("deploy", [False, True])
def test_uppercase_options_are_e010_and_check_deploy_does_not_crash(tmp_path, deploy):
    """W002 used to claim the timeouts were missing, and `check --deploy` died on a TypeError."""
    config = caches(closed_url(), SOCKET_CONNECT_TIMEOUT=0.25, SOCKET_TIMEOUT=0.25)
    args = ["check", "--deploy"] if deploy else ["check"]
    status, output = django(tmp_path, None, *args, CACHES=config)
    assert status == 1
    assert_no_traceback(output)
    assert "TypeError" not in output
    assert "axes_redis.W002" not in output
    assert output.count("(axes_redis.E010)") == 1
    assert "{'socket_connect_timeout': 0.25, 'socket_timeout': 0.25}" in output


# --- Redis down under the commands: one line, exit status 1 ---------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["axes_redis", "list"],
        ["axes_redis", "stats"],
        ["axes_redis", "log"],
        ["axes_redis", "list", "--verbosity", "2"],
        ["axes_reset"],
        ["axes_reset_username", "alice"],
        ["axes_reset_ip", "10.0.0.1"],
    ],
)
def test_redis_down_is_one_line_not_a_traceback(tmp_path, args):
    """An operator's command during an incident must say what failed, not print 75 lines."""
    url = closed_url()
    status, output = django(tmp_path, None, *args, CACHES=caches(url))
    assert status == 1
    assert_no_traceback(output)
    (line,) = output.strip().splitlines()
    port = url.rsplit(":", 1)[1].split("/")[0]
    assert line.startswith(f"RedisCommandError: Redis at 127.0.0.1:{port}/0 failed during ")
    assert "Connection refused" in line
    assert "check --deploy" in line


def test_djangos_common_options_work_after_the_subcommand(tmp_path, private_server_url):
    """`manage.py axes_redis list --settings ... --verbosity 2` as well as before it."""
    settings = {"CACHES": caches(private_server_url)}
    for args in (
        ["axes_redis", "list", "--settings", "newcomer_settings", "--verbosity", "2"],
        ["axes_redis", "--verbosity", "2", "stats", "--no-color"],
        ["axes_redis", "log", "--traceback", "--skip-checks", "-v", "0"],
    ):
        status, output = django(tmp_path, None, *args, **settings)
        assert status == 0, output
        assert_no_traceback(output)

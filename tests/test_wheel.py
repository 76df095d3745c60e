"""The built wheel works on its own: scripts packaged, installable, and counting in Redis.

Slow (builds a wheel, creates a venv, downloads the dependencies from the package
index): run by ``make test-slow``. The wheel is built with build isolation because
the build backend pinned in pyproject.toml (setuptools>=77, for the SPDX
``license``) is newer than the one a plain venv carries. The source tree is copied
first so the build's ``build/`` and ``*.egg-info`` never land in the project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import redis

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("admit.lua", "record_failure.lua", "get_failures.lua", "release.lua")
PREFIX = "wheeltest"
EXPECTED_KEY = f"{PREFIX}:client:{{ip_address=127.0.0.1}}"
INSTALL_TIMEOUT = 240

PROBE = textwrap.dedent(
    """
    import sys

    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "axes",
            "axes_redis",
        ],
        MIDDLEWARE=["axes.middleware.AxesMiddleware", "axes_redis.middleware.AxesRedisMiddleware"],
        AXES_HANDLER="axes_redis.handler.AxesRedisHandler",
        AXES_CACHE="axes",
        AXES_REDIS_KEY_PREFIX=sys.argv[2],
        AXES_FAILURE_LIMIT=5,
        AXES_COOLOFF_TIME=1,
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "axes": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": sys.argv[1],
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            },
        },
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        ROOT_URLCONF=__name__,
        USE_TZ=True,
        SECRET_KEY="wheel-test",
        ALLOWED_HOSTS=["testserver"],
        LOGGING_CONFIG=None,
    )
    urlpatterns = []
    django.setup()

    import axes_redis
    from django.core.checks import run_checks
    from django.test import RequestFactory

    from axes_redis.handler import AxesRedisHandler

    print("module", axes_redis.__file__)
    print("checks", sorted(str(m.id) for m in run_checks() if str(m.id).startswith("axes_redis")))
    handler = AxesRedisHandler()
    credentials = {"username": "alice"}
    for _ in range(2):
        request = RequestFactory().post("/login/", {"username": "alice", "password": "x"})
        handler.user_login_failed(sender=None, credentials=credentials, request=request)
    request = RequestFactory().post("/login/", {"username": "alice", "password": "x"})
    print("failures", handler.get_failures(request, credentials))
    """
)


def clean_env() -> dict[str, str]:
    """The environment minus anything that could point Python back at the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DJANGO_"))}
    env.pop("VIRTUAL_ENV", None)
    return env


def run(args: list[str], *, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "axes-redis"
    shutil.copytree(
        PROJECT_ROOT,
        source,
        symlinks=True,  # axes_redis/lua -> ../lua stays a link, as in the repository
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            ".hypothesis",
            "benchmarks",
        ),
    )
    out = tmp_path_factory.mktemp("wheelhouse")
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        cwd=out,
        timeout=INSTALL_TIMEOUT,
    )
    (built,) = out.glob("axes_redis-*.whl")
    return built


def test_wheel_ships_the_lua_scripts_byte_for_byte(wheel):
    """A wheel without its Lua scripts would install fine and fail at the first login."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for script in SCRIPTS:
            assert f"axes_redis/lua/{script}" in names
            assert (
                archive.read(f"axes_redis/lua/{script}")
                == (PROJECT_ROOT / "lua" / script).read_bytes()
            )
        assert "axes_redis/py.typed" in names
        assert not any(name.startswith("tests/") for name in names)


def test_installed_wheel_counts_failures_in_redis(wheel, tmp_path, redis_server_url):
    """The package as users get it must count failures in Redis, without the source tree."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, timeout=120)
    python = venv / "bin" / "python"
    run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        cwd=tmp_path,
        timeout=INSTALL_TIMEOUT,
    )
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    raw = redis.Redis.from_url(redis_server_url)
    raw.flushdb()
    try:
        result = run(
            [str(python), "-I", str(probe), redis_server_url, PREFIX], cwd=tmp_path, timeout=120
        )
        lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
        assert Path(lines["module"]).is_relative_to(venv)
        assert not Path(lines["module"]).is_relative_to(PROJECT_ROOT)
        assert lines["checks"] == "[]"
        assert lines["failures"] == "2"
        assert raw.exists(EXPECTED_KEY) == 1
        assert raw.hget(EXPECTED_KEY, "failures") == b"2"
        assert 0 < raw.pttl(EXPECTED_KEY) <= 3_600_000  # AXES_COOLOFF_TIME=1 (hour)
    finally:
        raw.flushdb()
        raw.close()

"""The built package works on its own: scripts packaged, installable, and counting in Redis.

Slow (builds the sdist and, from it, the wheel; creates a venv, downloads the dependencies
from the package index): run by ``make test-slow``. ``python -m build`` builds with build
isolation because the build backend pinned in pyproject.toml (setuptools>=77, for the SPDX
``license`` and ``license-files``) is newer than the one a plain venv carries. The source
tree is copied first, without any symbolic link, so the build's ``build/`` and
``*.egg-info`` never land in the project and the Lua scripts reach the wheel through
pyproject.toml's ``package-dir`` mapping alone.
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest
import redis

import axes_redis

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = tuple(sorted(path.name for path in (PROJECT_ROOT / "lua").glob("*.lua")))
USER_EXTRAS = ["django-redis", "hiredis"]
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
    from axes_redis import scripts

    print("scripts", scripts.folder())
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


SKIPPED = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".nox",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


def without_links(directory: str, names: list[str]) -> set[str]:
    """copytree's ignore: the usual clutter, and every symbolic link (none may be needed)."""
    links = {name for name in names if os.path.islink(os.path.join(directory, name))}
    return set(SKIPPED(directory, names)) | links


def test_tree_has_no_symbolic_links():
    """A link in the repository breaks Windows checkouts (git writes it as a text file)."""
    found = []
    for directory, subdirectories, files in os.walk(PROJECT_ROOT):
        names = subdirectories + files
        skipped = SKIPPED(directory, names)
        paths = [os.path.join(directory, name) for name in names if name not in skipped]
        found += [path for path in paths if os.path.islink(path)]
        subdirectories[:] = [name for name in subdirectories if name not in skipped]
    assert found == []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel): ``python -m build`` makes the sdist, then the wheel from the sdist, so
    the wheel can only hold what the sdist carries."""
    source = tmp_path_factory.mktemp("source") / "axes-redis"
    shutil.copytree(PROJECT_ROOT, source, symlinks=True, ignore=without_links)
    out = tmp_path_factory.mktemp("dist")
    run(
        [sys.executable, "-m", "build", "-o", str(out), str(source)],
        cwd=out,
        timeout=INSTALL_TIMEOUT,
    )
    (sdist,) = out.glob("axes_redis-*.tar.gz")
    (wheel,) = out.glob("axes_redis-*.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def wheel(built: tuple[Path, Path]) -> Path:
    return built[1]


@pytest.mark.slow
def test_wheel_ships_the_lua_scripts_byte_for_byte(wheel):
    """A wheel without its Lua scripts would install fine and fail at the first login."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert SCRIPTS
        for script in SCRIPTS:
            assert f"axes_redis/lua/{script}" in names
            assert (
                archive.read(f"axes_redis/lua/{script}")
                == (PROJECT_ROOT / "lua" / script).read_bytes()
            )
        assert "axes_redis/py.typed" in names
        assert not any(name.startswith("tests/") for name in names)
        # The packages are listed in pyproject.toml, not discovered: a module or template
        # in a new folder must be listed there too, or it would be missing here.
        shipped = {
            path.relative_to(PROJECT_ROOT).as_posix()
            for path in (PROJECT_ROOT / "axes_redis").rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }
        assert shipped <= names


@pytest.mark.slow
def test_wheel_metadata_is_what_users_see(wheel):
    """Version from axes_redis.__version__, the MIT license file, and no contributor-only
    extras (dev, bench, browser, docs, demo are dependency groups, never published)."""
    with zipfile.ZipFile(wheel) as archive:
        info = f"axes_redis-{axes_redis.__version__}.dist-info"
        meta = email.message_from_bytes(archive.read(f"{info}/METADATA"))
        assert archive.read(f"{info}/licenses/LICENSE") == (PROJECT_ROOT / "LICENSE").read_bytes()
    assert meta["Version"] == axes_redis.__version__
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert sorted(meta.get_all("Provides-Extra") or []) == USER_EXTRAS
    assert "Framework :: Django :: 4.2" in (meta.get_all("Classifier") or [])


@pytest.mark.slow
def test_sdist_carries_the_source_and_no_tests(built):
    """The sdist builds the wheel (lua/ included) and carries no tests: they need the
    repository's conftest, helpers and servers, so a partial copy could not run."""
    sdist = built[0]
    top = f"axes_redis-{axes_redis.__version__}"
    with tarfile.open(sdist) as archive:
        members = archive.getmembers()
    names = {member.name.removeprefix(f"{top}/") for member in members}
    assert not [member.name for member in members if member.issym() or member.islnk()]
    for required in ["pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "PKG-INFO"]:
        assert required in names
    assert {f"lua/{script}" for script in SCRIPTS} <= names
    assert "axes_redis/scripts.py" in names
    assert not [name for name in names if name.split("/")[0] in {"tests", "benchmarks", "docs"}]


@pytest.mark.slow
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
        assert Path(lines["scripts"]) == Path(lines["module"]).parent / "lua"
        assert lines["checks"] == "[]"
        assert lines["failures"] == "2"
        assert raw.exists(EXPECTED_KEY) == 1
        assert raw.hget(EXPECTED_KEY, "fails") == b"2"
        assert 0 < raw.pttl(EXPECTED_KEY) <= 3_600_000  # AXES_COOLOFF_TIME=1 (hour)
    finally:
        raw.flushdb()
        raw.close()

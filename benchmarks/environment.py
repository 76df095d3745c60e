"""Where the bench runs: its Redis, its PostgreSQL, and the versions it reports.

The bench Redis is ``BENCH_REDIS_URL``; else ``REDIS_URL`` moved to database 14; else
``redis://127.0.0.1:6379/14``; if none answers, a throwaway ``redis-server``. PostgreSQL is
``DATABASE_URL``, else ``postgres://postgres@127.0.0.1:5432/postgres``, in which a throwaway
database is created and dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = 14
"""Redis database the bench uses (and flushes); the test suite uses 15."""

DISTRIBUTIONS = (
    "Django",
    "django-axes",
    "redis",
    "django-redis",
    "django-defender",
    "psycopg",
    "hiredis",
)


def bench_redis_candidate() -> str:
    if os.environ.get("BENCH_REDIS_URL"):
        return os.environ["BENCH_REDIS_URL"]
    if os.environ.get("REDIS_URL"):
        parts = urlsplit(os.environ["REDIS_URL"])
        return urlunsplit((parts.scheme, parts.netloc, f"/{BENCH_DB}", parts.query, ""))
    return f"redis://127.0.0.1:6379/{BENCH_DB}"


@contextmanager
def bench_redis() -> Iterator[tuple[str, str]]:
    """(url, where it came from)."""
    from testsupport.redis_server import answers, throwaway_server

    url = bench_redis_candidate()
    if answers(url):
        yield url, "running server"
        return
    with throwaway_server() as started:
        yield started, f"throwaway redis-server ({url} did not answer)"


@contextmanager
def bench_postgres() -> Iterator[tuple[str | None, str]]:
    """(url of a throwaway database, or None, and why)."""
    try:
        import psycopg
    except ImportError as exc:
        yield None, f"psycopg not installed ({exc})"
        return
    admin_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"axes_bench_{os.getpid()}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except Exception as exc:
        yield None, f"no PostgreSQL at {admin_url}: {str(exc).strip().splitlines()[0]}"
        return
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(admin_url)
        version = admin.execute("SHOW server_version").fetchone()
        yield (
            urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, "")),
            f"PostgreSQL {version[0] if version else '?'}, throwaway database {name}",
        )
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def versions(redis_url: str) -> dict[str, Any]:
    import platform
    import shutil
    import subprocess
    from importlib.metadata import PackageNotFoundError, version

    import redis

    found: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "cpu": "?",
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                found["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    for dist in DISTRIBUTIONS:
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = None
    found["redis_server"] = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    valgrind = shutil.which("valgrind")
    found["valgrind"] = (
        subprocess.run([valgrind, "--version"], capture_output=True, text=True).stdout.strip()
        if valgrind
        else None
    )
    return found

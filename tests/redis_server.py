"""A real redis-server for the test and benchmark suites.

Use the one at ``REDIS_URL`` when it answers; otherwise start a throwaway
``redis-server`` on a free loopback port and stop it afterwards. Nothing here is
a stand-in: every test talks to a real server over a socket.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

DEFAULT_URL = "redis://127.0.0.1:6379/15"
REQUIRE_ENV = "AXES_REDIS_REQUIRE_SERVER"
SERVER_ENV = "AXES_REDIS_TEST_SERVER"
"""``fakeredis``: run against fakeredis' TCP server, a compatibility run, never instead."""


class RedisUnavailable(RuntimeError):
    pass


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_server(*extra: str, port: int | None = None) -> Iterator[str]:
    """Start ``redis-server`` (on ``port`` or a free one) without persistence; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable("no redis-server on PATH (Debian package: redis-server)")
    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix="axes-redis-test-")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RedisUnavailable(f"redis-server on port {port} did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def fakeredis_server() -> Iterator[str]:
    """fakeredis' Redis-compatible TCP server in a thread, on a free port."""
    from fakeredis import TcpFakeServer

    port = free_port()
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def redis_url() -> Iterator[str]:
    """``REDIS_URL`` if it answers, else a throwaway server for the duration."""
    if os.environ.get(SERVER_ENV) == "fakeredis":
        with fakeredis_server() as fake:
            yield fake
        return
    url = os.environ.get("REDIS_URL", DEFAULT_URL)
    if answers(url):
        yield url
        return
    with throwaway_server() as started:
        yield started

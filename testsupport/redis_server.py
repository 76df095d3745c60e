"""A real redis-server for the test and benchmark suites.

Use the one at ``REDIS_URL`` when it is given and answers; otherwise start a
throwaway ``redis-server`` on a free loopback port and stop it afterwards. There
is no default URL: the suite flushes its database, so it must never pick up
whatever Redis happens to listen on 127.0.0.1:6379. Nothing here is a stand-in:
every test talks to a real server over a socket.
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
from contextlib import ExitStack, contextmanager

import redis

from axes_redis import scripts

URL_ENV = "REDIS_URL"
"""A Redis of the caller's (its database is flushed); unset, a throwaway server is started."""
REQUIRE_ENV = "AXES_REDIS_REQUIRE_SERVER"
SERVER_ENV = "AXES_REDIS_TEST_SERVER"
"""``fakeredis`` (fakeredis' TCP server: a compatibility run, never instead) or ``cluster``."""


class RedisUnavailable(RuntimeError):
    pass


def answers(url: str) -> bool:
    """A PING in RESP2, which every server speaks: one without ``HELLO`` (Redis < 6, or
    a test server with it renamed away) is started and used like any other."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, protocol=2).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def free_port() -> int:
    """A free loopback port low enough that its cluster bus port (+10000) exists too.

    The kernel hands out ports up to 60999; a cluster node on 59047 cannot start,
    because its bus port would be 69047.
    """
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port <= 65535 - 10000:
            return port


def _start(binary: str, port: int, workdir: str, extra: tuple[str, ...]) -> subprocess.Popen[bytes]:
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", workdir, *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not answers(f"redis://127.0.0.1:{port}/0"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RedisUnavailable(f"redis-server on port {port} did not start")
            time.sleep(0.05)
    except BaseException:
        # Whatever stops the wait (no answer, a ResponseError such as an old server
        # refusing redis-py's HELLO 3, Ctrl-C), the half-started server goes with it.
        process.kill()
        process.wait(timeout=10)
        raise
    return process


@contextmanager
def throwaway_server(*extra: str, port: int | None = None) -> Iterator[str]:
    """Start ``redis-server`` (on ``port`` or a free one) without persistence; yield its URL.

    A free port can be taken by someone else before the server binds it, so an
    unpinned start is retried on another port.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable("no redis-server on PATH (Debian package: redis-server)")
    workdir = tempfile.mkdtemp(prefix="axes-redis-test-")
    try:
        for attempt in range(1 if port else 3):
            chosen = port or free_port()
            try:
                process = _start(binary, chosen, workdir, extra)
                break
            except RedisUnavailable:
                if attempt == (0 if port else 2):
                    raise
        try:
            yield f"redis://127.0.0.1:{chosen}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def throwaway_cluster(primaries: int = 3) -> Iterator[list[tuple[str, int]]]:
    """A real Redis Cluster of ``primaries`` nodes on loopback; yield their addresses."""
    cli = shutil.which("redis-cli")
    if cli is None:
        raise RedisUnavailable("no redis-cli on PATH (Debian package: redis-tools)")
    with ExitStack() as stack:
        nodes = []
        for _ in range(primaries):
            url = stack.enter_context(
                throwaway_server("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
            )
            nodes.append(("127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0])))
        subprocess.run(
            [cli, "--cluster", "create", *(f"{h}:{p}" for h, p in nodes), "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while not all(_cluster_ok(host, port) for host, port in nodes):
            if time.monotonic() > deadline:
                raise RedisUnavailable("the test cluster did not reach cluster_state:ok")
            time.sleep(0.1)
        yield nodes


def _cluster_ok(host: str, port: int) -> bool:
    info = redis.Redis(host=host, port=port).cluster("info")
    return bool(info.get("cluster_state") == "ok")


@contextmanager
def fakeredis_server() -> Iterator[str]:
    """fakeredis' Redis-compatible TCP server in a thread, on a free port."""
    from fakeredis import TcpFakeServer

    port = free_port()
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"redis://127.0.0.1:{port}/0"
    # fakeredis' TCP server sometimes drops the connection on a SCRIPT LOAD that
    # follows a NOSCRIPT reply; loading every script up front avoids that path.
    with redis.Redis.from_url(url) as preload:
        for script in scripts.folder().iterdir():
            preload.script_load(script.read_bytes())
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def redis_url() -> Iterator[str]:
    """``REDIS_URL`` if it is given and answers, else a throwaway server for the duration."""
    if os.environ.get(SERVER_ENV) == "fakeredis":
        with fakeredis_server() as fake:
            yield fake
        return
    url = os.environ.get(URL_ENV)
    if url and answers(url):
        yield url
        return
    with throwaway_server() as started:
        yield started


@contextmanager
def throwaway_sentinel(service: str = "mymaster") -> Iterator[tuple[tuple[str, int], str]]:
    """A primary, one replica and one sentinel watching them; yield the sentinel and primary URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable("no redis-server on PATH (Debian package: redis-server)")
    with ExitStack() as stack:
        primary = stack.enter_context(throwaway_server())
        primary_port = primary.rsplit(":", 1)[1].split("/")[0]
        stack.enter_context(throwaway_server("--replicaof", "127.0.0.1", primary_port))
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="axes-redis-sentinel-"))
        port = free_port()
        config = os.path.join(workdir, "sentinel.conf")
        with open(config, "w") as handle:
            handle.write(
                f"port {port}\nbind 127.0.0.1\ndir {workdir}\n"
                f"sentinel monitor {service} 127.0.0.1 {primary_port} 1\n"
                f"sentinel down-after-milliseconds {service} 1000\n"
                f"sentinel failover-timeout {service} 5000\n"
            )
        process = subprocess.Popen(
            [binary, config, "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        stack.callback(process.wait, 10)
        stack.callback(process.terminate)
        sentinel = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                replicas = sentinel.sentinel_slaves(service)
                if replicas and all(
                    "s_down" not in r["flags"] and r.get("master-link-status") == "ok"
                    for r in replicas
                ):
                    break
            except (redis.ConnectionError, redis.ResponseError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RedisUnavailable("the test sentinel did not see its replica")
            time.sleep(0.1)
        yield ("127.0.0.1", port), primary

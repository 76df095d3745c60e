"""``make demo`` end to end: the example project started as the Makefile starts it, a lockout
driven over HTTP, the printed reset command run, the process stopped.

Slow (a subprocess migrates a SQLite database and serves HTTP): run by ``make test-slow``. One
case points ``REDIS_URL`` at a closed port, so the demo falls back to its embedded fakeredis
server and is stopped with Ctrl-C (SIGINT); the other runs on the real test Redis and is stopped
with SIGTERM.
"""

from __future__ import annotations

import html
import re
import shlex
import signal
import subprocess
from pathlib import Path

import pytest
from redis import Redis

from tests.support.demo import (
    ALICE_KEY,
    ENTRY_POINT,
    LIMIT,
    PROJECT_ROOT,
    Browser,
    Demo,
    lock_out_alice,
    running_demo,
)
from testsupport.redis_server import free_port

pytestmark = pytest.mark.slow


def stop(demo: Demo, signum: int) -> None:
    demo.process.send_signal(signum)
    try:
        returncode = demo.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the demo ignored signal {signum}:\n{demo.output()}")
    assert returncode == 0, demo.output()
    assert "Demo stopped." in demo.output()


def printed_reset(demo: Demo) -> list[str]:
    """Run the ``axes_reset`` line the demo printed, exactly as printed; return its output."""
    line = next(line for line in demo.output().splitlines() if "manage.py axes_reset" in line)
    return run_as_printed(demo, line, ["axes_reset"])


def run_as_printed(demo: Demo, line: str, command: list[str]) -> list[str]:
    """Run a ``manage.py`` line the demo showed, as a shell would; return its output."""
    words = shlex.split(line, comments=True)
    env = dict(demo.env)
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[1:] == ["example/manage.py", *command], line
    done = subprocess.run(
        words, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return (done.stdout + done.stderr).splitlines()


def shown_command(page: str, element_id: str) -> str:
    """The command line a ``<code id=...>`` of the lockout page shows, unescaped."""
    found = re.search(rf'<code id="{element_id}">([^<]*)</code>', page)
    assert found, page
    return html.unescape(found[1])


def alice_logs_in(demo: Demo) -> None:
    status, page = Browser(demo.base).login("alice", "alice-password")
    assert status == 200, page
    assert "Signed in as <strong>alice</strong>" in page


def test_make_demo_runs_the_entry_point_under_test() -> None:
    """The smoke tests must start what `make demo` starts, not a look-alike that could drift."""
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert re.search(rf"/python {re.escape(ENTRY_POINT)}\s*$", dry_run.stdout, re.M), dry_run


def test_demo_on_embedded_server_locks_out_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """With no Redis at REDIS_URL the demo must still enforce lockouts (embedded server) and
    Ctrl-C must stop it, embedded server included."""
    closed_port = free_port()
    with running_demo(tmp_path, f"redis://127.0.0.1:{closed_port}/0") as demo:
        banner = demo.output()
        assert "embedded fakeredis server at redis://127.0.0.1:" in banner
        assert "alice / alice-password" in banner
        assert "admin / admin (superuser)" in banner
        assert f"REDIS_URL=redis://127.0.0.1:{closed_port}/0 " not in banner

        page = lock_out_alice(demo)
        status, home = Browser(demo.base).open("/")
        assert status == 200
        assert f"<code>{ALICE_KEY}</code>" in home
        assert '<span class="locked">locked</span>' in home

        # The lockout page's command, run exactly as shown, reaches the embedded server.
        line = shown_command(page, "reset-user-command")
        assert line.startswith("REDIS_URL=redis://127.0.0.1:"), line
        reset = ["axes_redis", "reset", "--username", "alice"]
        assert "1 client(s) removed." in run_as_printed(demo, line, reset)
        alice_logs_in(demo)
        page = lock_out_alice(demo)
        line = shown_command(page, "reset-all-command")
        assert "1 attempts removed." in run_as_printed(demo, line, ["axes_reset"])
        alice_logs_in(demo)

        lock_out_alice(demo)
        assert "1 attempts removed." in printed_reset(demo)
        alice_logs_in(demo)
        stop(demo, signal.SIGINT)


def test_demo_on_real_redis_locks_out_and_stops_on_sigterm(
    tmp_path: Path, redis_server_url: str
) -> None:
    """With Redis at REDIS_URL the demo must use it (lockout keys land there, the printed reset
    clears them) and SIGTERM must stop it."""
    redis = Redis.from_url(redis_server_url)
    redis.flushdb()
    try:
        with running_demo(tmp_path, redis_server_url) as demo:
            assert f"{redis_server_url} (a real Redis server" in demo.output()

            lock_out_alice(demo)
            assert redis.hget(ALICE_KEY, "fails") == str(LIMIT + 1).encode()
            assert 0 < redis.pttl(ALICE_KEY) <= 120_000

            assert "1 attempts removed." in printed_reset(demo)
            assert not redis.exists(ALICE_KEY)
            alice_logs_in(demo)
            stop(demo, signal.SIGTERM)
    finally:
        redis.flushdb()
        redis.close()

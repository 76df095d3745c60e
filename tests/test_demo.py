"""``make demo`` end to end: the example project started as the Makefile starts it, a lockout
driven over HTTP, the printed reset command run, the process stopped.

Slow (a subprocess migrates a SQLite database and serves HTTP): run by ``make test-slow``. One
case points ``REDIS_URL`` at a closed port, so the demo falls back to its embedded fakeredis
server and is stopped with Ctrl-C (SIGINT); the other runs on the real test Redis and is stopped
with SIGTERM.
"""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from testsupport.redis_server import free_port

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINT = "example/run_demo.py"
START_TIMEOUT = 30.0
LIMIT = 3  # AXES_FAILURE_LIMIT in example/demo_project/settings.py
ALICE_KEY = "axes:client:{ip_address=127.0.0.1|username=alice}"
LOCKOUT_TEXT = "Too many failed logins"


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    env: dict[str, str]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Browser:
    """A cookie-keeping HTTP client that logs in the way a person does: GET the form, POST it."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def open(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        try:
            with self.opener.open(request, timeout=10) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()

    def login(self, username: str, password: str) -> tuple[int, str]:
        status, page = self.open("/login/")
        assert status == 200, page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page
        form = {"csrfmiddlewaretoken": token[1], "username": username, "password": password}
        return self.open("/login/", form)


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/login/", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_demo(tmp_path: Path, redis_url: str) -> Iterator[Demo]:
    """The demo's entry point as ``make demo`` runs it, on a free port and a fresh database."""
    port = free_port()
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest-django's, not the demo's
    env.update(
        DEMO_PORT=str(port),
        DEMO_DB=str(tmp_path / "demo.sqlite3"),
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "demo.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, ENTRY_POINT],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    demo = Demo(process, f"http://127.0.0.1:{port}", log, env)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(demo.base):
            assert process.poll() is None, f"the demo exited early:\n{demo.output()}"
            assert time.monotonic() < deadline, f"the demo did not answer:\n{demo.output()}"
            time.sleep(0.2)
        yield demo
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


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


def lock_out_alice(demo: Demo) -> str:
    """Wrong passwords until the lockout page; then the right one is refused, bob unaffected.

    Returns the lockout page."""
    attacker = Browser(demo.base)
    statuses = []
    for _ in range(LIMIT + 2):
        status, page = attacker.login("alice", "not-her-password")
        statuses.append(status)
        if status == 429:
            break
    assert statuses == [200] * (LIMIT - 1) + [429], statuses
    assert LOCKOUT_TEXT in page
    assert "<strong>alice</strong> is locked out after\n  3 failed login attempts" in page
    # The first tier (2 minutes), counted down from the key's TTL.
    seconds = re.search(r'<strong id="seconds-left">(\d+)</strong>', page)
    assert seconds, page
    assert 110 <= int(seconds[1]) <= 120
    assert "Tier in force: 3\n  failures lock for 0:02:00" in page
    lockout_page = page

    status, page = Browser(demo.base).login("alice", "alice-password")
    assert status == 429
    assert LOCKOUT_TEXT in page

    status, page = Browser(demo.base).login("bob", "bob-password")
    assert status == 200
    assert "Signed in as <strong>bob</strong>" in page
    return lockout_page


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
    client = redis.Redis.from_url(redis_server_url)
    client.flushdb()
    try:
        with running_demo(tmp_path, redis_server_url) as demo:
            assert f"{redis_server_url} (a real Redis server" in demo.output()

            lock_out_alice(demo)
            assert client.hget(ALICE_KEY, "failures") == str(LIMIT + 1).encode()
            assert 0 < client.pttl(ALICE_KEY) <= 120_000

            assert "1 attempts removed." in printed_reset(demo)
            assert not client.exists(ALICE_KEY)
            alice_logs_in(demo)
            stop(demo, signal.SIGTERM)
    finally:
        client.flushdb()
        client.close()

"""The example project started as ``make demo`` starts it, and a lockout driven over HTTP.

Shared by the demo's smoke tests and the admin's browser test: both need the real entry point
on a free port and alice locked out the way a person would lock her out.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
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

from testsupport.redis_server import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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

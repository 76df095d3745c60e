"""The parallel guard through real servers, from both sides, beside django-axes' cache handler.

The project in ``tests/server_project`` is served by gunicorn (``gthread``, one worker, 16
threads) and by uvicorn, once per handler: ours (``AxesRedisHandler``) and django-axes'
``AxesCacheHandler`` on the same Redis-backed cache, with the same middleware and backends.
Real PBKDF2 (100,000 iterations), L = ``AXES_FAILURE_LIMIT`` = 3, concurrent requests
released together by a barrier. A counting ``ModelBackend`` tells how many passwords were
evaluated.

* Honest users must be answered as the cache handler answers them (200 or 302), leave no
  failure and no guess in flight behind.
* Attackers must get exactly L evaluations from ours; what the cache handler gives is
  recorded and, where the race is the known difference, asserted to be more.
* p50/max latencies are printed (``-s``) with every other figure, and written as JSON to
  ``AXES_REDIS_SERVER_REPORT`` when set. No timing is asserted here; that is the
  benchmarks' job.

Slow (servers, hundreds of password hashes): marked ``server``, run by ``make test-server``
(``pytest -m server -s``) and left out of every other target, fakeredis and cluster included.
"""

from __future__ import annotations

import base64
import http.client
import http.cookies
import json
import math
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest
import redis

from tests.server_project import (
    ENV,
    EVALUATED_AT_KEY,
    EVALUATIONS_KEY,
    FAILURE_LIMIT,
    NAT_USERS,
    USERS,
)
from tests.server_project.serve import PROJECT_ROOT, Served, served
from testsupport.redis_server import SERVER_ENV

pytestmark = pytest.mark.server

L = FAILURE_LIMIT
HANDLERS = {
    "ours": "axes_redis.handler.AxesRedisHandler",
    "cache": "axes.handlers.cache.AxesCacheHandler",
}
LABELS = {"ours": "axes-redis", "cache": "AxesCacheHandler"}

HOLD = 2.0
"""``AXES_REDIS_GUARD_HOLD`` of the short-hold configuration (default 30 s)."""
WAIT = 1.0
"""``AXES_REDIS_GUARD_WAIT`` of the short-hold configuration (default 10 s): shorter than
the hold, so a login that finds every slot held by crashed requests is refused as busy."""
WINDOW_TOLERANCE = 0.25
"""Seconds between a guess's admission and its count in the backend, at most."""

CONFIGS: dict[str, dict[str, str]] = {
    # One username from one IP, the guard at its defaults.
    "default": {},
    # Everybody behind one IP is one client: a NAT, an office.
    "nat": {ENV["lockout_parameters"]: '["ip_address"]'},
    # Crashed requests hold their slots briefly; a login waits less than that.
    "short-hold": {ENV["guard_hold"]: str(HOLD), ENV["guard_wait"]: str(WAIT)},
}

BUSY_TEXT = "Too many sign-ins for this account are being checked right now"
LOCKOUT_TEXT = "Account locked"
REPORT_ENV = "AXES_REDIS_SERVER_REPORT"
ALICE = "alice"
ALICE_PASSWORD = USERS[ALICE]


# --- HTTP client ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    """Lower-case names."""
    body: str
    seconds: float


def basic_auth(path: str, username: str, password: str) -> Call:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return Call("GET", path, {"Authorization": f"Basic {token}"})


def connection_to(server: Served, timeout: float = 60.0) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(server.host, server.port, timeout=timeout)


def send(connection: http.client.HTTPConnection, call: Call) -> Reply:
    """One request on ``connection`` (kept open for the next), timed to the last byte."""
    started = time.perf_counter()
    connection.request(call.method, call.path, body=call.body, headers=dict(call.headers))
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    headers = {name.lower(): value for name, value in response.getheaders()}
    return Reply(response.status, headers, body, time.perf_counter() - started)


def send_once(server: Served, call: Call) -> Reply:
    connection = connection_to(server)
    try:
        return send(connection, call)
    finally:
        connection.close()


def fire(server: Served, calls: Sequence[Call]) -> list[Reply]:
    """Every call on its own connection, connected first, sent together (a barrier)."""
    barrier = threading.Barrier(len(calls))

    def one(call: Call) -> Reply:
        connection = connection_to(server)
        try:
            connection.connect()
            barrier.wait(timeout=30)
            return send(connection, call)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def form_login(server: Served, username: str, password: str) -> Call:
    """The POST of Django's login form, as a browser sends it after loading the form."""
    connection = connection_to(server)
    try:
        page = send(connection, Call("GET", "/login/"))
    finally:
        connection.close()
    assert page.status == 200, page.body
    cookie = http.cookies.SimpleCookie(page.headers["set-cookie"])["csrftoken"].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token, page.body
    form = {"csrfmiddlewaretoken": token[1], "username": username, "password": password}
    headers = {
        "Cookie": f"csrftoken={cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return Call("POST", "/login/", headers, urllib.parse.urlencode(form).encode())


def batch_of(username: str, passwords: Sequence[str]) -> Call:
    items = [{"username": username, "password": password} for password in passwords]
    return Call("POST", "/batch/", {"Content-Type": "application/json"}, json.dumps(items).encode())


def wrong_passwords(count: int, tag: str) -> list[str]:
    return [f"{tag}-wrong-{index}" for index in range(count)]


# --- What Redis holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    evaluations: int
    """Passwords the project evaluated (the counting backend)."""
    failures: int
    """Highest failure count stored for any client, by either handler."""
    inflight: int
    """Guesses ours holds in flight (members of ``axes:inflight:*``)."""
    client_keys: int
    """Keys either handler wrote for a client."""


def state(client: redis.Redis) -> State:
    failures = [0]
    client_keys = 0
    for key in client.scan_iter(match="axes:client:*", count=1000):
        client_keys += 1
        failures.append(int(client.hget(key, "fails") or 0))
    for key in client.scan_iter(match="*axes-*", count=1000):  # AxesCacheHandler's keys
        client_keys += 1
        failures.append(int(client.get(key) or 0))
    inflight = sum(int(client.zcard(key)) for key in client.scan_iter(match="axes:inflight:*"))
    evaluations = int(client.get(EVALUATIONS_KEY) or 0)
    return State(evaluations, max(failures), inflight, client_keys)


def evaluated_at(client: redis.Redis) -> list[float]:
    return sorted(float(value) for value in client.lrange(EVALUATED_AT_KEY, 0, -1))


def most_in_one_hold(times: Sequence[float], hold: float) -> int:
    """The largest number of evaluations that started within ``hold`` seconds of each other."""
    most = 0
    for index, start in enumerate(times):
        most = max(most, sum(1 for t in times[index:] if t < start + hold))
    return most


# --- Report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    scenario: str
    handler: str
    statuses: dict[int, int]
    evaluations: int
    failures: int
    inflight: int
    p50_ms: float | None
    max_ms: float | None
    note: str = ""

    def statuses_text(self) -> str:
        return " ".join(f"{status}x{count}" for status, count in sorted(self.statuses.items()))


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(
        self,
        scenario: str,
        handler: str,
        replies: Sequence[Reply],
        after: State,
        note: str = "",
    ) -> Row:
        seconds = [reply.seconds * 1000 for reply in replies]
        row = Row(
            scenario=scenario,
            handler=LABELS[handler],
            statuses=dict(Counter(reply.status for reply in replies)),
            evaluations=after.evaluations,
            failures=after.failures,
            inflight=after.inflight,
            p50_ms=round(statistics.median(seconds), 1) if seconds else None,
            max_ms=round(max(seconds), 1) if seconds else None,
            note=note,
        )
        self.rows.append(row)
        return row

    def table(self) -> str:
        header: tuple[str, ...] = ("scenario", "handler", "statuses", "evals", "failures")
        header += ("in flight", "p50 ms", "max ms", "note")
        lines: list[tuple[str, ...]] = [header]
        for row in self.rows:
            lines.append(
                (
                    row.scenario,
                    row.handler,
                    row.statuses_text(),
                    str(row.evaluations),
                    str(row.failures),
                    str(row.inflight),
                    "-" if row.p50_ms is None else f"{row.p50_ms:.1f}",
                    "-" if row.max_ms is None else f"{row.max_ms:.1f}",
                    row.note,
                )
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
            for line in lines
        )

    def latency_table(self) -> str:
        """Honest concurrent logins, ours beside the cache handler's: p50 / max in ms."""
        lines = ["scenario                         axes-redis p50/max   AxesCacheHandler p50/max"]
        scenarios = dict.fromkeys(r.scenario for r in self.rows if r.scenario.startswith("honest"))
        for scenario in scenarios:
            cells = []
            for label in LABELS.values():
                found = [r for r in self.rows if r.scenario == scenario and r.handler == label]
                cells.append(f"{found[0].p50_ms} / {found[0].max_ms}" if found else "-")
            lines.append(f"{scenario:<32} {cells[0]:<20} {cells[1]}")
        return "\n".join(lines)


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report() -> Iterator[Report]:
    collected = Report()
    started = time.monotonic()
    yield collected
    if not collected.rows:
        return
    print(f"\n\nParallel guard through real servers (L = {L}), {time.monotonic() - started:.0f} s")
    print(collected.table())
    if any(row.scenario.startswith("honest") for row in collected.rows):
        print("\nLatency of honest logins (ms)")
        print(collected.latency_table())
    target = os.environ.get(REPORT_ENV)
    if target:
        figures = {
            "failure_limit": L,
            "guard_hold_short": HOLD,
            "guard_wait_short": WAIT,
            "rows": [asdict(row) for row in collected.rows],
        }
        Path(target).write_text(json.dumps(figures, indent=2) + "\n")


@pytest.fixture(scope="module")
def server_redis_url(redis_server_url: str) -> str:
    if os.environ.get(SERVER_ENV):
        pytest.skip(f"the server suite needs a plain redis-server, not {SERVER_ENV}")
    return redis_server_url


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, server_redis_url: str) -> Path:
    """The project's SQLite file, migrated, with its users: made once per module."""
    path = tmp_path_factory.mktemp("server_project") / "db.sqlite3"
    env = project_env(server_redis_url, path, "ours", "default")
    done = subprocess.run(
        [sys.executable, "-m", "tests.server_project.setup_db"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return path


def project_env(redis_url: str, database: Path, handler: str, config: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            ENV["redis_url"]: redis_url,
            ENV["database"]: str(database),
            ENV["handler"]: HANDLERS[handler],
            "DJANGO_SETTINGS_MODULE": "tests.server_project.settings",
        }
    )
    env.update(CONFIGS[config])
    return env


class Servers:
    """Servers started on first use, one per (kind, handler, configuration), all stopped
    when the module ends, failed or not."""

    def __init__(self, stack: ExitStack, redis_url: str, database: Path, logs: Path) -> None:
        self.stack = stack
        self.redis_url = redis_url
        self.database = database
        self.logs = logs
        self.running: dict[tuple[str, str, str], Served] = {}

    def get(self, kind: str, handler: str, config: str = "default") -> Served:
        key = (kind, handler, config)
        if key not in self.running:
            env = project_env(self.redis_url, self.database, handler, config)
            log = self.logs / f"{kind}-{handler}-{config}.log"
            self.running[key] = self.stack.enter_context(served(kind, env, log))
        return self.running[key]


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, server_redis_url: str, database: Path
) -> Iterator[Servers]:
    with ExitStack() as stack:
        yield Servers(stack, server_redis_url, database, tmp_path_factory.mktemp("server_logs"))


@pytest.fixture
def rdb(server_redis_url: str) -> Iterator[redis.Redis]:
    """The servers' Redis database, empty at the start of the test."""
    client = redis.Redis.from_url(server_redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(params=list(HANDLERS))
def handler(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def assert_nothing_left(handler: str, after: State) -> None:
    """An honest run leaves ours without a stored failure or a guess in flight."""
    if handler == "ours":
        assert after.failures == 0, after
        assert after.inflight == 0, after


# --- Honest users --------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [2, 4, 8, 16, 32])
def test_honest_concurrent_basic_auth(servers, rdb, report, handler, concurrency):
    """An API client (or a page firing parallel XHRs) sends C requests with the right
    Basic credentials at once: none may wait out, be refused or count as a failure."""
    server = servers.get("wsgi", handler)
    replies = fire(server, [basic_auth("/basic/", ALICE, ALICE_PASSWORD)] * concurrency)
    after = state(rdb)
    report.add(f"honest basic C={concurrency}", handler, replies, after)
    assert [r.status for r in replies] == [200] * concurrency, replies
    assert after.evaluations == concurrency
    assert_nothing_left(handler, after)


def test_honest_concurrent_form_login(servers, rdb, report, handler):
    """Eight tabs submit Django's login form at once (``login()`` after ``authenticate()``):
    all are signed in."""
    server = servers.get("wsgi", handler)
    calls = [form_login(server, ALICE, ALICE_PASSWORD) for _ in range(8)]
    replies = fire(server, calls)
    after = state(rdb)
    report.add("honest form login C=8", handler, replies, after)
    assert [r.status for r in replies] == [302] * 8, replies
    assert all(r.headers.get("location") == "/page/" for r in replies)
    assert_nothing_left(handler, after)


def test_honest_concurrent_async_login(servers, rdb, report, handler):
    """Eight clients of an async view (``await aauthenticate()``, uvicorn) at once."""
    server = servers.get("asgi", handler)
    replies = fire(server, [basic_auth("/async-login/", ALICE, ALICE_PASSWORD)] * 8)
    after = state(rdb)
    report.add("honest async login C=8 (uvicorn)", handler, replies, after)
    assert [r.status for r in replies] == [200] * 8, replies
    assert after.evaluations == 8
    assert_nothing_left(handler, after)


def test_honest_colleagues_behind_one_nat(servers, rdb, report, handler):
    """Twelve colleagues behind one office IP sign in at once, with lockout by IP only:
    their twelve different passwords share one client's L slots, and all get in."""
    server = servers.get("wsgi", handler, "nat")
    replies = fire(server, [basic_auth("/basic/", name, USERS[name]) for name in NAT_USERS])
    after = state(rdb)
    report.add("honest 12 users, one NAT IP", handler, replies, after)
    assert [r.status for r in replies] == [200] * len(NAT_USERS), replies
    assert after.evaluations == len(NAT_USERS)
    assert_nothing_left(handler, after)


def test_honest_keep_alive_after_near_lockout(servers, rdb, report, handler):
    """A client that mistyped L - 1 times then makes 40 correct calls back to back on one
    keep-alive connection: every one is answered, none counts, the slot is free each time."""
    server = servers.get("wsgi", handler)
    connection = connection_to(server)
    try:
        typos = [send(connection, basic_auth("/basic/", ALICE, "typo")) for _ in range(L - 1)]
        assert [r.status for r in typos] == [401] * (L - 1), typos
        assert connection.sock is not None
        local = connection.sock.getsockname()
        replies = []
        for _ in range(40):
            replies.append(send(connection, basic_auth("/basic/", ALICE, ALICE_PASSWORD)))
            assert connection.sock is not None
            assert connection.sock.getsockname() == local
    finally:
        connection.close()
    after = state(rdb)
    report.add("honest 40 keep-alive after L-1", handler, replies, after, "after 2 x 401")
    assert [r.status for r in replies] == [200] * 40, replies
    assert after.evaluations == L - 1 + 40
    if handler == "ours":
        assert after.failures == L - 1, after
        assert after.inflight == 0, after


def test_honest_off_thread_authenticate_in_a_row(servers, rdb, report, handler):
    """A view that runs ``authenticate()`` on other threads (a pool; ``sync_to_async(...,
    thread_sensitive=False)``), ten times in a row, and ten such requests in a row: the
    guesses are settled on whatever thread the request ends."""
    server = servers.get("wsgi", handler)
    replies = [
        send_once(server, basic_auth(f"/offthread/?n=10&mode={mode}", ALICE, ALICE_PASSWORD))
        for mode in ("pool", "async")
    ]
    replies += [
        send_once(server, basic_auth("/offthread/?n=1", ALICE, ALICE_PASSWORD)) for _ in range(10)
    ]
    after = state(rdb)
    report.add("honest off-thread 2x10 + 10x1", handler, replies, after)
    assert [r.status for r in replies] == [200] * 12, replies
    assert [json.loads(r.body)["succeeded"] for r in replies] == [10, 10] + [1] * 10
    assert after.evaluations == 30
    assert_nothing_left(handler, after)


def test_honest_axes_dispatch_page_loads(servers, rdb, report, handler):
    """Sixteen visitors load an ``axes_dispatch`` login page at once: a check without
    credentials, which must never take a slot or write anything."""
    server = servers.get("wsgi", handler)
    replies = fire(server, [Call("GET", "/page/")] * 16)
    after = state(rdb)
    report.add("honest axes_dispatch GET C=16", handler, replies, after)
    assert [r.status for r in replies] == [200] * 16, replies
    assert after == State(evaluations=0, failures=0, inflight=0, client_keys=0)


def test_honest_form_login_during_downloads(servers, rdb, report, handler):
    """A user signs in with the form while three of their downloads (Basic auth, then a
    slow streamed body) from the same IP are running: the streams hold no slot."""
    server = servers.get("wsgi", handler)
    started = threading.Barrier(4)
    downloads: list[Reply] = []

    def download() -> None:
        connection = connection_to(server)
        try:
            began = time.perf_counter()
            call = basic_auth("/stream/?seconds=3", ALICE, ALICE_PASSWORD)
            connection.request(call.method, call.path, headers=dict(call.headers))
            response = connection.getresponse()
            first = response.readline()
            started.wait(timeout=30)
            body = first + response.read()
            downloads.append(Reply(response.status, {}, body.decode(), time.perf_counter() - began))
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(3)]
    for thread in threads:
        thread.start()
    login = form_login(server, ALICE, ALICE_PASSWORD)
    started.wait(timeout=30)
    during = state(rdb)
    reply = send_once(server, login)
    streams_running = sum(thread.is_alive() for thread in threads)
    for thread in threads:
        thread.join(timeout=30)
    after = state(rdb)
    report.add("honest form login + 3 downloads", handler, [reply], after, "login latency")
    assert reply.status == 302, reply
    assert streams_running == 3, "the login waited for the downloads"
    assert [d.status for d in downloads] == [200] * 3, downloads
    assert all(d.body.endswith("end\n") for d in downloads)
    if handler == "ours":
        assert during.inflight == 0, during
    assert_nothing_left(handler, after)


# --- Attackers -----------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [8, 32])
def test_attack_concurrent_wrong_passwords(servers, rdb, report, handler, concurrency):
    """C attackers (a botnet, or one client with many connections) send distinct wrong
    passwords for one account at once. django-axes checks, then records: all C pass the
    check before the first failure lands (the known difference), so the cache handler
    evaluates more than L. Ours evaluates exactly L."""
    server = servers.get("wsgi", handler)
    calls = [basic_auth("/basic/", ALICE, p) for p in wrong_passwords(concurrency, "c")]
    replies = fire(server, calls)
    after = state(rdb)
    report.add(f"attack wrong passwords C={concurrency}", handler, replies, after)
    assert 200 not in {r.status for r in replies}
    if handler == "ours":
        assert all(LOCKOUT_TEXT in r.body for r in replies if r.status == 429), replies
        assert after.evaluations == L, after
        assert after.failures >= L, after  # locked out; refused attempts count too
        assert after.inflight == 0, after
    else:
        assert after.evaluations > L, after


def test_attack_batch_in_one_request(servers, rdb, report, handler):
    """One request carrying 50 password guesses (a GraphQL batch of aliased ``tokenAuth``
    mutations): every ``authenticate()`` is a guess. Sequential within the request, so the
    cache handler stops at L as well; recorded side by side."""
    server = servers.get("wsgi", handler)
    reply = send_once(server, batch_of(ALICE, wrong_passwords(50, "b")))
    after = state(rdb)
    report.add("attack batch 1x50", handler, [reply], after)
    assert reply.status != 200 or json.loads(reply.body)["succeeded"] == 0
    if handler == "ours":
        assert after.evaluations == L, after
        assert after.failures >= L, after  # locked out; refused attempts count too
        assert after.inflight == 0, after


def test_attack_concurrent_batches(servers, rdb, report, handler):
    """Five batches of 50 guesses at once: the batches race each other as single requests
    do, so the cache handler evaluates more than L (the known difference); ours exactly L."""
    server = servers.get("wsgi", handler)
    calls = [batch_of(ALICE, wrong_passwords(50, f"b{index}")) for index in range(5)]
    replies = fire(server, calls)
    after = state(rdb)
    report.add("attack batch 5x50", handler, replies, after)
    if handler == "ours":
        assert after.evaluations == L, after
        assert after.failures >= L, after  # locked out; refused attempts count too
        assert after.inflight == 0, after
    else:
        assert after.evaluations > L, after


def test_attack_concurrent_async_logins(servers, rdb, report, handler):
    """Eight attackers at an async view (``await aauthenticate()``, uvicorn) at once: the
    check runs on a thread while the hash runs on the event loop; ours still evaluates
    exactly L. The cache handler's figure is recorded."""
    server = servers.get("asgi", handler)
    calls = [basic_auth("/async-login/", ALICE, p) for p in wrong_passwords(8, "a")]
    replies = fire(server, calls)
    after = state(rdb)
    report.add("attack async C=8 (uvicorn)", handler, replies, after)
    assert 200 not in {r.status for r in replies}
    if handler == "ours":
        assert all(LOCKOUT_TEXT in r.body for r in replies if r.status == 429), replies
        assert after.evaluations == L, after
        assert after.failures >= L, after  # locked out; refused attempts count too
        assert after.inflight == 0, after


def _busy(reply: Reply) -> bool:
    return (
        reply.status == 429
        and reply.headers.get("retry-after") == "1"
        and BUSY_TEXT in reply.body
        and LOCKOUT_TEXT not in reply.body
    )


def test_attack_crashing_requests_sequential(servers, rdb, report, handler):
    """An attacker who can make a request crash after the password check (a later backend
    raises, so ``user_login_failed`` is never sent) guesses back to back for 2.5 holds.

    django-axes never hears of these guesses: the cache handler evaluates every one (the
    known difference). Ours holds each crashed guess's slot for ``AXES_REDIS_GUARD_HOLD``:
    at most L evaluations start within any hold, none is stored as a failure, and the
    refused requests are told "busy", not locked out.
    """
    server = servers.get("wsgi", handler, "short-hold")
    replies: list[Reply] = []
    began = time.monotonic()
    while time.monotonic() - began < 2.5 * HOLD:
        password = f"crash-seq-{len(replies)}"
        replies.append(send_once(server, basic_auth("/crash/", ALICE, password)))
    elapsed = time.monotonic() - began
    after = state(rdb)
    times = evaluated_at(rdb)
    most = most_in_one_hold(times, HOLD - WINDOW_TOLERANCE)
    report.add(
        "attack crash sequential 5 s",
        handler,
        replies,
        after,
        f"{len(replies)} requests, most in one hold {most}",
    )
    assert after.failures == 0, after
    if handler == "ours":
        assert most <= L, times
        windows = math.floor(elapsed / (HOLD - WINDOW_TOLERANCE)) + 1
        assert after.evaluations <= L * windows, (elapsed, times)
        assert {r.status for r in replies} <= {500, 429}
        assert all(_busy(r) for r in replies if r.status == 429), replies
        assert sum(r.status == 500 for r in replies) == after.evaluations
    else:
        assert after.evaluations == len(replies) > L, after


def test_attack_crash_after_a_reported_failure(servers, rdb, report, handler):
    """An attacker whose requests raise in the view after ``authenticate()`` returned: the
    failure was reported before the crash, so both handlers count it and stop at L. The
    crash buys nothing, and ours holds no slot for it."""
    server = servers.get("wsgi", handler, "short-hold")
    replies = [
        send_once(server, basic_auth("/crash/?where=view", ALICE, p))
        for p in wrong_passwords(2 * L, "v")
    ]
    after = state(rdb)
    report.add("attack crash after authenticate()", handler, replies, after, "sequential")
    assert after.evaluations == L, after
    assert after.failures >= L, after
    if handler == "ours":
        assert after.inflight == 0, after
    # The lockout replaces the 500 from the moment the limit is reached.
    assert [r.status for r in replies] == [500] * (L - 1) + [429] * (L + 1), replies


def test_attack_crashing_requests_concurrent(servers, rdb, report, handler):
    """Eight crashing guesses at once, the hold waited out, eight more: ours evaluates
    exactly L in the first burst and at most L more after the hold, never storing a
    failure; the cache handler evaluates all sixteen (the known difference)."""
    server = servers.get("wsgi", handler, "short-hold")
    began = time.monotonic()
    first = fire(server, [basic_auth("/crash/", ALICE, p) for p in wrong_passwords(8, "x1")])
    after_first = state(rdb)
    time.sleep(max(0.0, began + HOLD + 0.3 - time.monotonic()))
    second = fire(server, [basic_auth("/crash/", ALICE, p) for p in wrong_passwords(8, "x2")])
    after = state(rdb)
    report.add("attack crash 8 concurrent", handler, first, after_first, "first burst")
    report.add("attack crash 8 more after hold", handler, second, after, "total after both")
    assert after.failures == 0, after
    if handler == "ours":
        assert after_first.evaluations == L, after_first
        assert after.evaluations <= 2 * L, after
        assert sorted(r.status for r in first) == [429] * (8 - L) + [500] * L, first
        assert all(_busy(r) for r in first + second if r.status == 429)
        assert most_in_one_hold(evaluated_at(rdb), HOLD - WINDOW_TOLERANCE) <= L
    else:
        assert after.evaluations == 16, after


def test_busy_refusal_is_not_a_lockout(servers, rdb, report, handler):
    """While L crashed requests hold every slot, the account's owner signs in (Basic auth
    and the form, at once): ours refuses as busy (429, ``Retry-After``, the busy text, not the
    lockout page), evaluates nothing and counts nothing; once the hold runs out the login
    works. The cache handler, which never saw the crashed guesses, lets them in at once."""
    server = servers.get("wsgi", handler, "short-hold")
    form = form_login(server, ALICE, ALICE_PASSWORD)
    began = time.monotonic()
    crashed = fire(server, [basic_auth("/crash/", ALICE, p) for p in wrong_passwords(L, "h")])
    assert [r.status for r in crashed] == [500] * L, crashed
    replies = fire(server, [basic_auth("/basic/", ALICE, ALICE_PASSWORD), form])
    during = state(rdb)
    report.add("busy: login while L crashed", handler, replies, during, "Basic and form")
    time.sleep(max(0.0, began + HOLD + 0.3 - time.monotonic()))
    later = send_once(server, basic_auth("/basic/", ALICE, ALICE_PASSWORD))
    after = state(rdb)
    report.add("busy: login after the hold", handler, [later], after)
    assert later.status == 200, later
    assert after.failures == 0, after
    if handler == "ours":
        assert all(_busy(r) for r in replies), replies
        assert during.evaluations == L, during
        assert during.inflight == L, during
        assert after.evaluations == L + 1, after
    else:
        assert [r.status for r in replies] == [200, 302], replies
        assert after.evaluations == L + 3, after

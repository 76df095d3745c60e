"""One subject, in its own process: ``python -m benchmarks.runner SUBJECT PARAMS OUT``.

Started by the orchestrator (``python -m benchmarks``) with the subject's
``DJANGO_SETTINGS_MODULE``. Prints one ``@@step <name>`` line per finished step on
stdout (the orchestrator's progress bar) and writes every figure to ``OUT`` as JSON.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import redis

from benchmarks.subjects import BY_NAME, SCALE_SUBJECT, Subject, steps

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
"""Sent with every request (stored by handlers that keep it): a real browser's length."""

WRONG_PASSWORD = "wrong-password"
RACE_USERNAME = "victim"
MEMBER_USERNAME = "member"
RIGHT_PASSWORD = "right-password"

SCALE_MIN_ROUNDS = 5
"""Rounds per scale level at least (each paired with a same-window baseline round)."""
SCALE_SETTLE_OPS = 500
SCALE_SETTLE_SECONDS = 2.0

FLOOR_SCRIPT = "redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], ARGV[1]) return 1"
FLOOR_GET_KEY = "bench:floor:get"
FLOOR_PACING_US = [0, 250, 500, 1000, 2000]
"""Client work (busy loop, untimed) before each bare EVALSHA of the pacing figure."""
FLOOR_PACING_OPS = 500


# --------------------------------------------------------------------------- clients


class Clients:
    """Distinct clients: each call to ``next`` is an IP address and username never used."""

    def __init__(self, start: int = 1) -> None:
        self.index = start

    def next(self) -> tuple[str, str]:
        i = self.index
        self.index += 1
        return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", f"user{i}"


CLIENTS = Clients()


# --------------------------------------------------------------------------- timing


def summary(latencies_ns: list[int]) -> dict[str, float]:
    ordered = sorted(latencies_ns)
    total = sum(ordered)
    return {
        "ops": len(ordered),
        "ops_s": len(ordered) / (total / 1e9) if total else 0.0,
        "mean_us": total / len(ordered) / 1000,
        "p50_us": ordered[len(ordered) // 2] / 1000,
        "p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000,
    }


def timed_round(
    ops: int, prepare: Callable[[int], Any], op: Callable[[Any], Any]
) -> dict[str, Any]:
    """One round of ``ops`` timed calls ``op(prepare(i))``; only ``op`` is inside the timer."""
    clock = time.perf_counter_ns
    gc.collect()
    latencies = []
    for i in range(ops):
        arg = prepare(i)
        start = clock()
        op(arg)
        latencies.append(clock() - start)
    return summary(latencies)


def over_rounds(results: list[dict[str, Any]], ops: int) -> dict[str, Any]:
    """Medians over rounds of each round's figures, with the rounds kept."""
    figure: dict[str, Any] = {
        key: statistics.median([r[key] for r in results])
        for key in ("ops_s", "mean_us", "p50_us", "p99_us")
    }
    figure["ops_per_round"] = ops
    figure["rounds"] = results
    return figure


def timed_rounds(
    rounds: int, ops: int, prepare: Callable[[int], Any], op: Callable[[Any], Any]
) -> dict[str, Any]:
    """``rounds`` rounds of :func:`timed_round`; medians over rounds."""
    return over_rounds([timed_round(ops, prepare, op) for _ in range(rounds)], ops)


PROFILE_BUCKETS = [
    ("/axes_redis/", "axes-redis"),
    ("/axes/", "django-axes"),
    ("/django_redis/", "django-redis"),
    ("/redis/", "redis-py (incl. waiting for Redis)"),
    ("/django/db/", "Django ORM"),
    ("/django/core/cache/", "Django cache layer"),
    ("/django/dispatch/", "Django signals"),
    ("/django/contrib/auth/", "Django auth"),
    ("/django/test/", "Django RequestFactory/test"),
    ("/django/conf/", "Django settings access"),
    ("/django/utils/", "Django utils"),
    ("/django/", "Django (other)"),
    ("/logging/", "logging"),
    ("/ipware/", "django-ipware"),
    ("/benchmarks/", "bench harness"),
]


def profile_bucket(path: str) -> str | None:
    for marker, name in PROFILE_BUCKETS:
        if marker in path:
            return name
    return None


# --------------------------------------------------------------------------- the floor


def run_floor(params: dict[str, Any], url: str) -> dict[str, Any]:
    """Bare redis-py: one EVALSHA of INCR+PEXPIRE, and one GET, per call."""
    client = redis.Redis.from_url(url)
    sha = client.script_load(FLOOR_SCRIPT)
    client.set(FLOOR_GET_KEY, b"1")
    counter = iter(range(10**9))

    def evalsha(_: Any) -> None:
        client.evalsha(sha, 1, f"bench:floor:{next(counter)}", 3_600_000)

    def get(_: Any) -> None:
        client.get(FLOOR_GET_KEY)

    for _ in range(200):  # warm the connection and the script cache
        evalsha(None)
        get(None)
    rounds, ops = params["rounds"], params["check_ops"]
    result = {
        "evalsha": timed_rounds(rounds, ops, lambda i: None, evalsha),
        "get": timed_rounds(rounds, ops, lambda i: None, get),
        "evalsha_after_work": {
            str(gap): timed_rounds(rounds, FLOOR_PACING_OPS, lambda i, gap=gap: busy(gap), evalsha)
            for gap in FLOOR_PACING_US
        },
    }
    client.flushdb()
    return result


def busy(microseconds: int) -> None:
    """Keep the client's CPU busy, as a login's Python would be, between round trips."""
    end = time.perf_counter_ns() + microseconds * 1000
    while time.perf_counter_ns() < end:
        pass


# --------------------------------------------------------------------------- subject


class Bench:
    """The operations of one subject, as its documented integration performs them."""

    def __init__(self, subject: Subject, params: dict[str, Any], url: str) -> None:
        self.subject = subject
        self.params = params
        self.url = url
        self.redis = redis.Redis.from_url(url)
        self.limit = params["limit"]
        self.reference = False
        """True while a same-window reference (AxesDummyHandler) runs: figures don't count it."""
        self.floor_keys = itertools.count()
        """Numbers for the paced floor's keys, never reused within the run."""

        from django.test import RequestFactory

        self.factory = RequestFactory()

    # -- setup

    def setup(self) -> None:
        from django.conf import settings
        from django.core.management import call_command

        for alias in settings.DATABASES:
            call_command("migrate", database=alias, verbosity=0, interactive=False)
        self.redis.flushdb()
        from django.contrib.auth.models import User

        if not User.objects.filter(username=MEMBER_USERNAME).exists():
            User.objects.create_user(MEMBER_USERNAME, password=RIGHT_PASSWORD)
        if self.subject.kind == "defender":
            from defender.decorators import watch_login
            from django.http import HttpRequest, HttpResponse

            def view(request: HttpRequest) -> HttpResponse:
                from django.contrib.auth import authenticate

                user = authenticate(
                    request,
                    username=request.POST.get("username"),
                    password=request.POST.get("password"),
                )
                return HttpResponse(status=200 if user is None else 302)

            # defender's own decorator, as FailedLoginMiddleware applies it to LoginView.
            self.defender_view = watch_login()(view)
        # Warm up: imports, script cache, connections, the ORM's caches.
        for _ in range(20):
            self.failed_login(self.request(*CLIENTS.next()))
            self.check(self.request(*CLIENTS.next()))

    def request(
        self, ip: str, username: str, *, with_body: bool = True, password: str = WRONG_PASSWORD
    ) -> Any:
        data = {"username": username, "password": password} if with_body else {}
        request = self.factory.post("/login/", data, REMOTE_ADDR=ip, HTTP_USER_AGENT=USER_AGENT)
        request.bench_username = username
        request.bench_password = password
        # Parsed before any check, as CsrfViewMiddleware does for every POST: the check
        # reads the username from it, and the parse is not the handler's cost.
        request.POST  # noqa: B018
        return request

    # -- the operations

    def failed_login(self, request: Any) -> Any:
        """One failed login, the way the subject sees one."""
        if self.subject.kind == "defender":
            return self.defender_view(request)
        from django.contrib.auth import authenticate

        return authenticate(
            request, username=request.bench_username, password=request.bench_password
        )

    def success_login(self, request: Any) -> Any:
        """One correct login: ``authenticate()`` and ``login()``, as a login view makes it."""
        if self.subject.kind == "defender":
            return self.defender_view(request)
        from django.contrib.auth import authenticate, login
        from django.contrib.sessions.backends.signed_cookies import SessionStore

        user = authenticate(
            request, username=request.bench_username, password=request.bench_password
        )
        request.session = SessionStore()
        login(request, user)
        return user

    def check(self, request: Any) -> bool:
        """The lockout check alone, as a view decorator or a page load makes it (no
        password to evaluate follows); True when the client may go on."""
        if self.subject.kind == "defender":
            from defender import utils

            return not utils.is_already_locked(request, username=request.bench_username)
        from axes.handlers.proxy import AxesProxyHandler

        return bool(AxesProxyHandler.is_allowed(request))

    def record_only(self, ip: str, username: str) -> None:
        """Record one failure without the password check (memory figure)."""
        if self.subject.kind == "defender":
            from defender import utils

            utils.record_failed_attempt(ip, username)
            return
        from axes.handlers.proxy import AxesProxyHandler

        request = self.factory.post("/login/", REMOTE_ADDR=ip, HTTP_USER_AGENT=USER_AGENT)
        AxesProxyHandler.user_login_failed(None, {"username": username}, request)

    # -- figures

    def paired_rounds(
        self,
        ops: int,
        prepare: Callable[[int], Any],
        op: Callable[[Any], Any],
        floor: str | None = None,
        rounds: int | None = None,
    ) -> dict[str, Any]:
        """Rounds of the subject, each beside its same-window references.

        The machine's speed drifts by more than the differences measured here
        (one process ran 2x slower than another minutes apart), so a baseline
        taken in another process at another time makes a poor reference. For a
        django-axes subject each round has, in this process, a round of the same
        operation with ``AxesDummyHandler`` right after it (before it every other
        round); the overhead is the median
        of the per-round differences. For our handler a round of the bare
        ``floor`` command (if given) at login pace follows too (:meth:`paced_floor`).
        """
        rounds = rounds or self.params["rounds"]
        pair = self.subject.kind == "axes" and self.subject.name != "baseline"
        paced = self.subject.name.startswith("ours")
        mine: list[dict[str, Any]] = []
        base: list[dict[str, Any]] = []
        floors: list[dict[str, Any]] = []

        def reference() -> None:
            with self.dummy_handler():
                base.append(timed_round(ops, prepare, op))

        for number in range(rounds):
            # Every other pair runs the reference first, so drift within a pair
            # does not bias every difference the same way.
            if pair and number % 2:
                reference()
            mine.append(timed_round(ops, prepare, op))
            if pair and not number % 2:
                reference()
            if paced and floor:
                floors.append(self.paced_floor(ops, prepare, op, floor))
        figure = over_rounds(mine, ops)
        if base:
            figure["same_window"] = {
                "baseline_p50_us": statistics.median([r["p50_us"] for r in base]),
                "overhead_p50_us": statistics.median(
                    [m["p50_us"] - b["p50_us"] for m, b in zip(mine, base, strict=True)]
                ),
                "baseline_rounds": base,
            }
        if floors:
            figure["paced_floor"] = {
                "command": floor,
                **over_rounds(floors, ops),
            }
        return figure

    def paced_floor(
        self, ops: int, prepare: Callable[[int], Any], op: Callable[[Any], Any], command: str
    ) -> dict[str, Any]:
        """The bare ``command`` (the floor's EVALSHA or GET) timed at the pace of a login.

        On a VM a round trip can cost more the longer the client worked since the
        last one (the floor's ``evalsha_after_work`` figure shows how much here),
        because the idle Redis side has to be woken up. A
        handler's one round trip comes after a whole login's worth of work, so its
        floor is taken the same way: each bare call follows one untimed operation
        with ``AxesDummyHandler``; only the bare call is timed.
        """
        sha = self.redis.script_load(FLOOR_SCRIPT)
        self.redis.set(FLOOR_GET_KEY, b"1")
        calls = {
            # A new key per call, as the back-to-back floor writes (never an existing one).
            "evalsha": lambda i: self.redis.evalsha(
                sha, 1, f"bench:floor:{next(self.floor_keys)}", 60_000
            ),
            "get": lambda i: self.redis.get(FLOOR_GET_KEY),
        }
        call = calls[command]
        clock = time.perf_counter_ns
        gc.collect()
        latencies = []
        with self.dummy_handler():
            for i in range(ops):
                op(prepare(i))
                start = clock()
                call(i)
                latencies.append(clock() - start)
        return summary(latencies)

    def fig_failed_login(self) -> dict[str, Any]:
        p = self.params
        figure = self.paired_rounds(
            p["login_ops"], lambda i: self.request(*CLIENTS.next()), self.failed_login, "evalsha"
        )
        figure["distinct_clients"] = p["rounds"] * p["login_ops"]
        return figure

    def fig_check_clean(self) -> dict[str, Any]:
        p = self.params
        allowed = []

        def op(request: Any) -> None:
            answer = self.check(request)
            if not self.reference:
                allowed.append(answer)

        figure = self.paired_rounds(
            p["check_ops"], lambda i: self.request(*CLIENTS.next()), op, "get"
        )
        figure["all_allowed"] = all(allowed)
        return figure

    def fig_check_locked(self) -> dict[str, Any]:
        p = self.params
        locked_clients = [CLIENTS.next() for _ in range(p["locked_clients"])]
        for ip, username in locked_clients:
            for _ in range(self.limit):
                self.failed_login(self.request(ip, username))
        refused = []

        def op(request: Any) -> None:
            answer = self.check(request)
            if not self.reference:
                refused.append(not answer)

        def locked(i: int) -> Any:
            return self.request(*locked_clients[i % len(locked_clients)])

        figure = self.paired_rounds(p["check_ops"], locked, op, "get")
        figure["all_refused"] = all(refused)
        figure["locked_clients"] = len(locked_clients)
        return figure

    def fig_e2e_login(self) -> dict[str, Any]:
        from django.test import Client

        p = self.params
        client = Client()
        statuses: Counter[int] = Counter()

        def prepare(i: int) -> tuple[str, str]:
            return CLIENTS.next()

        def op(who: tuple[str, str]) -> None:
            ip, username = who
            response = client.post(
                "/login/",
                {"username": username, "password": WRONG_PASSWORD},
                REMOTE_ADDR=ip,
                HTTP_USER_AGENT=USER_AGENT,
            )
            if not self.reference:
                statuses[response.status_code] += 1

        op(prepare(0))
        figure = self.paired_rounds(p["e2e_ops"], prepare, op)
        figure["statuses"] = {str(k): v for k, v in statuses.items()}
        return figure

    # -- round trips

    def redis_pools(self) -> list[Any]:
        """The redis-py connection pools the subject talks to the bench Redis through."""
        if not self.subject.redis:
            return []
        if self.subject.kind == "defender":
            from defender import utils

            return [utils.REDIS_SERVER.connection_pool]
        from axes_redis.connection import get_client

        return [get_client("axes").connection_pool]

    @contextmanager
    def counting(self) -> Iterator[Any]:
        """Client-side tally of what the subject sends (tests.counting's connection class)."""
        from tests.counting import TALLY, CountingConnection

        pools = self.redis_pools()
        saved = [(pool, pool.connection_class) for pool in pools]
        for pool in pools:
            pool.disconnect()
            pool.reset()
            pool.connection_class = CountingConnection
        TALLY.reset()
        try:
            yield TALLY
        finally:
            for pool, klass in saved:
                pool.disconnect()
                pool.reset()
                pool.connection_class = klass

    def commandstats(self) -> dict[str, int]:
        stats = self.redis.info("commandstats")
        return {
            name.removeprefix("cmdstat_"): int(values["calls"])
            for name, values in stats.items()
            if isinstance(values, dict)
        }

    def count(self, prepare: Callable[[], Any], op: Callable[[Any], Any]) -> dict[str, Any]:
        from django.db import connections
        from django.test.utils import CaptureQueriesContext

        n = self.params["round_trip_ops"]
        requests = [prepare() for _ in range(n)]
        op(prepare())  # warm the counting connections
        with self.counting() as tally, ExitStack() as stack:
            op(prepare())
            captures = {
                alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
                for alias in connections
            }
            tally.reset()
            before = self.commandstats()
            for request in requests:
                op(request)
            after = self.commandstats()
            sent = Counter(tally.commands)
            round_trips = tally.round_trips
        server = {
            name: (after.get(name, 0) - before.get(name, 0)) / n
            for name in sorted(set(after) | set(before))
            if name not in ("info",) and after.get(name, 0) != before.get(name, 0)
        }
        return {
            "ops": n,
            "redis_round_trips": round_trips / n,
            "redis_commands": sum(sent.values()) / n,
            "redis_commands_by_name": {k: v / n for k, v in sorted(sent.items())},
            "server_calls_by_name": server,
            "sql_queries": sum(len(c.captured_queries) for c in captures.values()) / n,
            "sql_queries_by_database": {
                alias: len(c.captured_queries) / n for alias, c in captures.items()
            },
        }

    def fig_round_trips(self) -> dict[str, Any]:
        def fresh() -> Any:
            return self.request(*CLIENTS.next())

        def failed_once() -> Any:
            client = CLIENTS.next()
            self.failed_login(self.request(*client))
            return self.request(*client)

        locked = CLIENTS.next()
        for _ in range(self.limit):
            self.failed_login(self.request(*locked))

        def member() -> Any:
            ip, _ = CLIENTS.next()
            return self.request(ip, MEMBER_USERNAME, password=RIGHT_PASSWORD)

        return {
            "success_login": self.count(member, self.success_login),
            "failed_login": self.count(fresh, self.failed_login),
            "failed_login_repeat": self.count(failed_once, self.failed_login),
            "check_clean": self.count(fresh, self.check),
            "check_locked": self.count(lambda: self.request(*locked), self.check),
        }

    # -- memory

    def tracked_bytes(self) -> tuple[int, int]:
        """(keys, sum of MEMORY USAGE) over every key in the bench database."""
        keys = 0
        total = 0
        pipe = self.redis.pipeline(transaction=False)
        batch: list[bytes] = []
        for key in self.redis.scan_iter(count=1000):
            batch.append(key)
            if len(batch) == 1000:
                for k in batch:
                    pipe.memory_usage(k, samples=0)
                total += sum(int(x or 0) for x in pipe.execute())
                keys += len(batch)
                batch = []
        for k in batch:
            pipe.memory_usage(k, samples=0)
        total += sum(int(x or 0) for x in pipe.execute())
        keys += len(batch)
        return keys, total

    def used_memory(self) -> int:
        return int(self.redis.info("memory")["used_memory"])

    def fig_memory(self) -> dict[str, Any]:
        figure = self.memory_per_client()
        if self.subject.name == SCALE_SUBJECT:
            from django.test import override_settings

            with override_settings(AXES_REDIS_METADATA=False):
                figure["without_metadata"] = self.memory_per_client()
        return figure

    def memory_per_client(self) -> dict[str, Any]:
        n = self.params["memory_clients"]
        self.redis.flushdb()
        gc.collect()
        before = self.used_memory()
        for _ in range(n):
            self.record_only(*CLIENTS.next())
        after = self.used_memory()
        keys, usage = self.tracked_bytes()
        self.redis.flushdb()
        return {
            "clients": n,
            "keys": keys,
            "keys_per_client": keys / n,
            "memory_usage_bytes_per_client": usage / n,
            "used_memory_delta_per_client": (after - before) / n,
        }

    # -- scale

    def seed(self, count: int) -> float:
        """Add ``count`` tracked clients shaped like the handler's, pipelined."""
        from axes_redis.keys import client_key

        started = time.monotonic()
        now = str(int(time.time() * 1000))
        pipe = self.redis.pipeline(transaction=False)
        for n in range(count):
            ip, username = CLIENTS.next()
            key = client_key("axes", {"ip_address": ip})
            pipe.hset(
                key,
                mapping={
                    "failures": 1,
                    "first": now,
                    "last": now,
                    "limit": self.limit,
                    "username": username,
                    "ip_address": ip,
                    "user_agent": USER_AGENT,
                    "path_info": "/login/",
                },
            )
            pipe.pexpire(key, 3_600_000)
            if n % 2000 == 1999:
                pipe.execute()
        pipe.execute()
        return time.monotonic() - started

    @contextmanager
    def dummy_handler(self) -> Iterator[None]:
        """django-axes' AxesDummyHandler in this process: the baseline, same settings otherwise."""
        from axes.handlers.proxy import AxesProxyHandler
        from django.test import override_settings

        with override_settings(AXES_HANDLER="axes.handlers.dummy.AxesDummyHandler"):
            AxesProxyHandler.get_implementation(force=True)
            self.reference = True
            try:
                yield
            finally:
                self.reference = False
                AxesProxyHandler.implementation = None
        AxesProxyHandler.get_implementation(force=True)

    def fig_scale(self, level: int) -> dict[str, Any]:
        """Failed login and check with ``level`` clients tracked, against a same-window baseline.

        Levels are minutes apart (seeding 1M keys takes ~30 s) on a shared machine, and
        drift between them was larger than the 10 % the figure is about. So each level
        is measured as the headline figures are (:meth:`paired_rounds`): each round
        beside a round of AxesDummyHandler in this process, and a round of the bare
        command at login pace, which tells a slower Redis host from a cost of ours
        that grows with the keyspace.
        Before timing, ``SCALE_SETTLE_OPS`` untimed logins and a pause let Redis finish
        growing its keyspace table (it doubles at 2**20 keys and rehashes
        incrementally; measured: the first 2 s after seeding 1.06M keys were ~20 %
        slower).
        """
        if not hasattr(self, "_scale_seeded"):
            self.redis.flushdb()
            self._scale_seeded = 0
        seconds = self.seed(level - self._scale_seeded)
        self._scale_seeded = level
        p = self.params
        rounds = max(p["rounds"], SCALE_MIN_ROUNDS)

        def fresh(i: int) -> Any:
            return self.request(*CLIENTS.next())

        for _ in range(SCALE_SETTLE_OPS):
            self.failed_login(fresh(0))
        time.sleep(SCALE_SETTLE_SECONDS)
        tracked = int(self.redis.dbsize())

        figures = {
            name: self.paired_rounds(p["scale_ops"], fresh, op, floor, rounds=rounds)
            for name, op, floor in (
                ("failed_login", self.failed_login, "evalsha"),
                ("check_clean", self.check, "get"),
            )
        }
        return {
            "level": level,
            "tracked_at_start": tracked,
            "seed_seconds": seconds,
            **figures,
        }

    # -- profile

    def fig_profile(self) -> dict[str, Any]:
        """pyinstrument over failed logins and checks: where the time goes, by package."""
        from pyinstrument import Profiler

        found: dict[str, Any] = {}
        n = self.params["profile_ops"]
        for figure, op in (("failed_login", self.failed_login), ("check_clean", self.check)):
            requests = [self.request(*CLIENTS.next()) for _ in range(n)]
            profiler = Profiler(interval=0.0001)
            profiler.start()
            for request in requests:
                op(request)
            session = profiler.stop()
            # Self time by package; stdlib and C calls count for the package that made them.
            buckets: Counter[str] = Counter()
            stack = [(session.root_frame(), "other (stdlib, C calls)")]
            while stack:
                frame, inherited = stack.pop()
                if frame is None or frame.is_synthetic:
                    continue
                bucket = profile_bucket(frame.file_path or "") or inherited
                buckets[bucket] += frame.total_self_time
                stack.extend((child, bucket) for child in frame.children)
            total = sum(buckets.values()) or 1.0
            found[figure] = {
                "ops": n,
                "us_per_op_by_package": {
                    k: v / n * 1e6 for k, v in sorted(buckets.items(), key=lambda kv: -kv[1])
                },
                "share_by_package": {k: v / total for k, v in buckets.items()},
                "text": profiler.output_text(unicode=False, color=False, show_all=False),
            }
        return found

    # -- race

    def race_reset(self) -> None:
        self.redis.flushdb()
        if self.subject.kind == "defender":
            from defender.models import AccessAttempt

            AccessAttempt.objects.all().delete()
        else:
            from axes.models import AccessAttempt

            AccessAttempt.objects.all().delete()

    def fig_race(self, attackers: int) -> dict[str, Any]:
        import multiprocessing

        from django.core.cache import caches
        from django.db import connections
        from django.test import override_settings

        from benchmarks import backends

        if self.subject.kind == "defender":
            race_backends = ["benchmarks.backends.SlowCountingBackend"]
        else:
            race_backends = [
                "axes.backends.AxesStandaloneBackend",
                "benchmarks.backends.SlowCountingBackend",
            ]
        attempts_each = self.limit + 1
        with override_settings(
            AUTHENTICATION_BACKENDS=race_backends, AXES_LOCKOUT_PARAMETERS=["username"]
        ):
            self.race_reset()
            connections.close_all()
            for cache in caches.all():
                cache.close()
            context = multiprocessing.get_context("fork")
            barrier = context.Barrier(attackers)
            results = context.Queue()

            def attacker(index: int) -> None:
                outcome = {"evaluated": 0, "refused": False, "error": ""}
                start = backends.evaluated
                try:
                    barrier.wait(timeout=60)
                    for attempt in range(attempts_each):
                        before = backends.evaluated
                        ip = f"192.0.{(index >> 8) & 255}.{index & 255}"
                        # A distinct password per guess, as a real attacker sends.
                        password = f"{WRONG_PASSWORD}-{index}-{attempt}"
                        self.failed_login(self.request(ip, RACE_USERNAME, password=password))
                        if backends.evaluated == before:
                            outcome["refused"] = True
                            break
                except Exception as exc:  # reported, never hidden
                    outcome["error"] = f"{type(exc).__name__}: {exc}"[:200]
                outcome["evaluated"] = backends.evaluated - start
                results.put(outcome)

            processes = [
                context.Process(target=attacker, args=(i,), daemon=True) for i in range(attackers)
            ]
            started = time.monotonic()
            for process in processes:
                process.start()
            outcomes = [results.get(timeout=300) for _ in processes]
            for process in processes:
                process.join(timeout=30)
            elapsed = time.monotonic() - started
            self.race_reset()
        errors = [o["error"] for o in outcomes if o["error"]]
        return {
            "attackers": attackers,
            "limit": self.limit,
            "attempts_per_attacker": attempts_each,
            "evaluated": sum(int(o["evaluated"]) for o in outcomes),
            "refused_attackers": sum(1 for o in outcomes if o["refused"]),
            "errors": len(errors),
            "first_error": errors[0] if errors else "",
            "seconds": elapsed,
        }


def main() -> None:
    name, params_json, out_path = sys.argv[1:4]
    subject = BY_NAME[name]
    params = json.loads(params_json)
    url = os.environ["BENCH_REDIS_URL"]
    result: dict[str, Any] = {"subject": name, "label": subject.label, "status": "ok"}

    def done(step: str) -> None:
        print(f"@@step {step}", flush=True)

    if subject.kind == "floor":
        result["floor"] = run_floor(params, url)
        done("floor")
    else:
        import django

        django.setup()
        bench = Bench(subject, params, url)
        for step in steps(subject, params):
            figure_name, _, arg = step.partition(":")
            if step == "setup":
                bench.setup()
            elif figure_name == "scale" and subject.name == SCALE_SUBJECT:
                result.setdefault("scale", {})[arg] = bench.fig_scale(int(arg))
            elif figure_name == "race":
                result.setdefault("race", {})[arg] = bench.fig_race(int(arg))
            else:
                result[figure_name] = getattr(bench, f"fig_{figure_name}")()
            done(step)
        bench.redis.flushdb()
    with open(out_path, "w") as out:
        json.dump(result, out, indent=1)


if __name__ == "__main__":
    main()

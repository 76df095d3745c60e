"""Under attack, through a real server: ``python -m benchmarks.under_attack [--quick]``.

The example project under ``gunicorn -k gthread`` takes a credential-stuffing spray over
loopback (many client addresses in ``X-Forwarded-For``, wrong passwords, some clients
past their limit) and a trickle of honest logins with Django's real password hasher. Per
subject, in turns on the same Redis: requests per second absorbed, the honest logins'
p50/p99 during the attack, honest logins refused, 5xx answers, and the CPU time the store
(Redis, or PostgreSQL) and the gunicorn processes spent. :func:`run` returns the rows.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from benchmarks.attack import load, server
from benchmarks.attack.hashers import ITERATIONS_ENV

SUBJECTS = {
    "axes-redis": "axes-redis (AxesRedisHandler), django-redis",
    "cache": "AxesCacheHandler, django-redis",
    "database": "AxesDatabaseHandler, PostgreSQL",
    "defender": "django-defender",
}


@dataclass(frozen=True)
class Size:
    """How long each subject is attacked in all, at most how many requests it is sent,
    and in how many turns."""

    seconds: float
    max_requests: int
    rounds: int


FULL = Size(15.0, 50_000, 3)
QUICK = Size(4.0, 10_000, 2)
HONEST_ANSWER = 302
"""A successful form login redirects; anything else refused an honest user."""
WARM_UP_REQUESTS = 8
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Row:
    """One subject's figures; ``skipped`` says why a subject did not run (figures then 0)."""

    subject: str
    label: str
    seconds: float = 0.0
    requests: int = 0
    """Every answered request, those still in flight at the deadline included."""
    requests_per_second: float = 0.0
    """Answers within the window, per second of it."""
    attack_locked_out: int = 0
    honest_logins: int = 0
    honest_p50_ms: float = 0.0
    honest_p99_ms: float = 0.0
    honest_refused: int = 0
    server_errors: int = 0
    """5xx answers, attack and honest."""
    no_answer: int = 0
    store_cpu_seconds: float = 0.0
    """Redis's, or PostgreSQL's for the database handler."""
    django_cpu_seconds: float = 0.0
    django_cpu_ms_per_request: float = 0.0
    skipped: str = ""


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: a value that was measured, never an interpolation."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def redis_cpu(url: str) -> float:
    with redis.Redis.from_url(url) as connection:
        info = connection.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def _warm_up(port: int) -> None:
    """Every worker past its first request (URLconf, templates) before the clock starts."""
    for _ in range(WARM_UP_REQUESTS):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/login/")
            connection.getresponse().read()
        finally:
            connection.close()


def store_cpu(subject: str, redis_url: str) -> float:
    return server.postgres_cpu_seconds() if subject == "database" else redis_cpu(redis_url)


def figures_row(subject: str, measured: Measured) -> Row:
    figures, store_s, django_s = measured.figures, measured.store_seconds, measured.django_seconds
    statuses = [figures.attack_statuses, figures.honest_statuses]
    requests = sum(count for found in statuses for code, count in found.items() if code)
    return Row(
        subject=subject,
        label=SUBJECTS[subject],
        seconds=round(figures.window, 2),
        requests=requests,
        requests_per_second=round(figures.answered_in_window / figures.window, 1),
        attack_locked_out=figures.attack_locked,
        honest_logins=sum(figures.honest_statuses.values()),
        honest_p50_ms=round(percentile(figures.honest_seconds, 0.50) * 1000, 1),
        honest_p99_ms=round(percentile(figures.honest_seconds, 0.99) * 1000, 1),
        honest_refused=sum(
            count for code, count in figures.honest_statuses.items() if code != HONEST_ANSWER
        ),
        server_errors=sum(
            count for found in statuses for code, count in found.items() if code >= 500
        ),
        no_answer=figures.errors,
        store_cpu_seconds=round(store_s, 3),
        django_cpu_seconds=round(django_s, 2),
        django_cpu_ms_per_request=round(django_s * 1000 / requests, 2) if requests else 0.0,
    )


@dataclass
class Measured:
    """What the rounds of one subject add up to."""

    figures: load.Figures = field(default_factory=load.Figures)
    store_seconds: float = 0.0
    django_seconds: float = 0.0


@contextmanager
def serving(
    subject: str, redis_url: str, postgres_url: str | None, iterations: int | None, workdir: Path
) -> Iterator[server.Served]:
    """The project for ``subject`` with its database prepared, answering and warmed up."""
    overrides = {
        "ATTACK_SUBJECT": subject,
        "ATTACK_REDIS_URL": redis_url,
        "ATTACK_DB": str(workdir / f"{subject}.sqlite3"),
        "ATTACK_POSTGRES_URL": postgres_url or "",
        ITERATIONS_ENV: str(iterations or ""),
    }
    env = server.project_env(overrides)
    subprocess.run(
        [sys.executable, "-m", "benchmarks.attack.prepare"], cwd=server.ROOT, env=env, check=True
    )
    with server.served(env, workdir / f"{subject}.log") as served:
        _warm_up(served.port)
        yield served


def attack_round(
    subject: str,
    served: server.Served,
    redis_url: str,
    size: Size,
    round_: int,
    measured: Measured,
) -> None:
    from demo_project import DEMO_USERS

    users = {username: password for username, password, _ in DEMO_USERS}
    store_before = store_cpu(subject, redis_url)
    django_before = server.cpu_seconds(served.pid)
    load.attack(
        served.port,
        users,
        size.seconds / size.rounds,
        size.max_requests // size.rounds,
        measured.figures,
        round_,
    )
    measured.store_seconds += store_cpu(subject, redis_url) - store_before
    measured.django_seconds += server.cpu_seconds(served.pid) - django_before


@contextmanager
def throwaway_redis(url: str | None) -> Iterator[str]:
    """``url`` if given, else a redis-server of this run's own (so its CPU is the subjects')."""
    if url:
        yield url
        return
    from testsupport.redis_server import throwaway_server

    with throwaway_server() as started:
        yield started


@contextmanager
def throwaway_postgres() -> Iterator[tuple[str | None, str]]:
    """(URL of a database of this run's own, or None, and why) on ``DATABASE_URL``'s server."""
    try:
        import psycopg
    except ImportError as exc:
        yield None, f"psycopg not installed ({exc})"
        return

    admin_url = os.environ.get("DATABASE_URL", POSTGRES_URL)
    name = f"axes_under_attack_{os.getpid()}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        yield None, f"no PostgreSQL at {admin_url}: {str(exc).strip().splitlines()[0]}"
        return
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(admin_url)
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, "")), ""
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def run(
    redis_url: str | None = None,
    size: Size = FULL,
    subjects: Sequence[str] = tuple(SUBJECTS),
    iterations: int | None = None,
) -> list[Row]:
    """Each subject's figures, in one run on one Redis (a throwaway one without ``redis_url``).

    Every subject's server runs from the start, idle while another is attacked, and the
    subjects take turns, round after round in a rotating order: a machine whose speed
    moves over minutes then moves every subject's figures alike.
    """
    if str(server.EXAMPLE) not in sys.path:
        sys.path.insert(0, str(server.EXAMPLE))
    skipped: dict[str, str] = {}
    ready: dict[str, server.Served] = {}
    with ExitStack() as stack:
        url = stack.enter_context(throwaway_redis(redis_url))
        with redis.Redis.from_url(url) as connection:
            connection.flushdb()
        if "defender" in subjects and importlib.util.find_spec("defender") is None:
            skipped["defender"] = "django-defender not installed"
        postgres_url = None
        if "database" in subjects:
            postgres_url, skipped["database"] = stack.enter_context(throwaway_postgres())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="under-attack-")))
        for subject in subjects:
            if not skipped.get(subject):
                ready[subject] = stack.enter_context(
                    serving(subject, url, postgres_url, iterations, workdir)
                )
        measured = {subject: Measured() for subject in ready}
        turns = list(ready)
        for round_ in range(size.rounds):
            for subject in turns[round_ % len(turns) :] + turns[: round_ % len(turns)]:
                attack_round(subject, ready[subject], url, size, round_, measured[subject])
    return [
        figures_row(subject, measured[subject])
        if subject in measured
        else Row(subject, SUBJECTS[subject], skipped=skipped[subject])
        for subject in subjects
    ]


COLUMNS = [
    ("label", "subject"),
    ("requests_per_second", "req/s absorbed"),
    ("requests", "requests"),
    ("attack_locked_out", "attack locked out"),
    ("honest_logins", "honest logins"),
    ("honest_p50_ms", "honest p50 ms"),
    ("honest_p99_ms", "honest p99 ms"),
    ("honest_refused", "honest refused"),
    ("server_errors", "5xx"),
    ("no_answer", "no answer"),
    ("store_cpu_seconds", "Redis (PostgreSQL) CPU s"),
    ("django_cpu_seconds", "Django CPU s"),
    ("django_cpu_ms_per_request", "Django CPU ms/req"),
]


def table(rows: Sequence[Row]) -> str:
    """A Markdown table, one line per subject."""
    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|---" + "|---:" * (len(COLUMNS) - 1) + "|",
    ]
    for row in rows:
        values: dict[str, Any] = asdict(row)
        if row.skipped:
            cells = [row.label, f"skipped: {row.skipped}"] + [""] * (len(COLUMNS) - 2)
        else:
            cells = [f"{values[name]:,}" if name != "label" else row.label for name, _ in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="about 4 s per subject, not 15")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL"),
        help="a Redis whose database is flushed (default REDIS_URL; unset, a throwaway server)",
    )
    parser.add_argument("--subject", action="append", choices=list(SUBJECTS), dest="subjects")
    parser.add_argument(
        "--iterations",
        type=int,
        help="PBKDF2 rounds of the project's hasher (default: Django's, as the project has it)",
    )
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    rows = run(
        args.redis_url,
        size,
        subjects=args.subjects or tuple(SUBJECTS),
        iterations=args.iterations,
    )
    print(
        f"Under attack: gunicorn -k gthread, {server.WORKERS} workers x {server.THREADS} threads;"
        f" {load.ATTACKERS} attack connections and one honest login at a time, "
        f"{size.seconds:g} s per subject in {size.rounds} turns; PBKDF2 at "
        f"{args.iterations or 'Django default'} iterations"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

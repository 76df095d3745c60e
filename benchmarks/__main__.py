"""``python -m benchmarks [--quick]``: every subject, one run, one table.

Finds the bench Redis (``BENCH_REDIS_URL``; else ``REDIS_URL`` moved to database 14;
else ``redis://127.0.0.1:6379/14``; if none answers, a throwaway ``redis-server``)
and PostgreSQL (``DATABASE_URL``, else ``postgres://postgres@127.0.0.1:5432/postgres``,
in which a throwaway database is created and dropped afterwards), runs each subject
in its own process with its own settings module, then prints the markdown table and
the targets, and writes ``benchmarks/results/latest.json`` and ``latest.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks import report
from benchmarks.subjects import SUBJECTS, steps

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BENCH_DB = 14
"""Redis database the bench uses (and flushes); the test suite uses 15."""

FULL = {
    "limit": 5,
    "rounds": 3,
    "login_ops": 4_000,
    "check_ops": 5_000,
    "locked_clients": 200,
    "e2e_ops": 1_000,
    "round_trip_ops": 200,
    "memory_clients": 100_000,
    "scale_levels": [10_000, 100_000, 1_000_000],
    "scale_ops": 5_000,
    "race_attackers": [1, 8, 32, 64],
    "profile_ops": 3_000,
}
QUICK = {
    **FULL,
    "rounds": 3,
    "login_ops": 1_000,
    "check_ops": 1_000,
    "locked_clients": 50,
    "e2e_ops": 200,
    "round_trip_ops": 50,
    "memory_clients": 10_000,
    "scale_levels": [10_000, 100_000],
    "scale_ops": 1_000,
    "race_attackers": [1, 8],
    "profile_ops": 500,
}


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
    from tests.redis_server import answers, throwaway_server

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
    for dist in (
        "Django",
        "django-axes",
        "redis",
        "django-redis",
        "django-defender",
        "psycopg",
        "hiredis",
    ):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = None
    found["redis_server"] = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    return found


def run_subject(
    subject: Any, params: dict[str, Any], env: dict[str, str], bar: Any
) -> dict[str, Any]:
    planned = steps(subject, params)
    with tempfile.TemporaryDirectory(prefix=f"axes-bench-{subject.name}-") as workdir:
        out = Path(workdir) / "result.json"
        errors = Path(workdir) / "stderr.txt"
        child_env = {**env, "BENCH_WORKDIR": workdir}
        if subject.settings:
            child_env["DJANGO_SETTINGS_MODULE"] = subject.settings
        started = time.monotonic()
        with errors.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.runner", subject.name, json.dumps(params), out],
                cwd=ROOT,
                env=child_env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
            done = 0
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("@@step "):
                    done += 1
                    bar.update(1)
                    bar.set_postfix_str(f"{subject.name}: {line.split(' ', 1)[1].strip()}")
            code = process.wait()
        bar.update(len(planned) - done)
        if code != 0 or not out.exists():
            tail = errors.read_text().strip().splitlines()[-8:]
            return {
                "subject": subject.name,
                "label": subject.label,
                "status": "error",
                "reason": f"exit code {code}: " + " | ".join(tail),
            }
        result: dict[str, Any] = json.loads(out.read_text())
        result["seconds"] = time.monotonic() - started
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer ops, no 1M")
    parser.add_argument("--rounds", type=int, help="rounds per timing figure (median taken)")
    parser.add_argument(
        "--only", help="comma-separated subject names (baseline and floor are always run)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)

    params = dict(QUICK if args.quick else FULL)
    if args.rounds:
        params["rounds"] = args.rounds
    chosen = SUBJECTS
    if args.only:
        wanted = {"floor", "baseline", *args.only.split(",")}
        chosen = [s for s in SUBJECTS if s.name in wanted]

    from tqdm import tqdm

    started = time.monotonic()
    results: list[dict[str, Any]] = []
    with ExitStack() as stack:
        redis_url, redis_source = stack.enter_context(bench_redis())
        postgres_url, postgres_source = stack.enter_context(bench_postgres())
        env = {**os.environ, "BENCH_REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
        if postgres_url:
            env["BENCH_POSTGRES_URL"] = postgres_url
        machine = versions(redis_url)
        total = sum(len(steps(s, params)) for s in chosen)
        with tqdm(total=total, desc="make bench", unit="step", file=sys.stderr) as bar:
            for subject in chosen:
                if subject.postgres and not postgres_url:
                    results.append(
                        {
                            "subject": subject.name,
                            "label": subject.label,
                            "status": "skipped",
                            "reason": postgres_source,
                        }
                    )
                    bar.update(len(steps(subject, params)))
                    continue
                results.append(run_subject(subject, params, env, bar))
    elapsed = time.monotonic() - started

    document = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "make bench" + (" BENCH_ARGS=--quick" if args.quick else ""),
        "mode": "quick" if args.quick else "full",
        "seconds": elapsed,
        "machine": machine,
        "redis": {"url": redis_url, "source": redis_source},
        "postgres": {"source": postgres_source},
        "parameters": params,
        "notes": report.NOTES,
        "subjects": results,
    }
    document["derived"] = report.derive(document)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    chart = args.out.with_suffix(".png")
    document["chart"] = str(chart.relative_to(ROOT)) if chart.is_relative_to(ROOT) else str(chart)
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    report.chart(document, chart)
    print(report.markdown(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())

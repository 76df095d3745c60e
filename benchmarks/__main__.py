"""``python -m benchmarks [--quick]``: every subject, one run, one table.

Finds the bench Redis and PostgreSQL (``benchmarks.environment``), runs each subject
in its own process with its own settings module (``benchmarks.runner``), then prints
the markdown tables and the targets, and writes ``benchmarks/results/latest.json``
and ``latest.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from benchmarks import under_attack
from benchmarks.environment import bench_postgres, bench_redis, versions
from benchmarks.report import chart, derive, notes, tables
from benchmarks.subjects import SUBJECTS, Subject, steps

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
ATTACK_ITERATIONS = 100_000
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
    "instruction_ops": [200, 400],
    "server_ops": 1_000,
    "bytes_clients": 10_000,
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
    "instruction_ops": [20, 40],
    "server_ops": 200,
    "bytes_clients": 2_000,
}


class Progress(Protocol):
    """The progress bar a subject's run moves on (tqdm's, which ships no types)."""

    def update(self, n: int) -> object: ...

    def set_postfix_str(self, s: str) -> object: ...


def run_subject(
    subject: Subject, params: dict[str, Any], env: dict[str, str], bar: Progress
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


def under_attack_figures(redis_url: str, quick: bool) -> dict[str, Any]:
    """The example project under gunicorn, every subject in turns (``benchmarks.under_attack``).

    PBKDF2 at a tenth of Django's count, as the server tests use: at Django's own count a turn
    ends before most spray clients reach their limit and too few honest logins are timed.
    """
    size = under_attack.QUICK if quick else under_attack.FULL
    rows = under_attack.run(redis_url, size, iterations=ATTACK_ITERATIONS)
    return {
        "iterations": ATTACK_ITERATIONS,
        "seconds": size.seconds,
        "turns": size.rounds,
        "rows": [asdict(row) for row in rows],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer ops, no 1M")
    parser.add_argument("--rounds", type=int, help="rounds per timing figure (median taken)")
    parser.add_argument(
        "--only", help="comma-separated subject names (baseline and floor are always run)"
    )
    parser.add_argument(
        "--figures",
        help="comma-separated figures to take, e.g. instructions,server_us,under_attack "
        "(default: all)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    given = " ".join(sys.argv[1:] if argv is None else argv)

    params = dict(QUICK if args.quick else FULL)
    if args.rounds:
        params["rounds"] = args.rounds
    if args.figures:
        params["figures"] = args.figures.split(",")
    chosen = SUBJECTS
    if args.only:
        wanted = {"floor", "baseline", *args.only.split(",")}
        chosen = [s for s in SUBJECTS if s.name in wanted]

    from tqdm import tqdm

    started = time.monotonic()
    results: list[dict[str, Any]] = []
    attack: dict[str, Any] | None = None
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
        if not args.figures or "under_attack" in args.figures.split(","):
            attack = under_attack_figures(redis_url, args.quick)
    elapsed = time.monotonic() - started

    document = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "make bench" + (f" BENCH_ARGS={shlex.quote(given)}" if given else ""),
        "mode": "quick" if args.quick else "full",
        "seconds": elapsed,
        "machine": machine,
        "redis": {"url": redis_url, "source": redis_source},
        "postgres": {"source": postgres_source},
        "parameters": params,
        "notes": notes.NOTES,
        "subjects": results,
    }
    if attack:
        document["under_attack"] = attack
    document["derived"] = derive.derive(document)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    picture = args.out.with_suffix(".png")
    document["chart"] = (
        str(picture.relative_to(ROOT)) if picture.is_relative_to(ROOT) else str(picture)
    )
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    chart.draw(document, picture)
    print(tables.markdown(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())

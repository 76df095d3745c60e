"""instructions: client-side CPU instructions per operation, counted by callgrind.

The subject's process starts ``python -m benchmarks.figures.instructions SUBJECT PARAMS``
under ``valgrind --tool=callgrind``, with the subject's settings. That process runs each
operation N times, then 2N times (``instruction_ops``), each run on fresh clients, and calls
``os.getppid()`` right before and right after each run: callgrind dumps its counts before
every call of ``getppid`` (``--dump-before``), so each run is a dump part of its own. Per op
= (instructions of the long run - those of the short one) / (2N - N): start-up, warm-up and
the dumps' own cost cancel out. Waiting for Redis costs no instruction, so the counts hold on
a noisy machine.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from benchmarks.bench import Bench
    from benchmarks.drivers import Login

Arg = TypeVar("Arg")
Operations = dict[str, tuple[Callable[[], Arg], Callable[[Arg], object]]]
"""By operation name: what builds one call's argument, and the call."""

ROOT = Path(__file__).resolve().parent.parent.parent
MARKER = "getppid"
"""The C function whose calls mark the runs (nothing on a login path calls it)."""
OPERATIONS = ("check_clean", "failed_login", "success_login")
FLOOR_OPERATIONS = ("evalsha",)
MISSING = "valgrind not on PATH (Debian package: valgrind)"
TIMEOUT_SECONDS = 3600


def measure(bench: Bench) -> dict[str, Any]:
    return count(bench.subject.name, bench.params)


def measure_floor(params: dict[str, Any]) -> dict[str, Any]:
    """One bare redis-py EVALSHA (the floor's INCR+PEXPIRE script), counted the same way."""
    return count("floor", params)


def count(subject: str, params: dict[str, Any]) -> dict[str, Any]:
    lengths = params["instruction_ops"]
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {"available": False, "reason": MISSING}
    with tempfile.TemporaryDirectory(prefix="axes-bench-callgrind-") as workdir:
        out = Path(workdir) / "callgrind.out"
        command = [
            valgrind,
            "--tool=callgrind",
            f"--dump-before={MARKER}",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "benchmarks.figures.instructions",
            subject,
            json.dumps(params),
        ]
        # A fixed hash seed: the same dict and set layouts in every run.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
        )
        if done.returncode != 0:
            tail = " | ".join(done.stderr.strip().splitlines()[-6:])
            raise RuntimeError(f"callgrind run failed ({done.returncode}): {tail}")
        runs = [tuple(run) for run in json.loads(done.stdout.strip().splitlines()[-1])]
        parts = sorted(Path(workdir).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        if len(parts) != 2 * len(runs):
            raise RuntimeError(
                f"{len(parts)} callgrind dumps for {len(runs)} runs: something else called "
                f"{MARKER}()"
            )
        # Part 2k+1 ends where run k starts; part 2k+2 is run k.
        counted = {run: total(parts[2 * k + 1]) for k, run in enumerate(runs)}
    short, long = lengths
    per_run: dict[str, dict[str, int]] = {}
    for (operation, n), instructions in counted.items():
        per_run.setdefault(operation, {})[str(n)] = instructions
    return {
        "available": True,
        "lengths": lengths,
        "runs": per_run,
        "per_op": {
            operation: (found[str(long)] - found[str(short)]) / (long - short)
            for operation, found in per_run.items()
        },
    }


def total(part: Path) -> int:
    """The instructions of one callgrind dump part (its ``totals:`` line)."""
    for line in part.read_text(errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {part.name}")


def run_marked(
    runs: list[tuple[str, int]],
    operation: str,
    n: int,
    prepare: Callable[[], Arg],
    op: Callable[[Arg], object],
) -> None:
    """``n`` calls of ``op``, between two markers; their arguments prepared before."""
    arguments = [prepare() for _ in range(n)]
    gc.collect()
    os.getppid()
    for argument in arguments:
        op(argument)
    os.getppid()
    runs.append((operation, n))


def operations_of_floor() -> Operations[None]:
    import itertools

    import redis

    from benchmarks.figures.floor import bare_calls

    client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    evalsha = bare_calls(client, itertools.count(), ttl_ms=60_000)["evalsha"]
    for _ in range(200):  # warm the connection and the script cache
        evalsha()
    return {"evalsha": (lambda: None, lambda _: evalsha())}


def operations_of(subject: str, params: dict[str, Any]) -> Operations[Login]:
    import django

    django.setup()
    from benchmarks.bench import Bench
    from benchmarks.subjects import BY_NAME

    bench = Bench(BY_NAME[subject], params, os.environ["BENCH_REDIS_URL"])
    bench.driver.setup()
    bench.warm_up()
    for _ in range(5):
        bench.driver.success_login(bench.member())
    driver = bench.driver
    return {
        "check_clean": (bench.fresh, driver.check),
        "failed_login": (bench.fresh, driver.failed_login),
        "success_login": (bench.member, driver.success_login),
    }


def run_all(runs: list[tuple[str, int]], operations: Operations[Arg], lengths: list[int]) -> None:
    """Each operation at each length, in order (one callgrind dump part per run)."""
    for operation, (prepare, op) in operations.items():
        for n in lengths:
            run_marked(runs, operation, n, prepare, op)


def main() -> None:
    """Under callgrind: run each operation at each length between markers; print the runs."""
    subject, params = sys.argv[1], json.loads(sys.argv[2])
    runs: list[tuple[str, int]] = []
    if subject == "floor":
        run_all(runs, operations_of_floor(), params["instruction_ops"])
    else:
        run_all(runs, operations_of(subject, params), params["instruction_ops"])
    print(json.dumps(runs))


if __name__ == "__main__":
    main()

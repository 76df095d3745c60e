"""The example project under gunicorn on loopback, and the CPU time its processes use.

``served(env, log)`` starts ``gunicorn -k gthread`` on a free port, waits until it answers
and stops the whole process group on the way out, whatever happened in between (SIGTERM,
then SIGKILL if that is ignored). ``cpu_seconds(pid)`` reads the master's and its workers'
user + system time from ``/proc``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testsupport.processes import answers, stop_group
from testsupport.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example"
SETTINGS_MODULE = "benchmarks.settings.under_attack"
WORKERS = 2
"""One worker process per core of the 2-core machines the figures come from."""
THREADS = 4
"""Threads per worker: a password hash releases the GIL, Redis and the database wait on I/O."""
START_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerDidNotStart(RuntimeError):
    pass


@dataclass(frozen=True)
class Served:
    port: int
    pid: int
    """The gunicorn master's; its process group holds the workers."""


def project_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of the served project: the subject's settings, the checkout on the path."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        **overrides,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": path,
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def served(env: Mapping[str, str], log: Path) -> Iterator[Served]:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "demo_project.wsgi:application",
        "--pythonpath", str(EXAMPLE),
        "--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS),
        "--bind", f"127.0.0.1:{port}", "--backlog", "256",
        "--keep-alive", "5", "--timeout", "60", "--graceful-timeout", "5",
        "--log-level", "warning",
    ]  # fmt: skip
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(port, "/login/", timeout=5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerDidNotStart(
                    f"gunicorn did not answer:\n{log.read_text(errors='replace')}"
                )
            time.sleep(0.2)
        yield Served(port, process.pid)
    finally:
        stop_group(process)


def _stat(pid: int) -> list[str]:
    """Fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _cpu(fields: list[str]) -> float:
    """utime + stime: the 14th and 15th fields, 11th and 12th after the name."""
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_seconds(master: int) -> float:
    """User + system CPU time of ``master`` and its children, the gunicorn workers."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
        # After the name: state, then the parent's pid.
        if int(entry.name) == master or int(fields[1]) == master:
            total += _cpu(fields)
    return total


def postgres_cpu_seconds() -> float:
    """User + system CPU time of this machine's PostgreSQL processes (server and backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = _stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        total += _cpu(fields)
    return total

"""Serve the project with a real server in a subprocess: gunicorn (WSGI) or uvicorn (ASGI).

``served(kind, env, log)`` starts one on a free loopback port, waits until it answers,
yields its address and stops it on the way out, whatever happened in between: SIGTERM to
the process group it started (gunicorn's master and worker), SIGKILL if that is ignored.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testsupport.processes import answers, stop_group
from testsupport.redis_server import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULE = "tests.server_project.settings"
START_TIMEOUT = 30.0
START_ATTEMPTS = 3

GUNICORN_THREADS = 16


class ServerDidNotStart(RuntimeError):
    pass


@dataclass(frozen=True)
class Served:
    kind: str
    """``wsgi`` (gunicorn gthread) or ``asgi`` (uvicorn)."""
    host: str
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def command(kind: str, port: int) -> list[str]:
    """The server's command line: one process, threads for WSGI, one event loop for ASGI."""
    if kind == "wsgi":
        return [
            sys.executable, "-m", "gunicorn", "tests.server_project.wsgi:application",
            "--worker-class", "gthread", "--workers", "1",
            "--threads", str(GUNICORN_THREADS),
            "--bind", f"127.0.0.1:{port}",
            "--keep-alive", "5", "--timeout", "60", "--graceful-timeout", "5",
            "--log-level", "warning",
        ]  # fmt: skip
    if kind == "asgi":
        return [
            sys.executable, "-m", "uvicorn", "tests.server_project.asgi:application",
            "--host", "127.0.0.1", "--port", str(port),
            "--lifespan", "off", "--no-access-log", "--log-level", "warning",
            "--timeout-keep-alive", "5",
        ]  # fmt: skip
    raise ValueError(f"unknown server kind {kind!r}")


def _start(kind: str, env: Mapping[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command(kind, port),
            cwd=PROJECT_ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, "PYTHONUNBUFFERED": "1"},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not answers(port, "/page/", timeout=2):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_group(process)
            raise ServerDidNotStart(f"{kind} server on port {port} did not answer")
        time.sleep(0.1)
    return process, port


@contextmanager
def served(kind: str, env: Mapping[str, str], log: Path) -> Iterator[Served]:
    """The project under ``kind`` with ``env`` (the whole environment), output to ``log``.

    A free port can be taken before the server binds it, so a start is retried.
    """
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            process, port = _start(kind, env, log)
            break
        except ServerDidNotStart as exc:
            if attempt == START_ATTEMPTS:
                raise ServerDidNotStart(f"{exc}:\n{log.read_text(errors='replace')}") from exc
    try:
        yield Served(kind, "127.0.0.1", port, log)
    finally:
        stop_group(process)

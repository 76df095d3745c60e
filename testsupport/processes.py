"""Served processes the suites start and stop: a web server that answers, a group stopped whole.

The server tests and the under-attack benchmark both start gunicorn or uvicorn in a session of
its own; stopping the whole process group is what keeps a worker from outliving a failed run.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess

STOP_TIMEOUT = 10.0


def answers(port: int, path: str, timeout: float) -> bool:
    """Whether a GET of ``path`` on the local ``port`` is answered with 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process's group (started with ``start_new_session``), then SIGKILL it."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)

"""The throwaway redis-server of the test fixtures leaves nothing running when its start fails."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import redis

from testsupport import redis_server


def test_a_server_whose_handshake_is_refused_is_stopped(monkeypatch, tmp_path):
    """An old server refusing redis-py's ``HELLO 3`` (a ``ResponseError``) must not leak
    a redis-server process per attempt: the start is abandoned and the process killed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("no redis-server on PATH (Debian package: redis-server)")
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = real_popen(*args, **kwargs)
        started.append(process)
        return process

    def refused(url: str) -> bool:
        raise redis.ResponseError("unknown command 'HELLO'")

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    monkeypatch.setattr(redis_server, "answers", refused)
    with pytest.raises(redis.ResponseError, match="HELLO"):
        redis_server._start(binary, redis_server.free_port(), str(tmp_path), ())
    assert len(started) == 1
    assert started[0].poll() is not None, "the redis-server process is still running"

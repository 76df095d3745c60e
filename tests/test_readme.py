"""The README's redis-cli examples, run against a real Redis after real failed logins."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.real_redis_only]

README = Path(__file__).resolve().parent.parent / "README.md"


def console_examples() -> list[tuple[list[str], list[str]]]:
    """(redis-cli arguments, expected output lines) for every ``$ redis-cli`` line."""
    examples: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(), flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ redis-cli "):
                examples.append((shlex.split(line[len("$ redis-cli ") :], comments=True), []))
            elif examples:
                examples[-1][1].append(line)
    return examples


def matches(expected: str, actual: str) -> bool:
    """Literal match, except that long numbers (times, TTLs) and stream IDs need only be numbers."""
    pattern = re.sub(r"\d{4,}", r"\\d+", re.escape(expected)).replace(r"\d+\-0", r"\d+\-\d+")
    return re.fullmatch(pattern, actual) is not None


def test_readme_shows_redis_cli_examples():
    """A README without examples would make the test below pass vacuously."""
    assert len(console_examples()) >= 7


def test_every_redis_cli_example_runs_as_shown(private_redis, client, private_server_url):
    """An operator copying the README must see what the README says."""
    cli = shutil.which("redis-cli")
    assert cli is not None, "redis-cli is part of the redis-server package CI installs"
    with override_settings(
        AXES_FAILURE_LIMIT=3,
        AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]],
        AXES_ENABLE_ACCESS_FAILURE_LOG=True,
    ):
        for _ in range(3):
            client.post(
                "/login/",
                {"username": "alice", "password": "wrong"},
                REMOTE_ADDR="203.0.113.9",
                HTTP_USER_AGENT="curl/8.5.0",
            )
    for arguments, expected in console_examples():
        output = subprocess.run(
            # A terminal's formatting ("3", (integer) 1); --scan prints bare keys either way.
            [
                cli,
                "-u",
                private_server_url,
                *([] if "--scan" in arguments else ["--no-raw"]),
                *arguments,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert len(output) == len(expected), (arguments, output)
        for want, got in zip(expected, output, strict=True):
            assert matches(want, got), (arguments, want, got)
    # Unlocked by hand: the client is gone, the trail stays.
    assert private_redis.keys("axes:*") == [b"axes:trail"]

"""A bounded credential-stuffing load with a trickle of honest logins, over raw HTTP/1.1.

``ATTACKERS`` keep-alive connections post wrong passwords to ``/login/`` as fast as the
server answers; each spray client (an address in ``X-Forwarded-For``) makes a few
guesses against one username and moves on, and one client in ``PERSISTENT_SHARE`` keeps
going past the limit. One honest user at a time signs in with the right password from an
address of its own. Everything stops at the deadline or after ``max_requests``; requests
in flight then finish (each bounded by ``REQUEST_TIMEOUT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

ATTACKERS = 16
HONEST_PAUSE = 0.2
"""Seconds between one honest login's answer and the next one's request."""
REQUEST_TIMEOUT = 60.0
PERSISTENT_SHARE = 0.25
PERSISTENT_GUESSES = 8
"""Past a limit of 3, so the last guesses of a persistent client meet the lockout."""
SPRAY_GUESSES = (1, 2)
ROUND_CLIENTS = 500_000
"""Addresses a round may use; far more than a round's requests at any rate seen."""
DECOY_USERS = 40
"""Usernames that do not exist, beside the real ones, as in a leaked-credentials list."""
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
CSRF_COOKIE = re.compile(rb"csrftoken=([A-Za-z0-9]+)")
LOGIN_FORM = b'name="password"'
"""In a failed login's answer (the form again), never in a lockout page."""
LOCKED_STATUSES = (403, 429)


@dataclass
class Figures:
    """What one run saw, per kind of request."""

    attack_statuses: dict[int, int] = field(default_factory=dict)
    attack_locked: int = 0
    """Spray answers that were a lockout: 403/429, or (django-defender) a 200 without the form."""
    honest_statuses: dict[int, int] = field(default_factory=dict)
    """Status 0 counts the honest logins that got no answer."""
    honest_seconds: list[float] = field(default_factory=list)
    errors: int = 0
    """Requests that got no answer (a connection refused, reset, or timed out)."""
    window: float = 0.0
    """Seconds from the first request to the deadline, or to the last answer if sooner,
    summed over rounds."""
    answered_in_window: int = 0


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, head: bytes, body: bytes = b"") -> tuple[int, bytes, bytes]:
        """(status, header block, body)."""
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        writer.write(head + body)
        await writer.drain()
        headers = await reader.readuntil(b"\r\n\r\n")
        status = int(headers.split(b" ", 2)[1])
        lowered = headers.lower()
        length = re.search(rb"\r\ncontent-length: *(\d+)", lowered)
        if length:
            content = await reader.readexactly(int(length.group(1)))
        elif b"transfer-encoding: chunked" in lowered:
            content = await self._chunks(reader)
        else:
            content = await reader.read()
        if b"connection: close" in lowered or (not length and b"chunked" not in lowered):
            await self.close()
        return status, headers, content

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return b"".join(parts)

    async def close(self) -> None:
        if self.streams is not None:
            writer = self.streams[1]
            self.streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def login_request(port: int, token: str, address: str, username: str, password: str) -> bytes:
    """A browser's form POST to ``/login/`` from ``address`` behind one proxy."""
    body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
    return (
        f"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
        f"X-Forwarded-For: {address}, 127.0.0.1\r\nCookie: csrftoken={token}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def csrf_token(port: int) -> str:
    """The token of one ``GET /login/``: every guess reuses it, as a bot does."""
    connection = Connection(port)
    try:
        _, headers, _ = await connection.request(
            f"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        )
    finally:
        await connection.close()
    found = CSRF_COOKIE.search(headers)
    if found is None:
        raise RuntimeError("GET /login/ set no csrftoken cookie")
    return found.group(1).decode()


class Attack:
    def __init__(
        self,
        port: int,
        users: dict[str, str],
        duration: float,
        max_requests: int,
        figures: Figures,
        round_: int,
    ) -> None:
        self.port = port
        self.users = users
        self.usernames = [*users, *(f"user{n}@example.com" for n in range(DECOY_USERS))]
        self.duration = duration
        self.deadline = time.monotonic() + duration
        self.budget = max_requests
        self.random = random.Random(round_)
        # Each round sprays and signs in from addresses of its own: none is locked already.
        self.clients = round_ * ROUND_CLIENTS
        self.honest_clients = round_ * ROUND_CLIENTS
        self.figures = figures

    def _go_on(self) -> bool:
        if self.budget <= 0 or time.monotonic() >= self.deadline:
            return False
        self.budget -= 1
        return True

    async def _send(self, connection: Connection, request: bytes) -> tuple[int, bytes] | None:
        try:
            status, _, body = await asyncio.wait_for(connection.request(request), REQUEST_TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            self.figures.errors += 1
            await connection.close()
            return None
        if time.monotonic() <= self.deadline:
            self.figures.answered_in_window += 1
        return status, body

    def _count_attack(self, status: int, body: bytes) -> None:
        statuses = self.figures.attack_statuses
        statuses[status] = statuses.get(status, 0) + 1
        if status in LOCKED_STATUSES or (status == 200 and LOGIN_FORM not in body):
            self.figures.attack_locked += 1

    async def attacker(self, token: str) -> None:
        connection = Connection(self.port)
        try:
            while True:
                self.clients += 1
                n = self.clients
                address = f"100.{64 + n // 65536 % 64}.{n // 256 % 256}.{n % 256}"
                username = self.random.choice(self.usernames)
                persistent = self.random.random() < PERSISTENT_SHARE
                guesses = PERSISTENT_GUESSES if persistent else self.random.choice(SPRAY_GUESSES)
                for guess in range(guesses):
                    if not self._go_on():
                        return
                    request = login_request(self.port, token, address, username, f"guess-{guess}")
                    answer = await self._send(connection, request)
                    if answer is not None:
                        self._count_attack(*answer)
        finally:
            await connection.close()

    async def honest(self, token: str) -> None:
        while self._go_on():
            self.honest_clients += 1
            n = self.honest_clients
            username = self.random.choice(list(self.users))
            address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            connection = Connection(self.port)
            started = time.monotonic()
            request = login_request(self.port, token, address, username, self.users[username])
            answer = await self._send(connection, request)
            await connection.close()
            # No answer refused the user as surely as a lockout did.
            status = answer[0] if answer else 0
            if answer is not None:
                self.figures.honest_seconds.append(time.monotonic() - started)
            statuses = self.figures.honest_statuses
            statuses[status] = statuses.get(status, 0) + 1
            await asyncio.sleep(HONEST_PAUSE)

    async def run(self) -> Figures:
        token = await csrf_token(self.port)
        started = time.monotonic()
        self.deadline = started + self.duration
        await asyncio.gather(self.honest(token), *(self.attacker(token) for _ in range(ATTACKERS)))
        self.figures.window += min(time.monotonic(), self.deadline) - started
        return self.figures


def attack(
    port: int,
    users: dict[str, str],
    duration: float,
    max_requests: int,
    figures: Figures,
    round_: int = 0,
) -> None:
    """Spray the server on ``port`` for ``duration`` seconds or ``max_requests`` requests,
    adding what it saw to ``figures`` (rounds of one subject add up)."""
    asyncio.run(Attack(port, users, duration, max_requests, figures, round_).run())

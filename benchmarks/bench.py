"""One subject in its own process: its driver, the requests it is sent, and what figures share.

Every figure module takes a :class:`Bench` and returns its figure as a dict (JSON).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import redis

from benchmarks.drivers import DRIVERS, Login
from benchmarks.subjects import Subject

if TYPE_CHECKING:
    from testsupport.counting import Tally

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
"""Sent with every request (stored by handlers that keep it): a real browser's length."""

WRONG_PASSWORD = "wrong-password"
MEMBER_USERNAME = "member"
RIGHT_PASSWORD = "right-password"


class Clients:
    """Distinct clients: each call to ``next`` is an IP address and username never used."""

    def __init__(self, start: int = 1) -> None:
        self.index = start

    def next(self) -> tuple[str, str]:
        i = self.index
        self.index += 1
        return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", f"user{i}"


CLIENTS = Clients()


class Bench:
    """A subject, its parameters, the bench Redis and the subject's driver."""

    def __init__(self, subject: Subject, params: dict[str, Any], url: str) -> None:
        from django.test import RequestFactory

        self.subject = subject
        self.params = params
        self.url = url
        self.redis = redis.Redis.from_url(url)
        self.limit = params["limit"]
        self.reference = False
        """True while a same-window reference (AxesDummyHandler) runs: figures don't count it."""
        self.floor_keys = itertools.count()
        """Numbers for the paced floor's keys, never reused within the run."""
        self.factory = RequestFactory()
        self.driver = DRIVERS[subject.kind](self.factory, USER_AGENT)

    def setup(self) -> None:
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.core.management import call_command

        for alias in settings.DATABASES:
            call_command("migrate", database=alias, verbosity=0, interactive=False)
        self.redis.flushdb()
        if not User.objects.filter(username=MEMBER_USERNAME).exists():
            User.objects.create_user(MEMBER_USERNAME, password=RIGHT_PASSWORD)
        self.driver.setup()
        self.warm_up()

    def warm_up(self) -> None:
        """Imports, script cache, connections, the ORM's caches."""
        for _ in range(20):
            self.driver.failed_login(self.request(*CLIENTS.next()))
            self.driver.check(self.request(*CLIENTS.next()))

    def request(
        self,
        ip: str,
        username: str,
        *,
        with_body: bool = True,
        password: str = WRONG_PASSWORD,
        path: str = "/login/",
        user_agent: str = USER_AGENT,
    ) -> Login:
        data = {"username": username, "password": password} if with_body else {}
        request = self.factory.post(path, data, REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)
        # Parsed before any check, as CsrfViewMiddleware does for every POST: the check
        # reads the username from it, and the parse is not the handler's cost.
        request.POST  # noqa: B018
        return Login(request, username, password)

    def fresh(self, i: int = 0) -> Login:
        """A failed login's request from a client never seen before."""
        return self.request(*CLIENTS.next())

    def member(self, i: int = 0) -> Login:
        """The right password of an existing user, from an IP never seen before."""
        ip, _ = CLIENTS.next()
        return self.request(ip, MEMBER_USERNAME, password=RIGHT_PASSWORD)

    @contextmanager
    def dummy_handler(self) -> Iterator[None]:
        """django-axes' AxesDummyHandler in this process: the baseline, same settings otherwise."""
        from axes.handlers.proxy import AxesProxyHandler
        from django.test import override_settings

        with override_settings(AXES_HANDLER="axes.handlers.dummy.AxesDummyHandler"):
            AxesProxyHandler.get_implementation(force=True)
            self.reference = True
            try:
                yield
            finally:
                self.reference = False
                AxesProxyHandler.implementation = None
        AxesProxyHandler.get_implementation(force=True)

    def redis_pools(self) -> list[redis.ConnectionPool]:
        """The redis-py connection pools the subject talks to the bench Redis through."""
        return self.driver.redis_pools() if self.subject.redis else []

    @contextmanager
    def counting(self) -> Iterator[Tally]:
        """Client-side tally of what the subject sends (testsupport.counting's connection)."""
        from testsupport.counting import TALLY, CountingConnection

        pools = self.redis_pools()
        saved = [(pool, pool.connection_class) for pool in pools]
        for pool in pools:
            pool.disconnect()
            pool.reset()
            pool.connection_class = CountingConnection
        TALLY.reset()
        try:
            yield TALLY
        finally:
            for pool, klass in saved:
                pool.disconnect()
                pool.reset()
                pool.connection_class = klass

    def commandstats(self) -> dict[str, dict[str, float]]:
        """``INFO commandstats``, by command name (lower case): calls, usec, ..."""
        stats = self.redis.info("commandstats")
        return {
            name.removeprefix("cmdstat_"): values
            for name, values in stats.items()
            if isinstance(values, dict)
        }

    def used_memory(self) -> int:
        return int(self.redis.info("memory")["used_memory"])

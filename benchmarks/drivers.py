"""How each kind of subject performs the operations the figures time: one driver per kind.

A django-axes subject (its handlers and ours) is driven through ``authenticate()`` and
``AxesProxyHandler``; django-defender through its own ``watch_login`` decorator and
``utils``. Figures never ask which kind they measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.http import HttpRequest
from django.test import RequestFactory
from redis import ConnectionPool


@dataclass(frozen=True)
class Login:
    """A login as a driver gets it: the request, and the credentials a login view would
    read from its form (django-defender's check takes the username apart from the request)."""

    request: HttpRequest
    username: str
    password: str


class Driver:
    """The operations of one kind of subject, as its documented integration performs them."""

    has_dummy_reference: ClassVar[bool] = False
    """Whether ``AxesDummyHandler`` can stand in for the subject in its own process."""
    follows_axes_settings: ClassVar[bool] = False
    """Whether django-axes' settings (``AXES_LOCKOUT_PARAMETERS``...) shape what it stores."""
    race_backends: ClassVar[list[str]] = []
    """``AUTHENTICATION_BACKENDS`` for the race (the slow, counting password check last)."""

    def __init__(self, factory: RequestFactory, user_agent: str) -> None:
        self.factory = factory
        self.user_agent = user_agent

    def setup(self) -> None:
        """Anything the operations need once, after the database is migrated."""

    def failed_login(self, login: Login) -> object:
        """One failed login, the way the subject sees one."""
        raise NotImplementedError

    def success_login(self, login: Login) -> object:
        """One correct login: ``authenticate()`` and ``login()``, as a login view makes it."""
        raise NotImplementedError

    def check(self, login: Login) -> bool:
        """The lockout check alone, as a view decorator or a page load makes it (no
        password to evaluate follows); True when the client may go on."""
        raise NotImplementedError

    def record_only(self, ip: str, username: str) -> None:
        """Record one failure without the password check (memory figure)."""
        raise NotImplementedError

    def redis_pools(self) -> list[ConnectionPool]:
        """The redis-py connection pools the subject talks to the bench Redis through."""
        raise NotImplementedError

    def forget_attempts(self) -> None:
        """Delete the subject's rows of attempts in the database (between races)."""
        raise NotImplementedError


class AxesDriver(Driver):
    """django-axes wired in: authenticate() behind AxesStandaloneBackend, AxesProxyHandler."""

    has_dummy_reference: ClassVar[bool] = True
    follows_axes_settings: ClassVar[bool] = True
    race_backends: ClassVar[list[str]] = [
        "axes.backends.AxesStandaloneBackend",
        "benchmarks.backends.SlowCountingBackend",
    ]

    def failed_login(self, login: Login) -> object:
        from django.contrib.auth import authenticate

        return authenticate(login.request, username=login.username, password=login.password)

    def success_login(self, login: Login) -> object:
        from django.contrib.auth import authenticate
        from django.contrib.auth import login as log_in
        from django.contrib.sessions.backends.signed_cookies import SessionStore

        request = login.request
        user = authenticate(request, username=login.username, password=login.password)
        request.session = SessionStore()
        log_in(request, user)
        return user

    def check(self, login: Login) -> bool:
        from axes.handlers.proxy import AxesProxyHandler

        return bool(AxesProxyHandler.is_allowed(login.request))

    def record_only(self, ip: str, username: str) -> None:
        from axes.handlers.proxy import AxesProxyHandler

        request = self.factory.post("/login/", REMOTE_ADDR=ip, HTTP_USER_AGENT=self.user_agent)
        AxesProxyHandler.user_login_failed(None, {"username": username}, request)

    def redis_pools(self) -> list[ConnectionPool]:
        from axes_redis.connection import get_client

        return [get_client("axes").connection_pool]

    def forget_attempts(self) -> None:
        from axes.models import AccessAttempt

        AccessAttempt.objects.all().delete()


class DefenderDriver(Driver):
    """django-defender: its ``watch_login`` decorator around a view calling authenticate()."""

    race_backends: ClassVar[list[str]] = ["benchmarks.backends.SlowCountingBackend"]

    def setup(self) -> None:
        from defender.decorators import watch_login
        from django.http import HttpResponse

        def view(request: HttpRequest) -> HttpResponse:
            from django.contrib.auth import authenticate

            user = authenticate(
                request,
                username=request.POST.get("username"),
                password=request.POST.get("password"),
            )
            return HttpResponse(status=200 if user is None else 302)

        # defender's own decorator, as FailedLoginMiddleware applies it to LoginView.
        self.view = watch_login()(view)

    def failed_login(self, login: Login) -> object:
        return self.view(login.request)

    def success_login(self, login: Login) -> object:
        return self.view(login.request)

    def check(self, login: Login) -> bool:
        from defender import utils

        return not utils.is_already_locked(login.request, username=login.username)

    def record_only(self, ip: str, username: str) -> None:
        from defender import utils

        utils.record_failed_attempt(ip, username)

    def redis_pools(self) -> list[ConnectionPool]:
        from defender import utils

        return [utils.REDIS_SERVER.connection_pool]

    def forget_attempts(self) -> None:
        from defender.models import AccessAttempt

        AccessAttempt.objects.all().delete()


DRIVERS: dict[str, type[Driver]] = {"axes": AxesDriver, "defender": DefenderDriver}
"""Driver by ``Subject.kind`` (the floor has none: it is bare redis-py)."""

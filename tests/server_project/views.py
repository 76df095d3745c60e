"""The ways a Django site evaluates passwords, one view each.

Every view that takes credentials reads HTTP Basic auth (as DRF's ``BasicAuthentication``
does) except ``/login/`` (Django's ``LoginView``, a form and ``login()``) and ``/batch/``
(a JSON list, as a GraphQL batch of aliased ``tokenAuth`` mutations sends).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync, sync_to_async
from axes.decorators import axes_dispatch
from django.contrib.auth import aauthenticate, authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tests.server_project.backends import CRASH_FLAG

MAX_BATCH = 100
MAX_CALLS = 50
MAX_STREAM_SECONDS = 10.0
STREAM_TICK = 0.1

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="offthread-auth")
"""A long-lived pool, as an app that hands work to threads keeps one."""


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(username, password) from ``Authorization: Basic ...``, or None."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def unauthorized() -> HttpResponse:
    response = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Basic realm="server_project"'
    return response


def _basic_user(request: HttpRequest) -> AbstractBaseUser | None:
    found = basic_credentials(request)
    if found is None:
        return None
    return authenticate(request, username=found[0], password=found[1])


@require_GET
def basic(request: HttpRequest) -> HttpResponse:
    """An API endpoint behind HTTP Basic auth: ``authenticate()`` and no ``login()``."""
    user = _basic_user(request)
    if user is None:
        return unauthorized()
    return HttpResponse(f"Hello {user.get_username()}.\n", content_type="text/plain")


@require_GET
def offthread(request: HttpRequest) -> HttpResponse:
    """``authenticate()`` on another thread, ``n`` times in a row (``?n=``, ``?mode=``).

    ``mode=pool``: a ``ThreadPoolExecutor``; ``mode=async``: ``sync_to_async(authenticate,
    thread_sensitive=False)``, run from this sync view with ``async_to_sync``.
    """
    found = basic_credentials(request)
    if found is None:
        return unauthorized()
    calls = max(1, min(int(request.GET.get("n", "1")), MAX_CALLS))
    mode = request.GET.get("mode", "pool")
    succeeded = 0
    for _ in range(calls):
        if mode == "async":
            off_thread = sync_to_async(authenticate, thread_sensitive=False)
            user = async_to_sync(off_thread)(request, username=found[0], password=found[1])
        else:
            user = _POOL.submit(
                authenticate, request, username=found[0], password=found[1]
            ).result()
        succeeded += user is not None
    status = 200 if succeeded == calls else 401
    return JsonResponse({"succeeded": succeeded, "calls": calls}, status=status)


@require_GET
def stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """A download behind Basic auth: authenticate, then stream for ``?seconds=``."""
    if _basic_user(request) is None:
        return unauthorized()
    seconds = min(float(request.GET.get("seconds", "2")), MAX_STREAM_SECONDS)

    def chunks() -> Iterator[bytes]:
        deadline = time.monotonic() + seconds
        yield b"start\n"
        while time.monotonic() < deadline:
            time.sleep(STREAM_TICK)
            yield b"x" * 1024 + b"\n"
        yield b"end\n"

    return StreamingHttpResponse(chunks(), content_type="application/octet-stream")


@require_GET
@axes_dispatch  # type: ignore[untyped-decorator]
def page(request: HttpRequest) -> HttpResponse:
    """A login page guarded by ``axes_dispatch``: a check without credentials."""
    return HttpResponse(
        '<!doctype html><title>Sign in</title><form method="post" action="/login/"></form>\n'
    )


@csrf_exempt
@require_POST
def batch(request: HttpRequest) -> HttpResponse:
    """A JSON list of ``{"username", "password"}``: one ``authenticate()`` per item,
    in one request (a GraphQL batch of aliased ``tokenAuth`` mutations)."""
    try:
        items = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("Not JSON.\n")
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        return HttpResponseBadRequest(f"A list of at most {MAX_BATCH} items.\n")
    succeeded = 0
    for item in items:
        user = authenticate(request, username=item["username"], password=item["password"])
        succeeded += user is not None
    return JsonResponse({"succeeded": succeeded, "attempted": len(items)})


async def async_login(request: HttpRequest) -> HttpResponse:
    """An async view: ``await aauthenticate()`` with Basic credentials (under uvicorn)."""
    found = basic_credentials(request)
    if found is None:
        return unauthorized()
    user = await aauthenticate(request, username=found[0], password=found[1])
    if user is None:
        return unauthorized()
    return HttpResponse(f"Hello {user.get_username()}.\n", content_type="text/plain")


@require_GET
def crash(request: HttpRequest) -> HttpResponse:
    """Basic auth on a request that crashes after the password check.

    By default a wrong password makes ``CrashingBackend`` raise inside ``authenticate()``
    (after ``ModelBackend`` evaluated it, before ``user_login_failed``), and a right one
    returns and the view raises: the request ends in a 500 and nobody learns the outcome.
    ``?where=view``: no backend raises; the view raises after ``authenticate()`` returned,
    whatever it returned (a failure has then been reported already).
    """
    if request.GET.get("where") == "view":
        _basic_user(request)
        raise RuntimeError("the view failed after authenticate() returned")
    setattr(request, CRASH_FLAG, True)
    if _basic_user(request) is None:
        return unauthorized()
    raise RuntimeError("the view failed after a successful authenticate()")

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from axes.decorators import axes_dispatch
from django.contrib import admin
from django.contrib.auth import authenticate
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.html import escape
from rest_framework.authentication import BasicAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from axes_redis import admin as axes_redis_admin


def locked(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"locked page for {escape(request.GET.get('username', ''))}")


def token_auth(request: HttpRequest) -> HttpResponse:
    """An API-style flow: authenticate() on every request, never login()."""
    user = authenticate(
        request, username=request.POST.get("username"), password=request.POST.get("password")
    )
    return HttpResponse("ok" if user else "denied", status=200 if user else 401)


@axes_dispatch  # type: ignore[untyped-decorator]
def double_auth(request: HttpRequest) -> HttpResponse:
    """A decorator check plus two authenticate() calls for one request."""
    for _ in range(2):
        user = authenticate(
            request, username=request.POST.get("username"), password=request.POST.get("password")
        )
    return HttpResponse("ok" if user else "denied", status=200 if user else 401)


def _credentials(request: HttpRequest) -> dict[str, str | None]:
    return {"username": request.POST.get("username"), "password": request.POST.get("password")}


def batch_auth(request: HttpRequest) -> HttpResponse:
    """A batch (a GraphQL document of aliased token mutations): one authenticate() per item."""
    items = json.loads(request.body)
    found = [authenticate(request, **item) is not None for item in items]
    return JsonResponse({"ok": sum(found)})


def off_thread_auth(request: HttpRequest) -> HttpResponse:
    """authenticate() on a thread that is not the request's."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        user = pool.submit(authenticate, request, **_credentials(request)).result()
    return HttpResponse("ok" if user else "denied", status=200 if user else 401)


def crash_after_auth(request: HttpRequest) -> HttpResponse:
    """A view that raises after the password check, whatever its outcome."""
    authenticate(request, **_credentials(request))
    raise RuntimeError("crashed after the password check")


@axes_dispatch  # type: ignore[untyped-decorator]
def login_page(request: HttpRequest) -> HttpResponse:
    """django-allauth's integration: the decorator checks every request, page loads too."""
    return HttpResponse("<form>the login page</form>")


ASYNC_AUTH = django.VERSION >= (5, 0)
"""``aauthenticate()`` came with Django 5.0: before it there is no async login path to test."""


async def async_auth(request: HttpRequest) -> HttpResponse:
    """Django's async login path: await aauthenticate()."""
    from django.contrib.auth import aauthenticate

    user = await aauthenticate(request, **_credentials(request))
    return HttpResponse("ok" if user else "denied", status=200 if user else 401)


class BasicAuthView(APIView):  # type: ignore[misc]
    """Django REST framework's HTTP Basic auth: authenticate() on its own Request wrapper."""

    authentication_classes = (BasicAuthentication,)
    permission_classes = (IsAuthenticated,)

    def get(self, request: Any) -> Response:
        return Response({"user": request.user.get_username()})


class OpsAdminSite(admin.AdminSite):
    """A project's own AdminSite: our pages must work there too."""

    site_header = "Ops"


ops_site = OpsAdminSite(name="ops")
axes_redis_admin.register(ops_site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", ops_site.urls),
    path("login/", LoginView.as_view(), name="login"),
    path("locked/", locked, name="locked"),
    path("api/auth/", token_auth, name="token-auth"),
    path("api/double/", double_auth, name="double-auth"),
    path("api/batch/", batch_auth, name="batch-auth"),
    path("api/off-thread/", off_thread_auth, name="off-thread-auth"),
    path("api/crash/", crash_after_auth, name="crash-after-auth"),
    path("page/", login_page, name="login-page"),
    path("api/drf/", BasicAuthView.as_view(), name="drf-basic"),
]
if ASYNC_AUTH:
    urlpatterns.append(path("api/async/", async_auth, name="async-auth"))

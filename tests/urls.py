from axes.decorators import axes_dispatch
from django.contrib import admin
from django.contrib.auth import authenticate
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.urls import path

from axes_redis import admin as axes_redis_admin


def locked(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"locked page for {request.GET.get('username', '')}")


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
]

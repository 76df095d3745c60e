from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.urls import path


def locked(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"locked page for {request.GET.get('username', '')}")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", LoginView.as_view(), name="login"),
    path("locked/", locked, name="locked"),
]

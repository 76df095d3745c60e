from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.urls import path

from tests.server_project import views

urlpatterns = [
    path("basic/", views.basic),
    path("login/", LoginView.as_view()),
    path("offthread/", views.offthread),
    path("stream/", views.stream),
    path("page/", views.page),
    path("batch/", views.batch),
    path("async-login/", views.async_login),
    path("crash/", views.crash),
]

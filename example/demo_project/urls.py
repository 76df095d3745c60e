from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import LoginView, LogoutView
from django.urls import path

from demo_project import DEMO_USERS, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", LoginView.as_view(extra_context={"demo_users": DEMO_USERS}), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

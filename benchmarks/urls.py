"""The documented login path: Django's LoginView (behind the subject's middleware)."""

from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.urls import path

urlpatterns = [path("login/", LoginView.as_view(), name="login")]

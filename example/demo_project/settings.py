"""Settings of the demo project: Django's auth and admin, django-axes on the axes-redis handler.

``REDIS_URL`` names the Redis (default ``redis://127.0.0.1:6379/3``); ``run_demo.py`` sets it
to the embedded server when that one is used. ``DEMO_DB`` moves the SQLite file (default
``example/db.sqlite3``). Not for production: the secret key is public and ``DEBUG`` is on.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from demo_project import DEFAULT_REDIS_URL

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "axes-redis-demo-not-a-secret"  # public: a demo on loopback only
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "axes_redis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes documents: it turns a lockout into the lockout response.
    # Before AxesMiddleware, so that it sees the lockout responses AxesMiddleware makes.
    "axes_redis.middleware.AxesRedisMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "demo_project.urls"
WSGI_APPLICATION = "demo_project.wsgi.application"

# Annotated as Django reads them, so settings built on these (the under-attack benchmark's)
# can change them.
TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The reset commands on the lockout page, exactly as they run from here.
                "demo_project.views.reset_commands",
                # The time left and the tier in force, for the lockout page.
                "axes_redis.lockout.context",
            ]
        },
    }
]

DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB") or BASE_DIR.parent / "db.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "axes": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        # A login never waits on Redis for long (system check axes_redis.W002).
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
    },
}

STATIC_URL = "static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AXES_HANDLER = "axes_redis.handler.AxesRedisHandler"
AXES_CACHE = "axes"
# Progressive lockouts: 3 failures lock for 2 minutes, 5 for 10, 8 for an hour (counted
# inside Redis, so the lockout grows with every attempt made while locked).
AXES_LOCKOUT_TIERS: list[tuple[int, timedelta]] | None = [
    (3, timedelta(minutes=2)),
    (5, timedelta(minutes=10)),
    (8, timedelta(hours=1)),
]
# Lockout responses say how many seconds are left (the key's TTL), in Retry-After too.
AXES_ENABLE_RETRY_AFTER_HEADER = True
# One username from one IP: locking alice out leaves bob and admin free to sign in.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "lockout.html"
# Failed logins join logins and logouts in the login trail (axes_redis log).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# django-axes' own admin pages show its database tables, which stay empty with this handler.
AXES_ENABLE_ADMIN = False
# The log lines show who failed, for the demo; django-axes masks username and IP by default.
AXES_SENSITIVE_PARAMETERS: list[str] = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "axes_redis": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

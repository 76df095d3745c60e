"""What every subject shares: apps, middleware, the MD5 hasher, logging, the limit.

Identical for every subject on purpose, so that differences in the figures come from
the lockout machinery alone: the fast (MD5) password hasher, the same logging
configuration (every logger goes to a ``NullHandler`` at INFO, so log records are
still built as on a real site, but nothing is written), one SQLite file (IMMEDIATE
transactions) for Django's own tables (users, sessions), and a failure limit of 5.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
WORKDIR = Path(os.environ.get("BENCH_WORKDIR", "/tmp"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

FAILURE_LIMIT = 5

SECRET_KEY = "axes-redis-benchmarks"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "axes",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "benchmarks.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES: dict[str, Any] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(WORKDIR / "default.sqlite3"),
        # IMMEDIATE: Django's advice for concurrent writers, else the race sees
        # "database is locked" errors instead of waits.
        "OPTIONS": {"timeout": 60, "transaction_mode": "IMMEDIATE"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

CACHES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AXES_FAILURE_LIMIT = FAILURE_LIMIT
AXES_COOLOFF_TIME = 1  # hour
AXES_LOCKOUT_PARAMETERS = ["ip_address"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "INFO"},
}


def redis_cache(backend: str) -> dict[str, Any]:
    """The bench Redis as a cache alias, through django-redis or Django's RedisCache."""
    paths = {
        "django-redis": "django_redis.cache.RedisCache",
        "django": "django.core.cache.backends.redis.RedisCache",
    }
    return {"BACKEND": paths[backend], "LOCATION": REDIS_URL}

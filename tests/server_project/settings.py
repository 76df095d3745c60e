"""Settings of the served project; the test chooses the handler, Redis and limits by environment.

``SERVER_PROJECT_HANDLER`` is ``axes_redis.handler.AxesRedisHandler`` (the default) or
``axes.handlers.cache.AxesCacheHandler``; both record into the same Redis-backed cache
(django-redis at ``SERVER_PROJECT_REDIS_URL``). The stack is identical for both:
``AxesRedisMiddleware`` stays in for the cache handler's runs, where it finds no guesses
on a request and returns the response untouched, so the two differ only in the handler.
Not for production: the secret key is public.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.server_project import ENV, FAILURE_LIMIT

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "axes-redis-server-project-not-a-secret"  # public: loopback only
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "axes",
    "axes_redis",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "axes_redis.middleware.AxesRedisMiddleware",
    "axes.middleware.AxesMiddleware",
]
# Sessions in signed cookies: a form login writes no session row, so concurrent logins
# contend on SQLite only for ``last_login``.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

AUTHENTICATION_BACKENDS = [
    "axes_redis.backends.AxesStandaloneBackend",
    "tests.server_project.backends.CountingModelBackend",
    "tests.server_project.backends.CrashingBackend",
]
PASSWORD_HASHERS = [
    "tests.server_project.hashers.CIPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

ROOT_URLCONF = "tests.server_project.urls"
WSGI_APPLICATION = "tests.server_project.wsgi.application"
LOGIN_REDIRECT_URL = "/page/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get(ENV["database"], str(BASE_DIR / "db.sqlite3")),
        # Concurrent form logins each write last_login: wait for the lock, do not fail.
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

redis_url = os.environ.get(ENV["redis_url"], "redis://127.0.0.1:6379/9")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "axes": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": redis_url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    },
}

AXES_HANDLER = os.environ.get(ENV["handler"], "axes_redis.handler.AxesRedisHandler")
AXES_CACHE = "axes"
AXES_FAILURE_LIMIT = FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=2)
AXES_LOCKOUT_PARAMETERS: list[Any] = json.loads(
    os.environ.get(ENV["lockout_parameters"], '[["username", "ip_address"]]')
)
if os.environ.get(ENV["guard_hold"]):
    AXES_REDIS_GUARD_HOLD = float(os.environ[ENV["guard_hold"]])
if os.environ.get(ENV["guard_wait"]):
    AXES_REDIS_GUARD_WAIT = float(os.environ[ENV["guard_wait"]])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Every failure is a WARNING in both handlers: only errors reach the server log.
        "axes": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes_redis": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

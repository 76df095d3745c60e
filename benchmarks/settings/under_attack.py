"""The example project as the under-attack load test serves it, one subject per environment.

``ATTACK_SUBJECT`` picks the handler: ``axes-redis`` (AxesRedisHandler), ``cache``
(django-axes' AxesCacheHandler), ``database`` (AxesDatabaseHandler, its tables on the
PostgreSQL at ``ATTACK_POSTGRES_URL``) or ``defender`` (django-defender instead of
django-axes). The Redis subjects use ``ATTACK_REDIS_URL`` (django-redis for django-axes);
Django's own tables are on the SQLite file ``ATTACK_DB``.

Everything else is the example project's, with three changes so that the subjects differ
in the handler alone and the figures measure a production-like site: the same lockout
policy for every handler (its first tier, 3 failures for 2 minutes, instead of its tier
ladder, which only axes-redis has), ``DEBUG`` off and logging to a ``NullHandler``, and
the client address taken from ``X-Forwarded-For`` behind one proxy.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "example"))

from demo_project.settings import *  # noqa: F403
from demo_project.settings import (
    CACHES,
    DATABASES,
    INSTALLED_APPS,
    MIDDLEWARE,
    TEMPLATES,
)

from benchmarks.attack.hashers import ITERATIONS_ENV

SUBJECT = os.environ.get("ATTACK_SUBJECT", "axes-redis")
HANDLERS = {
    "axes-redis": "axes_redis.handler.AxesRedisHandler",
    "cache": "axes.handlers.cache.AxesCacheHandler",
    "database": "axes.handlers.database.AxesDatabaseHandler",
    "defender": "axes.handlers.dummy.AxesDummyHandler",
}

DEBUG = False
AXES_HANDLER = HANDLERS[SUBJECT]
AXES_LOCKOUT_TIERS = None
AXES_FAILURE_LIMIT = 3
AXES_COOLOFF_TIME = timedelta(minutes=2)
AXES_IPWARE_PROXY_COUNT = 1
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

CACHES["axes"]["LOCATION"] = os.environ.get("ATTACK_REDIS_URL", "redis://127.0.0.1:6379/15")
DATABASES["default"]["NAME"] = os.environ.get("ATTACK_DB", "/tmp/under_attack.sqlite3")
# Honest logins write last_login and a session row: concurrent ones wait for the lock.
DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}

if SUBJECT == "database":
    _url = urlsplit(
        os.environ.get("ATTACK_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    DATABASES["axes"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/") or "postgres",
        "USER": _url.username or "postgres",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
    }
    DATABASE_ROUTERS = ["benchmarks.settings.db_postgres.AxesRouter"]

if SUBJECT == "defender":
    # django-defender as its README documents it, in place of django-axes: its app, its
    # middleware (which wraps LoginView), its Redis. It locks when the count exceeds its
    # limit, hence 2; by username and address together, as the others do.
    INSTALLED_APPS = [app for app in INSTALLED_APPS if not app.startswith("axes")] + ["defender"]
    MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("axes")] + [
        "defender.middleware.FailedLoginMiddleware"
    ]
    AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    TEMPLATES[0]["OPTIONS"]["context_processors"] = [
        name
        for name in TEMPLATES[0]["OPTIONS"]["context_processors"]
        if not name.startswith("axes_redis")
    ]
    DEFENDER_REDIS_URL = CACHES["axes"]["LOCATION"]
    DEFENDER_LOGIN_FAILURE_LIMIT = AXES_FAILURE_LIMIT - 1
    DEFENDER_COOLOFF_TIME = int(AXES_COOLOFF_TIME.total_seconds())
    DEFENDER_LOCK_OUT_BY_IP_AND_USERNAME = True
    DEFENDER_BEHIND_REVERSE_PROXY = True

if os.environ.get(ITERATIONS_ENV):
    PASSWORD_HASHERS = ["benchmarks.attack.hashers.TunedPBKDF2PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "INFO"},
}

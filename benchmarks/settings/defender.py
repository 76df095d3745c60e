"""django-defender, as its README documents it: app, middleware, its own Redis URL.

No django-axes here: ``FailedLoginMiddleware`` wraps ``LoginView.dispatch`` with
defender's ``watch_login`` decorator, which checks the lockout before the view and
records the failure after it (two Redis ``GET`` for the check; per failure an
``INCR``+``EXPIRE`` pipeline per tracked key, and a row in its ``AccessAttempt``
table, ``DEFENDER_STORE_ACCESS_ATTEMPTS`` being on by default).

defender locks out when the count *exceeds* its limit, so its limit is set to
``FAILURE_LIMIT - 1``: a lone attacker then gets exactly ``FAILURE_LIMIT`` password
checks, as with django-axes, which keeps the race comparable.
"""

from __future__ import annotations

from benchmarks.settings.base import *  # noqa: F403
from benchmarks.settings.base import FAILURE_LIMIT, INSTALLED_APPS, MIDDLEWARE, REDIS_URL

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "axes"] + ["defender"]
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("axes.")] + [
    "defender.middleware.FailedLoginMiddleware"
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

DEFENDER_REDIS_URL = REDIS_URL
DEFENDER_LOGIN_FAILURE_LIMIT = FAILURE_LIMIT - 1
DEFENDER_COOLOFF_TIME = 3600

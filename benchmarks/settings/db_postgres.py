"""django-axes' AxesDatabaseHandler with its tables on PostgreSQL.

Django's own tables (users, sessions) stay on the SQLite file every subject uses and
axes' models are routed to PostgreSQL (django-axes writes through
``router.db_for_write``), so the user lookup costs the same in every subject and the
overhead over the baseline is the handler's alone.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from benchmarks.settings.base import *  # noqa: F403
from benchmarks.settings.base import DATABASES

if TYPE_CHECKING:
    from django.db.models import Model

AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

_url = urlsplit(os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
DATABASES["axes"] = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": _url.path.lstrip("/") or "postgres",
    "USER": _url.username or "postgres",
    "PASSWORD": _url.password or "",
    "HOST": _url.hostname or "127.0.0.1",
    "PORT": str(_url.port or 5432),
}
DATABASE_ROUTERS = ["benchmarks.settings.db_postgres.AxesRouter"]


class AxesRouter:
    """django-axes' models on the ``axes`` alias, everything else on ``default``."""

    def _alias(self, model: type[Model]) -> str:
        return "axes" if model._meta.app_label == "axes" else "default"

    def db_for_read(self, model: type[Model], **hints: object) -> str:
        return self._alias(model)

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return self._alias(model)

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == ("axes" if app_label == "axes" else "default")

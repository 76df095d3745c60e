"""django-axes' AxesDatabaseHandler on the SQLite file that also holds Django's tables."""

from __future__ import annotations

from benchmarks.settings.base import *  # noqa: F403

AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

"""django-axes' AxesCacheHandler on Django's own RedisCache."""

from __future__ import annotations

from benchmarks.settings.base import *  # noqa: F403
from benchmarks.settings.base import CACHES, redis_cache

AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "axes"
CACHES["axes"] = redis_cache("django")

"""axes-redis (AxesRedisHandler) on django-redis."""

from __future__ import annotations

from benchmarks.settings.base import *  # noqa: F403
from benchmarks.settings.base import CACHES, INSTALLED_APPS, MIDDLEWARE, redis_cache

INSTALLED_APPS = [*INSTALLED_APPS, "axes_redis"]
MIDDLEWARE = [*MIDDLEWARE, "axes_redis.middleware.AxesRedisMiddleware"]
AXES_HANDLER = "axes_redis.handler.AxesRedisHandler"
AXES_CACHE = "axes"
CACHES["axes"] = redis_cache("django-redis")

from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import Tags, register


class AxesRedisConfig(AppConfig):
    name = "axes_redis"
    verbose_name = "Axes (Redis)"

    def ready(self) -> None:
        """Register the system checks; nothing else, and no I/O."""
        from axes_redis import checks

        register(checks.check_handler, Tags.security)
        register(checks.check_configuration, Tags.security, Tags.caches)

from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import Tags, register
from django.core.signals import request_finished


class AxesRedisConfig(AppConfig):
    name = "axes_redis"
    verbose_name = "Axes (Redis)"

    def ready(self) -> None:
        """Register the system checks and the end-of-request release; no I/O."""
        from axes_redis import checks, guard

        register(checks.check_handler, Tags.security)
        register(checks.check_configuration, Tags.security, Tags.caches)
        register(checks.check_server, Tags.security, Tags.caches, deploy=True)
        request_finished.connect(guard.release_finished, dispatch_uid="axes_redis.guard")

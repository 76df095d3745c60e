from __future__ import annotations

from django.apps import AppConfig, apps
from django.core.checks import Tags, register
from django.db.models.signals import post_migrate


class AxesRedisConfig(AppConfig):
    name = "axes_redis"
    verbose_name = "Axes (Redis)"

    def ready(self) -> None:
        """Register the system checks and the creation of our admin permissions
        after ``migrate``; no I/O here.

        Without ``'axes'`` installed, ``axes.models`` is replaced by a stand-in whose
        imports fail with E004's text, so that ``check`` reports E004 instead of
        dying on django-axes' models (see :func:`axes_redis.checks.stand_in_for_axes_models`).
        """
        from axes_redis import checks, permissions, tiers

        checks.stand_in_for_axes_models()
        register(checks.check_handler, Tags.security)
        register(checks.check_configuration, Tags.security, Tags.caches)
        register(checks.check_server, Tags.security, Tags.caches, deploy=True)
        register(tiers.check_tiers, Tags.security)
        if apps.is_installed("django.contrib.auth"):
            post_migrate.connect(
                permissions.create_permissions,
                sender=apps.get_app_config("auth"),
                dispatch_uid="axes_redis.permissions",
            )

"""The two permissions of the admin pages, without a model or a migration of ours.

Django keeps permissions as rows of its own ``auth_permission`` table, tied to a
``ContentType``. We have no models (everything lives in Redis), so a
``post_migrate`` receiver creates one content type, ``axes_redis | lockout``, and
our two permissions on it; operators grant them like any other permission, in
the user or group admin. Superusers have every permission anyway.

``remove_stale_contenttypes`` lists that content type as stale (no model backs
it) and would delete it with the grants: answer "no", or run ``migrate`` again
and grant anew.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, router

APP_LABEL = "axes_redis"
CONTENT_TYPE_MODEL = "lockout"
VIEW = "view_lockouts"
RESET = "reset_lockouts"
PERMISSIONS = {
    VIEW: "Can view tracked clients and the login trail in Redis",
    RESET: "Can reset lockouts in Redis",
}


def perm(codename: str) -> str:
    """The string ``user.has_perm`` takes, e.g. ``axes_redis.reset_lockouts``."""
    return f"{APP_LABEL}.{codename}"


def create_permissions(
    using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps, **kwargs: Any
) -> None:
    """``post_migrate`` receiver (sent by ``auth``): make sure both permissions exist."""
    try:
        content_type_model = apps.get_model("contenttypes", "ContentType")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:
        return
    if not router.allow_migrate_model(using, permission_model):
        return
    content_type, _ = content_type_model.objects.db_manager(using).get_or_create(
        app_label=APP_LABEL, model=CONTENT_TYPE_MODEL
    )
    for codename, name in PERMISSIONS.items():
        permission_model.objects.db_manager(using).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )

"""Create the served project's databases: ``python -m benchmarks.attack.prepare``.

Run in a subprocess with the subject's settings: migrates Django's tables (and, for the
database handler, django-axes' tables on their own alias) and creates the example
project's users with the configured hasher, so no login rehashes a password.
"""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings.under_attack")
    import django

    django.setup()
    from demo_project import DEMO_USERS
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    for alias in settings.DATABASES:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    model = get_user_model()
    for username, password, _superuser in DEMO_USERS:
        if not model.objects.filter(username=username).exists():
            model.objects.create_user(username=username, password=password)


if __name__ == "__main__":
    main()

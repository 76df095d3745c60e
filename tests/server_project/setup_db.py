"""Create the project's SQLite database: ``python -m tests.server_project.setup_db``.

Migrates the file named by ``SERVER_PROJECT_DB`` and creates :data:`USERS` with the
project's hasher. Run once per test module, in a subprocess with the project's settings.
"""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.server_project.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tests.server_project import USERS

    call_command("migrate", interactive=False, verbosity=0)
    model = get_user_model()
    for username, password in USERS.items():
        model.objects.create_user(username=username, password=password)


if __name__ == "__main__":
    main()

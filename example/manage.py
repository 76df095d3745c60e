#!/usr/bin/env python
"""Django's command line for the demo project: ``python example/manage.py <command>``.

Uses the Redis at ``REDIS_URL`` (default ``redis://127.0.0.1:6379/3``); while ``make demo`` runs
on its embedded server, it prints the ``REDIS_URL=...`` to put in front of these commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

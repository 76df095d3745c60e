"""WSGI entry point for gunicorn: ``tests.server_project.wsgi:application``."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.server_project.settings")

application = get_wsgi_application()

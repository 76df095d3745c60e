"""WSGI entry point of the demo project (``run_demo.py`` serves it with ``runserver``)."""

from __future__ import annotations

import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_project.settings")

application: WSGIHandler = get_wsgi_application()

"""The operator's tools at scale (``admin_scale``, ``reset_scale``): axes-redis with the admin.

The scripts point the ``axes`` cache at their own throwaway Redis; the admin's database is
the test database Django creates for the run.
"""

from __future__ import annotations

from benchmarks.settings.ours_django_redis import *  # noqa: F403
from benchmarks.settings.ours_django_redis import INSTALLED_APPS

INSTALLED_APPS = ["django.contrib.admin", *INSTALLED_APPS]
ROOT_URLCONF = "benchmarks.operator_urls"

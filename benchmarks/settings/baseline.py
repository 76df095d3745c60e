"""Baseline: django-axes wired in, but with its no-op handler: what Django itself costs."""

from benchmarks.settings.base import *  # noqa: F403

AXES_HANDLER = "axes.handlers.dummy.AxesDummyHandler"

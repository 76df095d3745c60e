"""Baseline: django-axes wired in, but with its no-op handler: what Django itself costs."""

from __future__ import annotations

from benchmarks.settings.base import *  # noqa: F403

AXES_HANDLER = "axes.handlers.dummy.AxesDummyHandler"

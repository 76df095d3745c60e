"""System checks: every misconfiguration gets an id and a hint.

Registered in ``AppConfig.ready()``, one module per area: which apps and handler
are installed (:mod:`.installation`), the settings (:mod:`.configuration`), and
the Redis server itself, deploy-tagged because it does I/O (:mod:`.server`). The
cache checks run only while ``AXES_HANDLER`` points at our handler; W001 catches
the opposite mistake, and E011 an ``AXES_HANDLER`` that cannot be imported at all.

What no check here can catch: ``'axes_redis'`` missing from ``INSTALLED_APPS``.
Django runs the checks registered before ``check`` starts, and without the app
nothing of ours is imported by then (``AxesRedisMiddleware`` refuses to start
instead, see :mod:`axes_redis.middleware`).
"""

from __future__ import annotations

from axes_redis.checks.configuration import check_configuration
from axes_redis.checks.ids import (
    E001,
    E002,
    E003,
    E004,
    E005,
    E006,
    E007,
    E008,
    E009,
    E010,
    E011,
    E012,
    W001,
    W002,
    W003,
    W005,
    W006,
    W007,
)
from axes_redis.checks.installation import check_handler, stand_in_for_axes_models
from axes_redis.checks.server import MIN_REDIS_VERSION, check_server

__all__ = [
    "E001",
    "E002",
    "E003",
    "E004",
    "E005",
    "E006",
    "E007",
    "E008",
    "E009",
    "E010",
    "E011",
    "E012",
    "MIN_REDIS_VERSION",
    "W001",
    "W002",
    "W003",
    "W005",
    "W006",
    "W007",
    "check_configuration",
    "check_handler",
    "check_server",
    "stand_in_for_axes_models",
]

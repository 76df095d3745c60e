"""What the attack overview admin page shows: the read model, its charts, and what was read.

Kept apart from :mod:`axes_redis.admin`, which only registers the page and checks
permissions (the same as the tracked-clients page), so that the page's content
can change without touching the admin plumbing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.conf import settings as axes_settings
from redis.exceptions import RedisError

from axes_redis import chart, keys, overview
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import get_client

TEMPLATE = "admin/axes_redis/overview.html"


@dataclass(frozen=True)
class Panel:
    """One window of the page: its chart and top lists."""

    window: overview.Window
    chart: chart.Chart
    id: str


def context() -> dict[str, Any]:
    """The template's context; a Redis failure becomes a message on the page, not a 500."""
    base: dict[str, Any] = {
        "read_chunk": overview.READ_CHUNK,
        "locked_limit": overview.LOCKED_SCAN_CLIENTS,
        "trail_maxlen": axes_redis_settings.trail_maxlen,
        "failures_logged": bool(axes_settings.AXES_ENABLE_ACCESS_FAILURE_LOG),
        "top": overview.TOP,
    }
    try:
        found = overview.read(get_client(), axes_redis_settings.key_prefix)
    except RedisError as exc:
        error = f"Redis did not answer: {type(exc).__name__}: {exc}"
        return {**base, "overview": None, "error": error}
    panels = [
        Panel(found.hour, chart.layout(found.hour), "last-hour"),
        Panel(found.day, chart.layout(found.day), "last-day"),
    ]
    return {
        **base,
        "overview": found,
        "panels": panels,
        "error": "",
        # The first call's bounds, as redis-cli would take them.
        "now_ms": int(found.now.timestamp() * 1000),
        "start_ms": int(found.day.start.timestamp() * 1000),
        "clients_pattern": keys.clients_pattern(axes_redis_settings.key_prefix),
    }

"""The demo's home page: who is signed in, and what Redis holds for django-axes right now."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from axes_redis import keys, tiers
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import get_client
from demo_project.shell import manage_line

SHOWN = 50
"""At most this many tracked clients on the page; ``axes_redis list`` and the admin show all."""


@dataclass
class Tracked:
    key: str
    failures: int
    locked: bool
    seconds_left: float | None


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def tracked_clients() -> list[Tracked]:
    """Up to ``SHOWN`` keys of ours, found with SCAN (never KEYS), with their failures and TTL."""
    client = get_client()
    found: list[Tracked] = []
    pattern = f"{axes_redis_settings.key_prefix}:client:*"
    for key in client.scan_iter(match=pattern, count=100):
        fields = {_text(k): _text(v) for k, v in client.hgetall(key).items()}
        ttl_ms = client.pttl(key)
        failures = int(fields.get(keys.FAILURES_FIELD) or 0)
        limit = int(fields.get("limit") or settings.AXES_FAILURE_LIMIT)
        found.append(
            Tracked(
                key=_text(key),
                failures=failures,
                locked=failures >= limit,
                seconds_left=round(ttl_ms / 1000, 1) if ttl_ms >= 0 else None,
            )
        )
        if len(found) >= SHOWN:
            break
    return sorted(found, key=lambda tracked: tracked.key)


def home(request: HttpRequest) -> HttpResponse:
    error = ""
    try:
        tracked = tracked_clients()
    except Exception as exc:  # a demo page: say what went wrong instead of a 500
        tracked, error = [], f"{type(exc).__name__}: {exc}"
    context = {
        "tracked": tracked,
        "error": error,
        "redis_url": settings.CACHES[settings.AXES_CACHE]["LOCATION"],
        "tiers": tiers.configured(),
    }
    return render(request, "home.html", context)


def reset_commands(request: HttpRequest) -> dict[str, str]:
    """Context processor: the reset commands the lockout page prints, runnable as printed."""
    username = request.POST.get("username") if request.method == "POST" else None
    found = {"reset_all_command": manage_line("axes_reset")}
    if username:
        found["reset_user_command"] = manage_line("axes_redis", "reset", "--username", username)
    return found

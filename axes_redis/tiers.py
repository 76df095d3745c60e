"""Progressive lockouts (``AXES_LOCKOUT_TIERS``), decided inside the counting script.

django-axes' unreleased main branch adds ``AXES_LOCKOUT_TIERS``: a list of
``LockoutTier(failures, cooloff)``; the lowest threshold is the failure limit and
the cool-off is the one of the highest tier the failure count has reached. It
picks the tier in Python from a count read before or after the write, which races
with parallel failures. Here the tiers travel to ``record_failure.lua``, which
picks the cool-off from the count it has just written, so the key's TTL always
matches its count.

Accepted forms: django-axes' ``LockoutTier`` objects (when the installed
django-axes has them), or ``(failures, cooloff)`` pairs with the cool-off as a
``timedelta`` or as hours (like ``AXES_COOLOFF_TIME``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

W004 = "axes_redis.W004"
E013 = "axes_redis.E013"

SETTING = "AXES_LOCKOUT_TIERS"


@dataclass(frozen=True, order=True)
class Tier:
    failures: int
    cooloff: timedelta


def _tier(value: Any) -> Tier:
    """One tier from a ``LockoutTier``-like object or a ``(failures, cooloff)`` pair."""
    if hasattr(value, "failures") and hasattr(value, "cooloff"):
        failures, cooloff = value.failures, value.cooloff
    else:
        failures, cooloff = value
    if isinstance(cooloff, bool) or not isinstance(cooloff, timedelta | int | float):
        raise ValueError(f"cool-off {cooloff!r} is neither a timedelta nor hours")
    if not isinstance(cooloff, timedelta):
        cooloff = timedelta(hours=cooloff)
    if isinstance(failures, bool) or not isinstance(failures, int) or failures < 1:
        raise ValueError(f"failures {failures!r} is not an integer >= 1")
    if cooloff <= timedelta(0):
        raise ValueError(f"cool-off {cooloff} is not positive")
    return Tier(failures, cooloff)


def parse(value: Any) -> tuple[Tier, ...]:
    """The tiers, sorted by threshold; ``ValueError`` says what is wrong."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError("it is not a list")
    tiers = tuple(sorted(_tier(item) for item in value))
    if not tiers:
        raise ValueError("it is empty")
    thresholds = [tier.failures for tier in tiers]
    if len(set(thresholds)) != len(thresholds):
        raise ValueError("two tiers share a failure threshold")
    return tiers


def usable(value: Any) -> tuple[Tier, ...]:
    """The tiers of a setting value, or ``()`` when progressive lockouts are off (or
    invalid: E013 reports that, and ``AXES_FAILURE_LIMIT``/``AXES_COOLOFF_TIME`` apply)."""
    if not value:
        return ()
    try:
        return parse(value)
    except (TypeError, ValueError):
        return ()


def configured() -> tuple[Tier, ...]:
    """The tiers in force (read once until a setting changes)."""
    from axes_redis.conf import axes_redis_settings

    return axes_redis_settings.lockout_tiers


def script_argument(tiers: Sequence[Tier]) -> str:
    """``record_failure.lua``'s tier list: ``failures:milliseconds`` pairs, ascending."""
    return ",".join(
        f"{tier.failures}:{math.ceil(tier.cooloff / timedelta(milliseconds=1))}" for tier in tiers
    )


def in_force(tiers: Sequence[Tier], failures: int) -> Tier | None:
    """The highest tier ``failures`` has reached (what the script picked)."""
    reached = [tier for tier in tiers if failures >= tier.failures]
    return reached[-1] if reached else None


def check_tiers(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    value = getattr(settings, SETTING, None)
    if value is None:
        return []
    try:
        parse(value)
    except (TypeError, ValueError) as exc:
        return [
            Error(
                f"{SETTING} is not usable: {exc}. Progressive lockouts are off until it is fixed.",
                hint=(
                    "Use a non-empty list of LockoutTier(failures, cooloff) objects or "
                    "(failures, cooloff) pairs with distinct thresholds >= 1 and positive "
                    "cool-offs (a timedelta, or hours): "
                    f"{SETTING} = [(3, timedelta(minutes=15)), (6, timedelta(hours=2))]."
                ),
                id=E013,
            )
        ]
    if getattr(settings, "AXES_COOLOFF_TIME", None) is not None:
        return [
            Warning(
                f"{SETTING} is set alongside AXES_COOLOFF_TIME: the tiers decide the cool-off "
                "of a locked-out client; AXES_COOLOFF_TIME only bounds how long failures "
                "below the first tier are kept.",
                hint="Remove AXES_COOLOFF_TIME if that is not what you want.",
                id=W004,
            )
        ]
    return []

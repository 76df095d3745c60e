"""The subjects, their settings modules, and the steps each one runs (shared by both sides).

The orchestrator uses the step lists to size its progress bar; the runner walks the
same lists in the same order. A step is a figure's name (``benchmarks/figures/``), with
``:argument`` for figures taken at several levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Subject:
    name: str
    label: str
    settings: str
    kind: str
    """``axes`` (authenticate() behind AxesStandaloneBackend), ``defender`` or ``floor``: its
    driver (``benchmarks.drivers.DRIVERS``); the floor is bare redis-py, without Django."""
    redis: bool
    """Whether the subject keeps its state in the bench Redis."""
    postgres: bool = False


SUBJECTS = [
    Subject("floor", "floor: bare redis-py", "", "floor", redis=True),
    Subject(
        "baseline", "baseline (AxesDummyHandler)", "benchmarks.settings.baseline", "axes", False
    ),
    Subject(
        "db_sqlite", "AxesDatabaseHandler, SQLite", "benchmarks.settings.db_sqlite", "axes", False
    ),
    Subject(
        "db_postgres",
        "AxesDatabaseHandler, PostgreSQL",
        "benchmarks.settings.db_postgres",
        "axes",
        False,
        postgres=True,
    ),
    Subject(
        "cache_django_redis",
        "AxesCacheHandler, django-redis",
        "benchmarks.settings.cache_django_redis",
        "axes",
        True,
    ),
    Subject(
        "cache_redis",
        "AxesCacheHandler, Django RedisCache",
        "benchmarks.settings.cache_redis",
        "axes",
        True,
    ),
    Subject("defender", "django-defender", "benchmarks.settings.defender", "defender", True),
    Subject(
        "ours_django_redis",
        "axes-redis, django-redis",
        "benchmarks.settings.ours_django_redis",
        "axes",
        True,
    ),
    Subject(
        "ours_redis",
        "axes-redis, Django RedisCache",
        "benchmarks.settings.ours_redis",
        "axes",
        True,
    ),
]
BY_NAME = {s.name: s for s in SUBJECTS}

SCALE_SUBJECT = "ours_django_redis"
"""The scale figure is taken for our handler (on django-redis) only."""


def steps(subject: Subject, params: dict[str, Any]) -> list[str]:
    """Names of the steps the runner takes for ``subject``, in order."""
    if subject.kind == "floor":
        return chosen(["floor", "instructions"], params)
    found = ["setup"]
    found += ["failed_login", "check_clean", "check_locked", "e2e_login", "round_trips"]
    if subject.redis:
        found += ["memory", "server_us", "bytes_per_client"]
    found.append("instructions")
    if subject.name.startswith("ours") or subject.name == "baseline":
        found.append("profile")
    if subject.name == SCALE_SUBJECT:
        found += [f"scale:{level}" for level in params["scale_levels"]]
    found += [f"race:{c}" for c in params["race_attackers"]]
    return chosen(found, params)


def chosen(found: list[str], params: dict[str, Any]) -> list[str]:
    """The steps of the figures ``--figures`` names (all without it); ``setup`` always."""
    figures = params.get("figures")
    if not figures:
        return found
    return [step for step in found if step == "setup" or step.partition(":")[0] in figures]

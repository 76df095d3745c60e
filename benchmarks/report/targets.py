"""The targets, as data, and the figures derived from a run to hold our handler to them.

Each target is a measured value and a limit: PASS when the value is at most the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    text: str
    """What is promised; ``{...}`` fields are filled in from the run (levels, case names)."""
    limit: float


TARGETS: dict[str, Target] = {
    "failed_login_vs_cache": Target(
        "failed-login overhead <= 1/4 of AxesCacheHandler's (same cache backend)", 0.25
    ),
    "failed_login_vs_postgres": Target(
        "failed-login overhead <= 1/15 of AxesDatabaseHandler's on PostgreSQL", 1 / 15
    ),
    "failed_login_vs_evalsha": Target(
        "failed-login overhead <= 1.5x the bare EVALSHA floor {pace}", 1.5
    ),
    "check_clean_vs_get": Target(
        "check overhead (check_clean) <= 1.3x the bare GET floor {pace}", 1.3
    ),
    "check_locked_vs_get": Target(
        "check overhead (check_locked) <= 1.3x the bare GET floor {pace}", 1.3
    ),
    "commands_failed_login": Target("at most 2 Redis commands per failed login", 2),
    "commands_success_login": Target("at most 2 Redis commands per success login", 2),
    "commands_check_clean": Target("at most 1 Redis command per check clean", 1),
    "commands_check_locked": Target("at most 1 Redis command per check locked", 1),
    "memory": Target("<= 200 bytes of Redis memory per tracked single-parameter client", 200),
    "memory_without_metadata": Target(
        "<= 200 bytes of Redis memory per tracked single-parameter client, "
        "with AXES_REDIS_METADATA = False",
        200,
    ),
    "scale_flat": Target(
        "flat {figure} overhead from {low:,} to {high:,} tracked clients (within 10%)", 1.10
    ),
    "scale_flat_in_round_trips": Target(
        "flat {figure} overhead from {low:,} to {high:,} tracked clients (within 10%), in "
        "units of the same level's bare round trip at login pace",
        1.10,
    ),
    "instructions_failed_login_vs_cache": Target(
        "client instructions per failed login beyond AxesDummyHandler <= 1/4 of "
        "AxesCacheHandler's (same cache backend)",
        0.25,
    ),
    "instructions_failed_login_vs_evalsha": Target(
        "client instructions per failed login beyond AxesDummyHandler <= 2x one bare "
        "redis-py EVALSHA",
        2,
    ),
    "instructions_check_clean_vs_cache": Target(
        "client instructions per clean check beyond AxesDummyHandler <= 1/2 of "
        "AxesCacheHandler's (same cache backend)",
        0.5,
    ),
    "instructions_check_clean_vs_evalsha": Target(
        "client instructions per clean check beyond AxesDummyHandler <= 2x one bare "
        "redis-py EVALSHA",
        2,
    ),
    "server_us_record_failure": Target(
        "Redis time per failed-login script (record_failure.lua) <= 12 us per call", 12
    ),
    "bytes_realistic_vs_cache": Target(
        "Redis bytes per tracked client, realistic failed logins, <= AxesCacheHandler's "
        "(same cache backend)",
        1.0,
    ),
    "bytes_worst_per_key": Target("Redis bytes per key, worst case ({case}), <= 400", 400),
    "attack_honest_refused": Target(
        "no honest login refused under a credential-stuffing load through gunicorn", 0
    ),
    "attack_server_errors": Target(
        "no 5xx and no unanswered request under a credential-stuffing load through gunicorn", 0
    ),
}

PAIRS = [("ours_django_redis", "cache_django_redis"), ("ours_redis", "cache_redis")]
"""Our handler and AxesCacheHandler on the same cache backend."""


def ok(subject: dict[str, Any] | None) -> bool:
    return bool(subject) and subject is not None and subject.get("status") == "ok"


def p50(subject: dict[str, Any], figure: str) -> float | None:
    found = subject.get(figure)
    return float(found["p50_us"]) if found else None


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return a / b


def us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} us"


class Verdicts:
    """The targets' verdicts of one run, in the order they are taken."""

    def __init__(self) -> None:
        self.found: list[dict[str, Any]] = []

    def add(
        self, key: str, subject: str, measured: float | None, detail: str, **fields: Any
    ) -> None:
        target = TARGETS[key]
        self.found.append(
            {
                "target": target.text.format(**fields),
                "subject": subject,
                "measured": measured,
                "limit": target.limit,
                "pass": measured is not None and measured <= target.limit,
                "detail": detail,
            }
        )

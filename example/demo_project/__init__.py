"""The example project behind ``make demo``: Django's login and admin, locked out by axes-redis."""

from __future__ import annotations

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
"""Database 3, so the demo stays out of database 0 and of the tests' database 15."""

DEMO_USERS: tuple[tuple[str, str, bool], ...] = (
    ("admin", "admin", True),
    ("alice", "alice-password", False),
    ("bob", "bob-password", False),
)
"""(username, password, superuser): created on start when missing."""

"""A tiny Django project served by real servers (gunicorn gthread, uvicorn) for
``tests/test_guard_server.py``: the parallel guard against django-axes' cache handler.

Everything the test chooses comes in through environment variables (:data:`ENV`), read by
``settings``; the users and the evaluation counter are named here so that the project and
the test agree on them.
"""

from __future__ import annotations

from typing import Final

ENV: Final = {
    "redis_url": "SERVER_PROJECT_REDIS_URL",
    "database": "SERVER_PROJECT_DB",
    "handler": "SERVER_PROJECT_HANDLER",
    "lockout_parameters": "SERVER_PROJECT_LOCKOUT_PARAMETERS",
    "guard_hold": "SERVER_PROJECT_GUARD_HOLD",
    "guard_wait": "SERVER_PROJECT_GUARD_WAIT",
}
"""Setting -> environment variable. ``lockout_parameters`` is JSON; the guard's two are
seconds, django-axes-redis' defaults when unset."""

FAILURE_LIMIT: Final = 3
"""``AXES_FAILURE_LIMIT`` of the project: L in the tests."""

NAT_USERS: Final = tuple(f"nat{index:02d}" for index in range(1, 13))
"""Twelve colleagues behind one office IP."""

USERS: Final = {name: f"{name}-correct-horse" for name in ("alice", "bob", *NAT_USERS)}
"""Username -> password of every user ``setup_db`` creates."""

EVALUATIONS_KEY: Final = "server_project:evaluations"
"""How many passwords the project evaluated (an INCR per evaluation, outside ``axes:``)."""

EVALUATED_AT_KEY: Final = "server_project:evaluated_at"
"""When each evaluation started (a list of UNIX times, seconds, as the server saw them)."""

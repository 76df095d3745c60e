"""The shell lines the demo prints (banner and lockout page): they must run as printed.

Each is the demo's own Python and ``example/manage.py``, relative to the directory the
demo was started from, prefixed with the ``REDIS_URL`` the demo uses whenever that is
not the default (the embedded server's free port, say), and shell-quoted.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from demo_project import DEFAULT_REDIS_URL

MANAGE_PY = Path(__file__).resolve().parents[1] / "manage.py"


def shown(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def manage_line(*words: str) -> str:
    """``[REDIS_URL=...] <python> example/manage.py <words>``, ready to paste."""
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    env = "" if url == DEFAULT_REDIS_URL else f"REDIS_URL={shlex.quote(url)} "
    command = [shown(sys.executable), shown(MANAGE_PY), *words]
    return env + " ".join(shlex.quote(word) for word in command)

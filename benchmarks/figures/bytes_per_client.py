"""bytes_per_client: Redis memory per tracked client after real failed logins.

N failed logins through the subject's full failure path, one per distinct IP (and
username), after a flush: the ``used_memory`` delta divided by N, and by the keys created.
``realistic``: an e-mail username, a current Chrome user agent, ``/accounts/login/``, the
bench's settings. ``worst``: a 255-character emoji username and a 255-character user agent of
non-ASCII Latin-1 characters (WSGI decodes headers as Latin-1, so no header character takes
more bytes). ``worst_three_sets``: the same with three lockout parameter sets (for subjects
that follow django-axes' settings).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from benchmarks.bench import CLIENTS, Bench

LOGIN_PATH = "/accounts/login/"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
LONGEST = 255
"""django-axes keeps at most 255 characters of a user agent; usernames get as long."""
WORST_USER_AGENT = ("Mozilla/5.0 " + "\u00ff" * LONGEST)[:LONGEST]
EMOJI = [chr(0x1F600 + i) for i in range(16)]
THREE_SETS = ["ip_address", "username", ["username", "ip_address"]]


def email(i: int) -> str:
    return f"jane.doe{i}@example.com"


def emoji_username(i: int) -> str:
    """255 emoji (4 bytes each in UTF-8), the last eight spelling ``i`` in base 16."""
    digits = "".join(EMOJI[(i >> (4 * k)) & 15] for k in range(8))
    return EMOJI[0] * (LONGEST - len(digits)) + digits


def per_client(
    bench: Bench, n: int, username: Callable[[int], str], user_agent: str
) -> dict[str, Any]:
    bench.redis.flushdb()
    gc.collect()
    before = bench.used_memory()
    for i in range(n):
        ip, _ = CLIENTS.next()
        request = bench.request(ip, username(i), path=LOGIN_PATH, user_agent=user_agent)
        bench.driver.failed_login(request)
    after = bench.used_memory()
    keys = int(bench.redis.dbsize())
    bench.redis.flushdb()
    delta = after - before
    return {
        "clients": n,
        "keys": keys,
        "keys_per_client": keys / n,
        "used_memory_delta_per_client": delta / n,
        "bytes_per_key": delta / keys if keys else 0.0,
    }


def measure(bench: Bench) -> dict[str, Any]:
    from django.test import override_settings

    n = bench.params["bytes_clients"]
    cases = {
        "realistic": per_client(bench, n, email, CHROME),
        "worst": per_client(bench, n, emoji_username, WORST_USER_AGENT),
    }
    if bench.driver.follows_axes_settings:
        with override_settings(AXES_LOCKOUT_PARAMETERS=THREE_SETS):
            cases["worst_three_sets"] = per_client(bench, n, emoji_username, WORST_USER_AGENT)
    return {"clients": n, "cases": cases}

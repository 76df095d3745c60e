"""Authentication backend for the race: a password check that costs ~5 ms and is counted.

It stands in for a real hasher (PBKDF2 at production cost) so that concurrent guesses
overlap as they would on a real site, and it counts how many guesses actually reached
the password check: the figure the race reports. It never accepts a password.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

HASH_SECONDS = 0.005

evaluated = 0
"""Password checks reached in this process (each race attacker is its own process)."""


class SlowCountingBackend:
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, **kwargs: object
    ) -> None:
        global evaluated
        evaluated += 1
        time.sleep(HASH_SECONDS)
        return None

    def get_user(self, user_id: int) -> None:
        return None

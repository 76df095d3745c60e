"""Django's PBKDF2 hasher with an iteration count chosen by the environment."""

from __future__ import annotations

import os

from django.contrib.auth.hashers import PBKDF2PasswordHasher

ITERATIONS_ENV = "ATTACK_PBKDF2_ITERATIONS"


class TunedPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """The same algorithm and hash format as Django's, at ``ATTACK_PBKDF2_ITERATIONS``.

    Only for the smallest runs (the test), where Django's own count would leave a second's
    attack with a handful of password checks; the benchmark's figures use Django's hasher.
    """

    iterations = int(os.environ.get(ITERATIONS_ENV) or PBKDF2PasswordHasher.iterations)

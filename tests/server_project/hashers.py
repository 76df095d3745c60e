"""The password hasher of the project: Django's real PBKDF2, cheaper."""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class CIPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's ``PBKDF2PasswordHasher`` at 100,000 iterations instead of Django's 1,000,000+.

    The guard's behaviour depends on a password evaluation taking real time (that is the
    window in which parallel guesses race), so the hasher is the real one, not MD5; but
    the suite evaluates hundreds of passwords on a 2-core CI machine, where Django's
    default count (about half a second each here) would blow the time budget. 100,000
    still takes tens of milliseconds, longer than a Redis round trip by two orders.

    Same algorithm name as Django's, so the hashes in the database are ordinary
    ``pbkdf2_sha256`` ones; users are created with this hasher, so no login upgrades a
    hash (which would write to the database).
    """

    iterations = 100_000

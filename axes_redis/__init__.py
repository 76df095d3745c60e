"""axes-redis: a Redis-backed, atomic, one-round-trip handler for django-axes."""

from __future__ import annotations

__version__ = "0.1.0"

"""axes-redis: a Redis-backed, atomic, one-round-trip handler for django-axes."""

__version__ = "0.1.0"

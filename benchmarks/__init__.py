"""``make bench``: axes-redis side by side with django-axes' handlers and django-defender.

Run with ``python -m benchmarks`` (``--quick`` for a smoke run). Never part of ``make test``.
"""

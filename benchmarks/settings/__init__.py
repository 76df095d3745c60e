"""One Django settings module per subject; everything they share lives in ``base``.

The orchestrator passes the bench Redis, the work directory (SQLite file) and the
throwaway PostgreSQL database through environment variables.
"""

"""The plain-text refusals that are not lockouts: busy (429) and outage (503).

Plain text, so no input can become markup; with ``Retry-After``, so API clients
and browsers know the refusal is temporary.
"""

from __future__ import annotations

from django.http import HttpResponse


def temporary_refusal(text: str, *, status: int, retry_after: int) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response

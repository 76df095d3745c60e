"""The plumbing of database-free admin pages: a placeholder model, permissions, URLs.

Nothing here is a model. Each page is a ``ModelAdmin`` registered for a
placeholder class with a hand-built ``_meta`` (the approach django-constance
takes), which is what the admin index, the sidebar and the breadcrumbs need to
list it under the "Axes (Redis)" heading. The pages themselves are in
:mod:`axes_redis.admin`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from axes_redis.permissions import APP_LABEL, RESET, VIEW, perm

MAX_HISTORY = 50
"""Cursors of earlier pages kept in the URL for "previous"; older ones fall off."""


def _meta(model_name: str, verbose_name: str) -> Any:
    """The attributes of ``Model._meta`` that the admin's index, sidebar and URLs read."""

    class Meta:
        app_label = APP_LABEL
        object_name = model_name.title().replace(" ", "")
        concrete_model = None
        abstract = False
        swapped = False
        is_composite_pk = False

        def __init__(self) -> None:
            self.model_name = model_name.replace(" ", "")
            self.verbose_name = verbose_name
            self.verbose_name_plural = verbose_name

        @property
        def app_config(self) -> Any:
            return apps.get_app_config(self.app_label)

        @property
        def label(self) -> str:
            return f"{self.app_label}.{self.object_name}"

        @property
        def label_lower(self) -> str:
            return f"{self.app_label}.{self.model_name}"

    return Meta()


class TrackedClients:
    """Placeholder for the admin registry: no table, no rows."""

    _meta = _meta("trackedclient", "Tracked clients")


class LoginTrail:
    """Placeholder for the admin registry: no table, no rows."""

    _meta = _meta("logintrail", "Login trail")


class AttackOverview:
    """Placeholder for the admin registry: no table, no rows."""

    _meta = _meta("attackoverview", "Attack overview")


class RedisPageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Permissions and URL plumbing shared by both pages; subclasses add the views."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user: Any = request.user
        return bool(user.has_perm(perm(VIEW)) or user.has_perm(perm(RESET)))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Change means reset here: the admin index then shows the page as editable."""
        user: Any = request.user
        return bool(user.has_perm(perm(RESET)))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def url(self, view: str, query: dict[str, Any] | None = None) -> str:
        found = reverse(f"{self.admin_site.name}:{self.url_name(view)}")
        return f"{found}?{urlencode(query, doseq=True)}" if query else found

    def wrap(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        """Staff only (others go to the admin login), CSRF-protected, never cached."""
        return self.admin_site.admin_view(view)

    def context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        """The admin's own context; ``current_app`` makes ``{% url 'admin:…' %}`` this site's."""
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": self.opts.verbose_name,
            "has_view_permission": True,
            "can_reset": self.has_change_permission(request),
            **extra,
        }

    def require_view(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied


def bad_request(message: str) -> HttpResponse:
    """A 400 as plain text, with a fixed message.

    The message never quotes the request: Django's ``HttpResponseBadRequest``
    is ``text/html``, so an echoed ``?cursor=<svg onload=…>`` would run as
    script in the admin's origin (reflected XSS).
    """
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def history(request: HttpRequest) -> list[str]:
    """Cursors of the pages before this one, from the URL, bounded."""
    return [value for value in request.GET.getlist("prev") if value][-MAX_HISTORY:]


class ReadOnlyPageAdmin(RedisPageAdmin):
    """A page that only reads Redis: one GET view, no change permission for anyone."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = require_GET(self.changelist_view)
        return [path("", self.wrap(view), name=self.url_name("changelist"))]

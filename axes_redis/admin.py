"""Database-free admin pages: tracked clients (with resets) and the login trail.

Nothing here is a model. Each page is a ``ModelAdmin`` registered for a
placeholder class with a hand-built ``_meta`` (the approach django-constance
takes), which is what the admin index, the sidebar and the breadcrumbs need to
list it under the "Axes (Redis)" heading; its views read Redis only, through
:mod:`axes_redis.clients` and :mod:`axes_redis.trail`, and reset through
:class:`axes_redis.handler.AxesRedisHandler`, so a reset here means what
``axes_reset*`` and ``axes_redis reset`` mean.

The default ``admin.site`` gets both pages when the admin autodiscovers this
module; a custom ``AdminSite`` gets them with :func:`register`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from redis.exceptions import RedisError

from axes_redis import clients, keys, overview_page, trail
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import get_client
from axes_redis.handler import AxesRedisHandler
from axes_redis.permissions import APP_LABEL, RESET, VIEW, perm
from axes_redis.store import AttemptStore

log = logging.getLogger("axes_redis")

PAGE_SIZE = 50
"""Rows per page: one page is a few SCAN calls and one pipelined read."""

MAX_HISTORY = 50
"""Cursors of earlier pages kept in the URL for "previous"; older ones fall off."""

SEARCH_FIELDS = (("username", "username"), ("ip_address", "ip"))
"""Search terms: (lockout parameter, query string field)."""

MAX_SELECTED = clients.MAX_PAGE
"""Keys one "reset selected" may name: at most a page's worth."""


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


def parse_scan_cursor(text: str) -> int:
    """A SCAN cursor from the URL: a non-negative integer, or ``ValueError``.

    The error does not quote ``text``: it comes from the URL.
    """
    if not text.isascii() or not text.isdigit() or len(text) > 40:
        raise ValueError("not a page cursor")
    return int(text)


class TrackedClientsAdmin(RedisPageAdmin):
    """Tracked clients, paged by SCAN; exact search and resets."""

    def get_urls(self) -> list[URLPattern]:
        return [
            path("", self.wrap(self.changelist_view), name=self.url_name("changelist")),
            path("reset/", self.wrap(self.reset_view), name=self.url_name("reset")),
        ]

    @staticmethod
    def search_terms(source: Any) -> dict[str, str]:
        """The exact search (``username``, ``ip``) of a GET or POST, blanks dropped."""
        return {name: source.get(field) for name, field in SEARCH_FIELDS if source.get(field)}

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        self.require_view(request)
        search = self.search_terms(request.GET)
        locked_only = request.GET.get("locked") == "1"
        previous = history(request)
        try:
            cursor = parse_scan_cursor(request.GET.get("cursor") or "0")
        except ValueError:
            return bad_request("The cursor parameter is not a page cursor.")
        try:
            for earlier in previous:
                parse_scan_cursor(earlier)
        except ValueError:
            return bad_request("A prev parameter is not a page cursor.")
        rows: list[clients.TrackedClient] = []
        next_cursor = 0
        error = ""
        client = get_client()
        prefix = axes_redis_settings.key_prefix
        try:
            if search:
                # Straight to the computed keys: no scan of the keyspace.
                rows = clients.find(
                    client,
                    prefix,
                    username=search.get("username"),
                    ip_address=search.get("ip_address"),
                    combinations=False,
                )
                if locked_only:
                    rows = [row for row in rows if row.locked]
            else:
                next_cursor, rows = clients.page(
                    client, prefix, cursor, count=PAGE_SIZE, locked_only=locked_only
                )
        except RedisError as exc:
            error = f"Redis did not answer: {type(exc).__name__}: {exc}"
        base = {"locked": "1"} if locked_only else {}
        terms = {
            name: value
            for name, value in (
                ("username", search.get("username")),
                ("ip", search.get("ip_address")),
            )
            if value
        }
        context = self.context(
            request,
            rows=rows,
            error=error,
            search=search,
            username=search.get("username", ""),
            ip=search.get("ip_address", ""),
            locked_only=locked_only,
            next_url=(
                self.url("changelist", {**base, "cursor": next_cursor, "prev": [*previous, cursor]})
                if next_cursor and not search
                else None
            ),
            previous_url=(
                self.url("changelist", {**base, "cursor": previous[-1], "prev": previous[:-1]})
                if previous and not search
                else None
            ),
            first_url=self.url("changelist", base) if cursor and not search else None,
            all_url=self.url("changelist", {k: v for k, v in terms.items() if v}),
            locked_url=self.url(
                "changelist", {"locked": "1", **{k: v for k, v in terms.items() if v}}
            ),
            here=request.get_full_path(),
            reset_url=self.url("reset"),
            page_size=PAGE_SIZE,
        )
        return TemplateResponse(request, "admin/axes_redis/tracked_clients.html", context)

    def reset_view(self, request: HttpRequest) -> HttpResponse:
        """POST only. One key resets at once; selected keys and a search ask to confirm first."""
        return require_POST(self._reset_unless_redis_fails)(request)

    def _reset_unless_redis_fails(self, request: HttpRequest) -> HttpResponse:
        """With Redis down a reset says so on the page instead of answering a 500."""
        try:
            return self._reset(request)
        except RedisError as exc:
            messages.error(
                request, f"Redis did not answer, nothing was reset: {type(exc).__name__}: {exc}"
            )
            return HttpResponseRedirect(self.url("changelist"))

    def _reset(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        action = request.POST.get("action")
        one = request.POST.get("reset_one")
        back = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = ""
        back = back or self.url("changelist")
        prefix = axes_redis_settings.key_prefix
        if one is not None:
            action = "one"
        if action in ("one", "selected"):
            chosen = [one] if one is not None else list(dict.fromkeys(request.POST.getlist("key")))
            if not chosen:
                messages.warning(request, "No client was selected; nothing was reset.")
                return HttpResponseRedirect(back)
            if len(chosen) > MAX_SELECTED or not all(
                (parsed := keys.parse_key(prefix, key)) and parsed.kind == keys.KIND_CLIENT
                for key in chosen
            ):
                return bad_request("Only tracked-client keys of this site can be reset.")
            if action == "selected" and request.POST.get("confirmed") != "yes":
                found = clients.fetch(get_client(), prefix, chosen)
                return self.confirm(request, back, action, found, keys_=chosen)
            count = AttemptStore(get_client(), prefix).delete(chosen)
            what = ", ".join(chosen) if len(chosen) <= 5 else f"{len(chosen)} selected keys"
        elif action == "search":
            search = self.search_terms(request.POST)
            if not search:
                return bad_request("Reset matching the search needs a username or IP.")
            if request.POST.get("confirmed") != "yes":
                found = clients.find(
                    get_client(),
                    prefix,
                    username=search.get("username"),
                    ip_address=search.get("ip_address"),
                )
                return self.confirm(request, back, action, found, search=search)
            count = AxesRedisHandler().reset_attempts(
                username=search.get("username"), ip_address=search.get("ip_address")
            )
            what = ", ".join(f"{name}={value!r}" for name, value in search.items())
        else:
            return bad_request("Unknown reset action.")
        log.info(
            "%s reset %s from the admin: %d client(s) removed.",
            request.user,
            what,
            count,
        )
        messages.success(request, f"{count} client(s) reset.")
        return HttpResponseRedirect(back)

    def confirm(
        self,
        request: HttpRequest,
        back: str,
        action: str,
        found: list[clients.TrackedClient],
        *,
        keys_: list[str] | None = None,
        search: dict[str, str] | None = None,
    ) -> HttpResponse:
        context = self.context(
            request,
            title="Reset tracked clients?",
            action=action,
            rows=found,
            keys=keys_ or [],
            username=(search or {}).get("username", ""),
            ip=(search or {}).get("ip_address", ""),
            back=back,
            reset_url=self.url("reset"),
        )
        return TemplateResponse(request, "admin/axes_redis/confirm_reset.html", context)


class ReadOnlyPageAdmin(RedisPageAdmin):
    """A page that only reads Redis: one GET view, no change permission for anyone."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = require_GET(self.changelist_view)
        return [path("", self.wrap(view), name=self.url_name("changelist"))]


class LoginTrailAdmin(ReadOnlyPageAdmin):
    """The login trail, newest first, paged by stream ID."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        self.require_view(request)
        username = request.GET.get("username") or None
        event = request.GET.get("event") or None
        # trail.parse_cursor's errors quote the value: never pass them on.
        try:
            given = request.GET.get("cursor")
            cursor = trail.parse_cursor(given) if given else None
        except ValueError:
            return bad_request(
                "The cursor parameter is not a page cursor (a stream ID such as 1700000000000-0)."
            )
        try:
            previous = [trail.parse_cursor(earlier) for earlier in history(request)]
        except ValueError:
            return bad_request(
                "A prev parameter is not a page cursor (a stream ID such as 1700000000000-0)."
            )
        if event is not None and event not in trail.EVENTS:
            return bad_request(f"Unknown event; expected one of: {', '.join(trail.EVENTS)}.")
        entries: list[trail.TrailEntry] = []
        next_cursor = None
        error = ""
        try:
            entries, next_cursor = trail.read(
                get_client(),
                axes_redis_settings.key_prefix,
                username=username,
                events=None if event is None else [event],
                cursor=cursor,
                count=PAGE_SIZE,
            )
        except RedisError as exc:
            error = f"Redis did not answer: {type(exc).__name__}: {exc}"
        base = {name: value for name, value in (("username", username), ("event", event)) if value}
        context = self.context(
            request,
            entries=entries,
            error=error,
            username=username or "",
            event=event or "",
            events=trail.EVENTS,
            next_url=(
                self.url(
                    "changelist", {**base, "cursor": next_cursor, "prev": [*previous, cursor or ""]}
                )
                if next_cursor
                else None
            ),
            previous_url=(
                self.url("changelist", {**base, "cursor": previous[-1], "prev": previous[:-1]})
                if previous
                else (self.url("changelist", base) if cursor else None)
            ),
            first_url=self.url("changelist", base) if cursor else None,
            stream=keys.trail_key(axes_redis_settings.key_prefix),
        )
        return TemplateResponse(request, "admin/axes_redis/login_trail.html", context)


class AttackOverviewAdmin(ReadOnlyPageAdmin):
    """Am I under attack? Charts and top lists of the login trail; the content is
    :mod:`axes_redis.overview_page`'s."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        self.require_view(request)
        context = self.context(request, **overview_page.context())
        return TemplateResponse(request, overview_page.TEMPLATE, context)


def register(site: admin.AdminSite) -> None:
    """Add the pages to ``site``: ``axes_redis.admin.register(my_admin_site)``."""
    site.register([TrackedClients], TrackedClientsAdmin)
    site.register([LoginTrail], LoginTrailAdmin)
    site.register([AttackOverview], AttackOverviewAdmin)


register(admin.site)

"""Database-free admin pages: tracked clients (with resets), the login trail, the overview.

Nothing here is a model: each page is a ``ModelAdmin`` registered for a
placeholder class (:mod:`axes_redis.admin_pages`). Its views read Redis only,
through :mod:`axes_redis.clients` and :mod:`axes_redis.trail`, and reset through
:class:`axes_redis.handler.AxesRedisHandler`, so a reset here means what
``axes_reset*`` and ``axes_redis reset`` mean.

The default ``admin.site`` gets the pages when the admin autodiscovers this
module; a custom ``AdminSite`` gets them with :func:`register`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from redis.exceptions import RedisError

from axes_redis import clients, keys, overview_page, trail
from axes_redis.admin_pages import (
    AttackOverview,
    LoginTrail,
    ReadOnlyPageAdmin,
    RedisPageAdmin,
    TrackedClients,
    bad_request,
    history,
)
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import get_client
from axes_redis.handler import AxesRedisHandler
from axes_redis.paging import MAX_PAGE
from axes_redis.selector import Selector
from axes_redis.store import AttemptStore

log = logging.getLogger("axes_redis")

PAGE_SIZE = 50
"""Rows per page: one page is a few SCAN calls and one pipelined read."""

MAX_SELECTED = MAX_PAGE
"""Keys one "reset selected" may name: at most a page's worth."""


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
    def search_terms(source: Any) -> Selector:
        """The exact search (``username``, ``ip``) of a GET or POST, blanks dropped."""
        return Selector(
            username=source.get("username") or None, ip_address=source.get("ip") or None
        )

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
        redis = get_client()
        prefix = axes_redis_settings.key_prefix
        try:
            if search:
                # Straight to the computed keys: no scan of the keyspace.
                rows = clients.find(
                    redis,
                    prefix,
                    username=search.username,
                    ip_address=search.ip_address,
                    combinations=False,
                )
                if locked_only:
                    rows = [row for row in rows if row.locked]
            else:
                next_cursor, rows = clients.page(
                    redis, prefix, cursor, count=PAGE_SIZE, locked_only=locked_only
                )
        except RedisError as exc:
            error = f"Redis did not answer: {type(exc).__name__}: {exc}"
        base = {"locked": "1"} if locked_only else {}
        terms = {
            name: value
            for name, value in (("username", search.username), ("ip", search.ip_address))
            if value
        }
        context = self.context(
            request,
            rows=rows,
            error=error,
            search=search,
            username=search.username or "",
            ip=search.ip_address or "",
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
                    username=search.username,
                    ip_address=search.ip_address,
                )
                return self.confirm(request, back, action, found, search=search)
            count = AxesRedisHandler().reset_attempts(
                username=search.username, ip_address=search.ip_address
            )
            what = search.describe()
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
        search: Selector | None = None,
    ) -> HttpResponse:
        context = self.context(
            request,
            title="Reset tracked clients?",
            action=action,
            rows=found,
            keys=keys_ or [],
            username=(search and search.username) or "",
            ip=(search and search.ip_address) or "",
            back=back,
            reset_url=self.url("reset"),
        )
        return TemplateResponse(request, "admin/axes_redis/confirm_reset.html", context)


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

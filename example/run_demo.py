#!/usr/bin/env python
"""``make demo``: the example project running on axes-redis, in one command.

1. Redis: ``REDIS_URL`` (default ``redis://127.0.0.1:6379/3``) if it answers a PING, otherwise
   fakeredis' Redis-compatible TCP server, started in this process on a free loopback port.
2. Migrate the SQLite database (``DEMO_DB``, default ``example/db.sqlite3``) for Django's auth,
   admin and session tables, and create the demo users that are missing.
3. Print the Redis in use, the credentials and what to try, then serve on
   http://127.0.0.1:8000 (``DEMO_PORT``) with Django's ``runserver``.

Ctrl-C (or SIGTERM) stops the web server and the embedded Redis server with it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

import redis

from axes_redis import scripts, tiers

EXAMPLE_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EXAMPLE_DIR))
# Always the demo's settings, even when the shell exports another project's module.
os.environ["DJANGO_SETTINGS_MODULE"] = "demo_project.settings"

from demo_project import DEFAULT_REDIS_URL, DEMO_USERS  # noqa: E402
from demo_project.shell import manage_line  # noqa: E402


def answers(url: str) -> bool:
    """True when ``url`` answers a PING within half a second."""
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


@contextmanager
def embedded_redis() -> Iterator[str]:
    """fakeredis' TCP server in a daemon thread on a free loopback port; yield its URL."""
    from fakeredis import TcpFakeServer

    server = TcpFakeServer(("127.0.0.1", 0), server_type="redis")
    # Connection threads must not keep the process alive, nor make shutdown wait on them.
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, name="embedded-redis", daemon=True)
    thread.start()
    url = f"redis://127.0.0.1:{server.server_address[1]}/0"
    try:
        # fakeredis' TCP server sometimes drops the connection on a SCRIPT LOAD that follows
        # a NOSCRIPT reply; loading every script up front keeps the handler off that path.
        with redis.Redis.from_url(url) as preload:
            for script in scripts.folder().iterdir():
                if script.name.endswith(".lua"):
                    preload.script_load(script.read_bytes())
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def create_users() -> list[str]:
    """Create the demo users that do not exist yet; return the names created."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    created = []
    for username, password, superuser in DEMO_USERS:
        if user_model.objects.filter(username=username).exists():
            continue
        email = f"{username}@example.com"
        if superuser:
            user_model.objects.create_superuser(username, email, password)
        else:
            user_model.objects.create_user(username, email, password)
        created.append(username)
    return created


def banner(url: str, embedded: bool, requested: str, port: int, created: list[str]) -> str:
    from django.conf import settings
    from django.core.management import get_commands

    from axes_redis.conf import axes_redis_settings

    site = f"http://127.0.0.1:{port}"
    if embedded:
        redis_line = (
            f"embedded fakeredis server at {url} "
            f"({requested} did not answer; set REDIS_URL to use a real Redis)"
        )
    else:
        redis_line = f"{url} (a real Redis server: REDIS_URL, default {DEFAULT_REDIS_URL})"
    users = ", ".join(
        f"{name} / {password}" + (" (superuser)" if superuser else "")
        for name, password, superuser in DEMO_USERS
    )
    steps = tiers.configured()
    limit = steps[0].failures
    ladder = ", ".join(f"{tier.failures} for {tier.cooloff}" for tier in steps)
    prefix = axes_redis_settings.key_prefix
    lines = [
        "",
        "axes-redis demo",
        f"  Redis:    {redis_line}",
        f"  Database: {settings.DATABASES['default']['NAME']}",
        f"  Users:    {users}" + (f"  (created now: {', '.join(created)})" if created else ""),
        f"  Lockout:  {limit} failed logins for one username from one IP address lock that pair",
        f"            out, longer as failures go on: {ladder} (h:mm:ss, AXES_LOCKOUT_TIERS).",
        "",
        "What to try:",
        f"  1. {site}/login/ : log in as alice with a wrong password {limit} times;",
        "     the last one answers with the lockout page (HTTP 429).",
        "  2. Now alice's right password is refused too; bob and admin still log in.",
        f"  3. {site}/ shows the keys in Redis; {site}/admin/ is the admin (admin / admin):",
        f"     {site}/admin/axes_redis/trackedclient/ lists the lockout and resets it,",
        f"     {site}/admin/axes_redis/logintrail/ shows the login trail.",
        "  4. In another terminal:",
        f"       redis-cli -u {url} --scan --pattern '{prefix}:*'",
    ]
    if "axes_redis" in get_commands():
        lines.append(f"       {manage_line('axes_redis', 'list')}")
        lines.append(f"       {manage_line('axes_redis', 'log')}   # the login trail")
    lines += [
        f"       {manage_line('axes_reset')}        # unlock everyone",
        "",
        "Ctrl-C stops the demo" + (" and the embedded Redis server." if embedded else "."),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    port = int(os.environ.get("DEMO_PORT") or 8000)
    requested = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    try:
        with ExitStack() as stack:
            embedded = not answers(requested)
            url = stack.enter_context(embedded_redis()) if embedded else requested
            os.environ["REDIS_URL"] = url  # read by demo_project.settings

            import django
            from django.core.management import call_command

            django.setup()
            call_command("migrate", interactive=False, verbosity=0)
            created = create_users()
            print(banner(url, embedded, requested, port, created), flush=True)
            call_command(
                "runserver",
                f"127.0.0.1:{port}",
                use_reloader=False,
                skip_checks=False,
                shutdown_message="Demo stopped.",
            )
    except KeyboardInterrupt:
        print("Demo stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

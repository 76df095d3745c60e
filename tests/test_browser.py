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
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.test_demo import ALICE_KEY, LIMIT, lock_out_alice, running_demo

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(binary):
            pytest.fail(f"{binary} is missing: make test-browser installs chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1400,900")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(target))
    print(f"screenshot: {target}")
    return target


def row_keys(driver: WebDriver) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "tr.tracked-client")
    return [row.get_attribute("data-key") or "" for row in rows]


def test_staff_sees_a_lockout_resets_it_and_it_is_gone(
    tmp_path: Path, redis_server_url: str, browser: WebDriver
) -> None:
    """The operator's whole loop, in the browser a person would use."""
    store = redis.Redis.from_url(redis_server_url)
    store.flushdb()
    try:
        with running_demo(tmp_path, redis_server_url) as demo:
            lock_out_alice(demo)
            assert store.hget(ALICE_KEY, "failures") == str(LIMIT + 1).encode()

            browser.get(f"{demo.base}/admin/login/?next=/admin/")
            browser.find_element(By.NAME, "username").send_keys("admin")
            browser.find_element(By.NAME, "password").send_keys("admin")
            browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
            assert "Axes (Redis)" in browser.page_source

            browser.find_element(By.LINK_TEXT, "Tracked clients").click()
            assert row_keys(browser) == [ALICE_KEY]
            row = browser.find_element(By.CSS_SELECTOR, "tr.tracked-client")
            assert "locked out" in row.text
            assert f"{LIMIT + 1} / {LIMIT}" in row.text
            screenshot(browser, "admin-lockout")

            row.find_element(By.NAME, "reset_one").click()
            messages = browser.find_element(By.CSS_SELECTOR, ".messagelist").text
            assert "1 client(s) reset." in messages
            assert row_keys(browser) == []
            assert browser.find_element(By.ID, "no-clients").is_displayed()
            assert not store.exists(ALICE_KEY)
            screenshot(browser, "admin-after-reset")

            browser.find_element(By.LINK_TEXT, "Login trail").click()
            entries = browser.find_elements(By.CSS_SELECTOR, "tr.trail-entry")
            texts = [entry.text for entry in entries]
            assert sum("alice" in text and "failure" in text for text in texts) >= LIMIT
            assert any("login" in text and "admin" in text for text in texts)
            screenshot(browser, "admin-login-trail")
    finally:
        store.flushdb()
        store.close()

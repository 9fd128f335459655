"""Headless Chromium for tests and benchmarks: Debian's `chromium` and `chromium-driver`, driven by selenium.

Nothing is downloaded: the driver is the system chromedriver, handed to selenium explicitly so its
driver manager never looks for one online. The browser is told to fetch nothing of its own accord
(no component updates, sync, QUIC or background networking), runs from a fresh profile, and has the
DevTools performance log on so a test can list every request a page made.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)
APT_INSTALL = "apt-get install -y chromium chromium-driver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",  # root in a container: the sandbox needs namespaces we may not have
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


@dataclass(frozen=True)
class Browser:
    chromium: str
    driver: str


def find_browser() -> Browser | None:
    """The system Chromium and its driver, or None when either is missing."""
    chromium = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = next((p for p in map(shutil.which, DRIVER_NAMES) if p), None)
    if chromium is None or driver is None:
        return None
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    return Browser(chromium, driver)


def skip_reason() -> str | None:
    """Why browser tests may skip here, or None when they must run (or must fail loudly, under CI)."""
    if find_browser() is not None or os.environ.get("CI"):
        return None
    return f"headless Chromium and chromedriver not installed (`{APT_INSTALL}`; pip: selenium)"


@contextmanager
def chromium(*, javascript: bool = True) -> Iterator[Any]:
    """A selenium Chrome driver on the system Chromium, with the network emulated offline."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = find_browser()
    if browser is None:
        raise RuntimeError(f"headless Chromium is needed: {APT_INSTALL} and pip install selenium")
    profile = tempfile.mkdtemp(prefix="pcicheck-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser.chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=browser.driver))
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass(frozen=True)
class Request:
    url: str
    document: str  # the page that made it


def drain_requests(driver: Any) -> list[Request]:
    """Requests made since the last call, from the DevTools performance log (which this empties). Chromium's
    own pages (the new-tab page it opens at start) are left out: only requests made by web pages count."""
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            document = params.get("documentURL", "")
            if not document.startswith("chrome:"):
                requests.append(Request(params["request"]["url"], document))
    return requests


def file_url(path: Path) -> str:
    return path.resolve().as_uri()

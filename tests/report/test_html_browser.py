"""index.html in a real browser: headless Chromium opens the demo pack from file:// with the network off,
filters it, shows everything with scripting off, and runs nothing planted in the data.

Skips only when Chromium is missing and CI is unset; under CI a missing browser is a failure.
Set PCICHECK_SHOTS=DIR to keep the screenshots (summary, a failing requirement, a failing control).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.report.html import render_html
from tests.conftest import DemoRun
from tests.support.chromium import chromium, drain_requests, file_url, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

PAYLOADS = (
    "<script>window.__xss='script'</script>",
    '"><img src=x onerror="window.__xss=\'img\'">',
    "'><svg onload=\"window.__xss='svg'\">",
    "</script><script>window.__xss='close'</script>",
    "javascript:window.__xss='url'",
    "<iframe src=\"javascript:window.__xss='frame'\"></iframe>",
    "{{ 7 * 7 }} role/[admin]",
)
HOOK = """
window.__xss = undefined;
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = function () { window.__xss = name; };
}
"""


@pytest.fixture(scope="module")
def demo_pack(demo_run: DemoRun) -> Path:
    assert demo_run.code == 0
    return demo_run.out  # index.html as `pcicheck demo` wrote it into the evidence pack


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def open_page(driver: Any, page: Path, fragment: str = "") -> None:
    drain_requests(driver)
    driver.get(file_url(page) + fragment)
    deadline = time.monotonic() + 15
    while not driver.execute_script("return window.__pcicheckReady === true"):
        assert time.monotonic() < deadline, "the page's script never finished wiring the filters"
        time.sleep(0.02)


def assert_no_request_left(driver: Any, page: Path) -> None:
    requests = drain_requests(driver)
    assert any(r.url == file_url(page) for r in requests), "the performance log saw no navigation at all"
    leaving = [r for r in requests if not r.url.startswith(("file:", "data:"))]
    assert leaving == []


def shot(driver: Any, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    assert driver.save_screenshot(str(path))
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    keep = os.environ.get("PCICHECK_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / name).write_bytes(data)


def visible(driver: Any, selector: str, attribute: str) -> list[str]:
    """The attribute of each element matching `selector` that is displayed (not inside a hidden ancestor)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".filter(e => e.checkVisibility()).map(e => e.getAttribute(arguments[1]))",
        selector,
        attribute,
    )


def choose(driver: Any, field: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.CSS_SELECTOR, f"#filters select[name={field}]")).select_by_value(value)


def test_demo_pack_opens_offline_and_makes_no_request(demo_pack: Path, browser: Any, tmp_path: Path) -> None:
    page = demo_pack / "index.html"
    doc = json.loads((demo_pack / "results.json").read_text(encoding="utf-8"))
    open_page(browser, page, "#summary")
    assert browser.title == "pcicheck evidence — PCI DSS v4.0.1"
    shot(browser, "summary.png", tmp_path)
    listed = [r["id"] for r in results_doc.results(doc) if r["status"] in ("fail", "error", "waived")]
    assert sorted(visible(browser, "#controls .fd", "id")) == sorted(listed)
    # A failing requirement, as an auditor following the tree sees it.
    failing = next(
        q["id"] for q in doc["requirements"] if q["outcome"] == "not_in_place" and q["parent"] and "." in q["parent"]
    )
    browser.get(file_url(page) + f"#r-{failing}")
    shot(browser, "failing-requirement.png", tmp_path)
    browser.get(file_url(page) + "#c-aws-kms-key-rotation")
    shot(browser, "failing-control.png", tmp_path)
    assert_no_request_left(browser, page)


def test_status_and_text_filters(demo_pack: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    page = demo_pack / "index.html"
    doc = json.loads((demo_pack / "results.json").read_text(encoding="utf-8"))
    open_page(browser, page)
    everything = len(visible(browser, "#controls .f", "data-s"))
    choose(browser, "status", "fail")
    statuses = visible(browser, "#controls .f", "data-s")
    assert statuses and set(statuses) == {"fail"}
    assert len(statuses) == sum(r["status"] == "fail" for r in results_doc.results(doc))
    # The tree keeps exactly the requirements with a failure at or below them.
    assert set(visible(browser, "#requirements .req", "data-id")) == {
        q["id"] for q in doc["requirements"] if q["outcome"] == "not_in_place"
    }
    assert "Filtered view: status fail" in browser.find_element(By.ID, "filtered-note").text

    choose(browser, "severity", "critical")
    critical = {r["id"] for r in results_doc.results(doc) if r["status"] == "fail" and r["severity"] == "critical"}
    assert set(visible(browser, "#controls .fd", "id")) == critical

    browser.find_element(By.CSS_SELECTOR, "#filters button[type=reset]").click()
    time.sleep(0.1)
    assert len(visible(browser, "#controls .f", "data-s")) == everything

    target = next(r for r in results_doc.results(doc) if r["status"] == "fail")  # the demo has no error left
    browser.find_element(By.CSS_SELECTOR, "#filters input[name=q]").send_keys(target["id"].lower())
    deadline = time.monotonic() + 5
    while visible(browser, "#controls .fd", "id") != [target["id"]]:
        assert time.monotonic() < deadline, visible(browser, "#controls .fd", "id")
        time.sleep(0.05)
    assert_no_request_left(browser, page)


def test_without_scripting_everything_is_shown(demo_pack: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    page = demo_pack / "index.html"
    doc = json.loads((demo_pack / "results.json").read_text(encoding="utf-8"))
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(file_url(page))
        assert browser.execute_script("return window.__pcicheckReady") is None
        assert not browser.find_element(By.ID, "filters").is_displayed()
        listed = [r for r in results_doc.results(doc) if r["status"] in ("fail", "error", "waived")]
        assert len(visible(browser, "#controls .fd", "id")) == len(listed)
        assert len(visible(browser, "#requirements .req", "data-id")) == len(doc["requirements"])
        assert "Filtering needs scripting" in browser.find_element(By.TAG_NAME, "main").text
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_print_view_hides_the_filters_and_opens_collapsed_lists(demo_pack: Path, browser: Any) -> None:
    open_page(browser, demo_pack / "index.html")
    collapsed = "details.grp li"
    assert visible(browser, collapsed, "id") == []
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert visible(browser, "#filters", "id") == []
        shown = visible(browser, collapsed, "id")
        assert shown and len(shown) == browser.execute_script(f"return document.querySelectorAll('{collapsed}').length")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_planted_xss_does_not_run(demo_pack: Path, browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    doc = json.loads((demo_pack / "results.json").read_text(encoding="utf-8"))
    planted = next(r for r in results_doc.results(doc) if r["status"] == "fail")
    hostile = " ".join(PAYLOADS)
    planted["resource"]["name"] = hostile
    planted["resource"]["tags"] = {p: p for p in PAYLOADS}
    planted["message"] = hostile
    planted["evidence"] = {p: p for p in PAYLOADS}
    for r in results_doc.results(doc):
        if r["status"] == "pass":
            r["resource"]["name"] = PAYLOADS[1]
    for c in doc["controls"]:
        c["title"], c["remediation"] = PAYLOADS[0], PAYLOADS[4]
    doc["requirements"][0]["title"] = PAYLOADS[3]
    doc["errors"].append(dict(doc["errors"][0], message=hostile, resource_uid=PAYLOADS[5]))
    doc["connected_to"].append({"uid": PAYLOADS[4], "type": PAYLOADS[2], "name": hostile, "links": []})
    doc["snapshot"]["identity"]["aws"]["arn"] = hostile
    page = tmp_path / "index.html"
    with page.open("w", encoding="utf-8") as fp:
        render_html(doc, fp)

    hook = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
    try:
        open_page(browser, page, f"#{planted['id']}")
        card = browser.find_element(By.ID, planted["id"])
        assert card.find_element(By.CSS_SELECTOR, ".name").text == hostile
        # Exercise the page with the payloads: search for them, follow the planted finding's own link.
        browser.find_element(By.CSS_SELECTOR, "#filters input[name=q]").send_keys(PAYLOADS[1])
        time.sleep(0.3)
        card.find_element(By.CSS_SELECTOR, "a.ev").click()
        counts = browser.execute_script(
            "return [document.scripts.length, document.querySelectorAll('img, iframe, object, embed').length,"
            " document.querySelectorAll('svg').length]"
        )
        assert counts == [1, 0, 1]
        assert browser.execute_script("return window.__xss") is None
        with pytest.raises(NoAlertPresentException):
            _ = browser.switch_to.alert.text
        assert_no_request_left(browser, page)
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": hook["identifier"]})

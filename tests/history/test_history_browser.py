"""The history page in headless Chromium (tests/support/chromium.py): it renders offline with its timelines,
logs no error (a CSP violation would be one), requests nothing, and runs nothing planted in the packs:
hostile pack names and requirement, procedure and control titles (written into a pack by the real
`pcicheck report` from an edited results.json) stay text.

Skips only when Chromium is missing and CI is unset; under CI a missing browser is a failure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcicheck.cli import main
from tests.history.conftest import CONTROL, Packs
from tests.support.chromium import chromium, drain_requests, file_url, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

PAYLOADS = (
    "<script>window.__xss='script'</script>",
    '"><img src=x onerror="window.__xss=\'img\'">',
    "'><svg onload=\"window.__xss='svg'\">",
    "</title><script>window.__xss='title'</script>",
    "<style>*{display:none}</style>{{ 7 * 7 }}",
)
# A directory name cannot hold "/": the payloads a pack's own name can carry.
HOSTILE_PACK = '"><img src=x onerror="window.__xss=\'pack\'"><svg onload="window.__xss=\'svg\'">'
HOOK = """
window.__xss = undefined;
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = function () { window.__xss = name; };
}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def hostile_history(packs_copy: Path, tmp_path: Path) -> Path:
    """The four packs, the last one rewritten by `pcicheck report` from a results.json whose titles are
    payloads, into a pack whose directory name is one."""
    last = packs_copy / "0-saturday"
    doc = json.loads((last / "results.json").read_text())
    for q in doc["requirements"]:
        q["title"] = PAYLOADS[0]
        for p in q["procedures"]:
            p["about"] = PAYLOADS[1]
    for c in doc["controls"]:
        c["title"] = PAYLOADS[2]
    doc["also"][0]["requirements"][0]["title"] = PAYLOADS[3]
    doc["framework"]["title"] = PAYLOADS[4]
    edited = tmp_path / "results.json"
    edited.write_text(json.dumps(doc))
    assert main(["report", str(edited), "--out", str(packs_copy / HOSTILE_PACK), "-q"]) == 0
    for f in last.iterdir():
        f.unlink()
    last.rmdir()
    out = tmp_path / "history"
    assert main(["history", str(packs_copy), "--out", str(out), "-q"]) == 0
    return out / "index.html"


def test_the_history_page_renders_offline_without_errors(history_packs: Packs, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    out = tmp_path / "history"
    assert main(["history", str(history_packs.folder), "--out", str(out), "-q"]) == 0
    page = out / "index.html"
    drain_requests(browser)
    browser.get_log("browser")
    browser.get(file_url(page) + "#controls")
    assert browser.title == f"pcicheck history — {history_packs.folder}"
    assert browser.get_log("browser") == []  # no CSP violation, nothing failed to load
    requests = drain_requests(browser)
    assert [r.url for r in requests if not r.url.startswith(("file:", "data:"))] == []
    assert browser.execute_script("return document.scripts.length") == 0

    row = browser.find_element(By.ID, f"control---{CONTROL}")
    rects = row.find_elements(By.CSS_SELECTOR, "svg.tl rect")
    kinds = [r.get_attribute("class") for r in rects]
    # supported, failing, supported until a day and a half after 3 Nov, the gap, supported again.
    assert kinds == ["k-supported", "k-failing", "k-supported", "k-gap", "k-supported"]
    widths = [r.size["width"] for r in rects]
    assert all(w > 0 for w in widths) and widths[3] > widths[1]  # the 3-day gap outweighs the 1-day failure
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[2:] == ["pass", "2026-11-02 02:05", "2026-11-03 01:58", "23h 53m", "2026-11-06 02:00"]
    hover = rects[1].find_element(By.TAG_NAME, "title").get_attribute("textContent")
    assert hover == "2026-11-02T02:05:00Z: fail"
    gap = browser.find_element(By.CSS_SELECTOR, "#scans tr.gap").text
    assert gap == "2026-11-03 01:58 2026-11-06 02:00 3d"
    path = tmp_path / "history.png"
    assert browser.save_screenshot(str(path)) and path.read_bytes().startswith(b"\x89PNG")


def test_planted_text_in_packs_stays_text(hostile_history: Path, browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    hook = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
    try:
        drain_requests(browser)
        browser.get(file_url(hostile_history))
        time.sleep(0.3)
        assert browser.execute_script("return window.__xss") is None
        with pytest.raises(NoAlertPresentException):
            _ = browser.switch_to.alert.text
        counts = browser.execute_script(
            "return [document.scripts.length, document.querySelectorAll('img, iframe, object, embed, style').length,"
            " document.querySelectorAll('svg svg').length]"
        )
        assert counts == [0, 1, 0]  # the one <style> is the page's own
        text = browser.find_element(By.TAG_NAME, "main").text
        assert HOSTILE_PACK in text and PAYLOADS[0] in text and PAYLOADS[2] in text
        assert PAYLOADS[4] in browser.find_element(By.CSS_SELECTOR, "nav.toc").text
        assert [r.url for r in drain_requests(browser) if not r.url.startswith(("file:", "data:"))] == []
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": hook["identifier"]})

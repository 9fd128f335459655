"""index.html in a real browser: headless Chromium opens the demo pack from file:// with the network off,
filters it, shows everything with scripting off, and runs nothing planted in the data.

Skips only when Chromium is missing and CI is unset; under CI a missing browser is a failure.
Set PCICHECK_SHOTS=DIR to keep the screenshots (summary, a failing requirement, a failing control).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.model import evidence_id
from pcicheck.report.evidence_cell import EVIDENCE_CHARS
from pcicheck.report.html import CONNECTED_ROWS, INLINE_FINDINGS, INLINE_LISTED, MAX_EVIDENCE, MAX_LISTED, render_html
from pcicheck.report.html_text import pairs
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


def press(driver: Any, element: Any) -> None:
    """A click as a reader makes it: the element scrolled to the middle first, clear of the sticky filters."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


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
        # Printing draws the names a group holds in the data block: paper cannot open a list later.
        assert browser.execute_script("return document.querySelectorAll('li.pend').length") > 0  # the demo has one
        browser.execute_script("window.dispatchEvent(new Event('beforeprint'))")
        assert browser.execute_script("return document.querySelectorAll('li.pend').length") == 0
        assert len(visible(browser, collapsed, "id")) > len(shown)
        browser.execute_script("window.dispatchEvent(new Event('afterprint'))")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_planted_xss_does_not_run(demo_pack: Path, browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    doc = json.loads((demo_pack / "results.json").read_text(encoding="utf-8"))
    for r in doc["results"]:  # v2: a result names its resource, which the document holds once
        if r["status"] == "pass":
            doc["resources"][r["resource"]]["name"] = PAYLOADS[1]
    planted = next(r for r in doc["results"] if r["status"] == "fail")
    hostile = " ".join(PAYLOADS)
    doc["resources"][planted["resource"]]["name"] = hostile
    doc["resources"][planted["resource"]]["tags"] = {p: p for p in PAYLOADS}
    planted.pop("message_shared", None)  # its message in place: the hostile one
    planted["message"] = hostile
    planted["evidence"] = {p: p for p in PAYLOADS}
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
            "return [document.scripts.length, document.querySelectorAll('script:not([type])').length,"
            " document.querySelectorAll('img, iframe, object, embed').length, document.querySelectorAll('svg').length]"
        )
        assert counts == [2, 1, 0, 1]  # report.js and its data block, which is JSON, never run
        assert browser.execute_script("return window.__xss") is None
        with pytest.raises(NoAlertPresentException):
            _ = browser.switch_to.alert.text
        assert_no_request_left(browser, page)
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": hook["identifier"]})


@pytest.fixture(scope="module")
def crowded_page(demo_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[str]]:
    """The demo's results with 300 more failures of one control, on resources of their own (50 tags each):
    most of them past the findings drawn as markup, and the evidence index many pages long."""
    doc = json.loads((demo_pack / "results.json").read_text(encoding="utf-8"))
    failing = next(r for r in doc["results"] if r["status"] == "fail")
    template = doc["resources"][failing["resource"]]
    added = []
    for i in range(300):
        uid = f"{failing['resource']}/crowd-{i:03d}"
        doc["resources"][uid] = {
            **template,
            "name": f"crowd-{i:03d}",
            "tags": {f"k{k:02d}": f"v{i}-{k}" for k in range(50)},
        }
        added.append({**failing, "id": evidence_id(failing["control"], uid), "resource": uid})
    doc["results"] += added
    page = tmp_path_factory.mktemp("crowded") / "index.html"
    with page.open("w", encoding="utf-8") as fp:
        render_html(doc, fp)
    return page, doc, [r["id"] for r in added]


def test_findings_past_the_markup_are_drawn_on_demand_and_found_by_the_filters(
    crowded_page: tuple[Path, dict[str, Any], list[str]], browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    page, doc, added = crowded_page
    control = doc["results"][-1]["control"]
    section = f"#c-{control}"
    open_page(browser, page)
    drawn = visible(browser, f"{section} .fd", "id")
    assert len(drawn) == INLINE_FINDINGS and added[-1] not in drawn
    button = browser.find_element(By.CSS_SELECTOR, f"{section} .more button")
    pending = len([r for r in doc["results"] if r["control"] == control and r["status"] == "fail"]) - INLINE_FINDINGS
    assert button.is_displayed() and f"of {pending} findings not shown" in button.text

    # The text filter searches every finding, drawn or not: the last one, by its evidence id and by a tag.
    browser.find_element(By.CSS_SELECTOR, "#filters input[name=q]").send_keys(added[-1].lower())
    deadline = time.monotonic() + 15  # a loaded CI machine
    while visible(browser, "#controls .fd", "id") != [added[-1]]:
        assert time.monotonic() < deadline, visible(browser, "#controls .fd", "id")
        time.sleep(0.05)
    card = browser.find_element(By.ID, added[-1])
    assert "k49=v299-49" in card.text and card.find_element(By.CSS_SELECTOR, ".name").text == "crowd-299"
    # Every value the data block names by position is read back: evidence, message, where the resource is.
    expected = next(r for r in results_doc.results(doc) if r["id"] == added[-1])
    evidence, _ = pairs(expected["evidence"], MAX_EVIDENCE, EVIDENCE_CHARS)
    assert evidence and card.find_element(By.CSS_SELECTOR, "pre.evd").get_attribute("textContent") == "\n".join(
        f"{k}: {v}" for k, v in evidence
    )
    where = expected["resource"]
    assert card.find_element(By.CSS_SELECTOR, ".fm").text == expected["message"]
    assert f"account {where['account']} · region {where['region']} · {where['scope']}" in card.text
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=reset]").click()
    time.sleep(0.2)

    # A status filter draws the first ten it matches and counts the rest; the button draws a hundred more.
    choose(browser, "status", "fail")
    shown = visible(browser, f"{section} .fd", "id")
    assert len(shown) == INLINE_FINDINGS + 10 + 1  # the one drawn by the search stays drawn
    rest = pending - 10 - 1
    assert f"Show 100 more of {rest} matching findings not shown" == button.text
    press(browser, button)
    assert len(visible(browser, f"{section} .fd", "id")) == INLINE_FINDINGS + 110 + 1
    assert f"of {rest - 100} matching" in button.text

    # A cited evidence id not drawn yet is drawn and shown.
    browser.get(file_url(page) + f"#{added[250]}")
    open_page(browser, page, f"#{added[250]}")
    assert browser.find_element(By.ID, added[250]).is_displayed()


def test_the_evidence_index_pages_and_searches_every_row(
    crowded_page: tuple[Path, dict[str, Any], list[str]], browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    page, doc, added = crowded_page
    open_page(browser, page)
    press(browser, browser.find_element(By.CSS_SELECTOR, "#index > summary"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#index tbody tr")
    out = browser.find_element(By.CSS_SELECTOR, "#index .pager output")
    assert len(rows) == 100 and out.text == f"rows 1–100 of {len(doc['results']):,}"
    press(browser, browser.find_element(By.CSS_SELECTOR, "#index .pager [data-step='1']"))
    assert out.text.startswith("rows 101–200 of")
    browser.find_element(By.CSS_SELECTOR, "#index .pager input").send_keys(added[-2].lower())
    deadline = time.monotonic() + 15  # a loaded CI machine
    while out.text != f"rows 1–1 of 1 matching (of {len(doc['results']):,})":
        assert time.monotonic() < deadline, out.text
        time.sleep(0.05)
    (row,) = browser.find_elements(By.CSS_SELECTOR, "#index tbody tr")
    assert added[-2] in row.text and "crowd-298" in row.text
    press(browser, row.find_element(By.CSS_SELECTOR, "a"))  # a finding the page had not drawn: drawn and shown
    assert browser.find_element(By.ID, added[-2]).is_displayed()


@pytest.fixture(scope="module")
def connected_page(demo_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The demo's results with 60 copies of each of its connected-to systems (one named by a payload): more
    than the first page the markup holds."""
    doc = json.loads((demo_pack / "results.json").read_text(encoding="utf-8"))
    originals = list(doc["connected_to"])
    copies = [
        {**c, "uid": f"{c['uid']}/copy-{i:02d}", "name": PAYLOADS[3] if i == 42 else f"{c['name']} copy {i:02d}"}
        for i in range(60)
        for c in originals
    ]
    doc["connected_to"] = originals + copies
    page = tmp_path_factory.mktemp("connected") / "index.html"
    with page.open("w", encoding="utf-8") as fp:
        render_html(doc, fp)
    return page, doc["connected_to"]


def test_connected_to_systems_page_through_the_data_as_the_markup_draws_them(
    connected_page: tuple[Path, list[dict[str, Any]]], browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    page, systems = connected_page
    open_page(browser, page)
    out = browser.find_element(By.CSS_SELECTOR, "#connected .pager output")
    prev, following = (browser.find_element(By.CSS_SELECTOR, f"#connected [data-step='{n}']") for n in (-1, 1))
    total = len(systems)
    assert out.text == f"systems 1–{CONNECTED_ROWS} of {total}" and not prev.is_enabled()
    cells = "return Array.from(document.querySelectorAll('#connected tbody td')).map(c => c.innerHTML)"
    markup = browser.execute_script(cells)
    press(browser, following)
    assert out.text == f"systems {CONNECTED_ROWS + 1}–{2 * CONNECTED_ROWS} of {total}"
    names = browser.execute_script(
        "return Array.from(document.querySelectorAll('#connected tbody .name')).map(e => e.textContent)"
    )
    assert names == [c["name"] for c in systems[CONNECTED_ROWS : 2 * CONNECTED_ROWS]]
    while following.is_enabled():
        press(browser, following)
    assert out.text == f"systems {2 * CONNECTED_ROWS + 1}–{total} of {total}"
    while prev.is_enabled():
        press(browser, prev)
    # The first page again, drawn from the data this time: element for element what the template wrote.
    assert out.text.startswith("systems 1–") and browser.execute_script(cells) == markup
    assert browser.execute_script("return window.__xss") is None
    assert_no_request_left(browser, page)


@pytest.fixture(scope="module")
def listed_page(demo_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The demo's results with 150 more passes of one control, one resource named by a payload: the group
    names 10 as markup, 90 from data, and counts 50 more."""
    doc = json.loads((demo_pack / "results.json").read_text(encoding="utf-8"))
    passing = next(r for r in doc["results"] if r["status"] == "pass")
    template = doc["resources"][passing["resource"]]
    added = []
    for i in range(150):
        uid = f"{passing['resource']}/many-{i:03d}"
        doc["resources"][uid] = {**template, "name": PAYLOADS[0] if i == 60 else f"many-{i:03d}"}
        added.append({**passing, "id": evidence_id(passing["control"], uid), "resource": uid})
    doc["results"] += added
    page = tmp_path_factory.mktemp("listed") / "index.html"
    with page.open("w", encoding="utf-8") as fp:
        render_html(doc, fp)
    return page, [r for r in doc["results"] if r["control"] == passing["control"] and r["status"] == "pass"]


def test_collapsed_names_past_the_markup_are_drawn_when_the_list_opens(
    listed_page: tuple[Path, list[dict[str, Any]]], browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    page, passes = listed_page
    group = f"#c-{passes[0]['control']} details.grp[data-s=pass]"
    items = f"return Array.from(document.querySelectorAll('{group} li[id]')).map(e => e.outerHTML)"
    open_page(browser, page)
    assert len(browser.execute_script(items)) == INLINE_LISTED
    # The text filter finds a name not drawn yet (the last the group names): its group stays shown.
    last = passes[MAX_LISTED - 1]["resource"].rsplit("/", 1)[1]
    assert last.startswith("many-")
    browser.find_element(By.CSS_SELECTOR, "#filters input[name=q]").send_keys(last)
    deadline = time.monotonic() + 15
    while visible(browser, "#controls .f", "data-s") != ["pass"]:
        assert time.monotonic() < deadline, visible(browser, "#controls .f", "data-s")
        time.sleep(0.05)
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=reset]").click()
    press(browser, browser.find_element(By.CSS_SELECTOR, f"{group} > summary"))
    deadline = time.monotonic() + 5
    while len(drawn := browser.execute_script(items)) != MAX_LISTED:
        assert time.monotonic() < deadline, len(drawn)
        time.sleep(0.05)
    # Element for element as the template writes the first ones, in the results' order, the payload as text.
    shape = re.compile(
        r'<li id="([^"<]+)"><a class="ev" href="#\1">\1</a> <span class="name">[^<]*</span>'
        r'( <code class="muted">[^<]*</code>)?</li>'
    )
    assert all(shape.fullmatch(li) for li in drawn), drawn[INLINE_LISTED]
    assert [shape.fullmatch(li).group(1) for li in drawn] == [r["id"] for r in passes[:MAX_LISTED]]  # type: ignore[union-attr]
    names = browser.execute_script(
        f"return Array.from(document.querySelectorAll('{group} li .name')).map(e => e.textContent)"
    )
    assert PAYLOADS[0] in names and browser.execute_script("return window.__xss") is None
    assert_no_request_left(browser, page)
    # A cited evidence id past the markup is drawn and shown when the page opens on it.
    cited = next(r["id"] for r in passes[INLINE_LISTED:MAX_LISTED] if r["resource"].endswith("many-080"))
    browser.get("about:blank")
    open_page(browser, page, f"#{cited}")
    assert browser.find_element(By.ID, cited).is_displayed()

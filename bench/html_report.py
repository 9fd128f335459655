"""Benchmark: index.html for 50,000 results — render time, file size, and time to interactive in Chromium.

Budget (issue 5): rendering <= 10 s, the page <= 25 MB, and headless Chromium makes it interactive
(the filter script has wired itself: `window.__pcicheckReady`) <= 3 s after navigation starts.
Issue 16: the same at 50 tags per resource (`--tags 50`), the document in results v2 (`--v1` writes the
older shape, each result embedding its resource, for a checkout that reads only that).

The results document is synthesized with the real catalog and framework: every control gets about
the same number of resources of its own type, with ~10 % failing, ~1 % erroring, a few waived,
~25 % not applicable (with the engine's reasons) and the rest passing; the requirement tree is rolled
up by pcicheck's own roll-up. Timed: parsing the JSON document and rendering the page, then loading
it from file:// in headless Chromium (Debian `chromium` + `chromium-driver`, driven by selenium)
with the network off, printing where the time went: when the parser reached report.js, when the data block
was parsed, and Chromium's main-thread totals (script, layout, style) from DevTools' Performance.getMetrics.

    python bench/html_report.py [--results 50000] [--tags 50] [--v1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pcicheck.catalog import load_catalog
from pcicheck.evaluate.rollup import roll_up
from pcicheck.model import Result, Status, evidence_id
from pcicheck.report.html import render_html
from pcicheck.report.results_json import control_entry, requirement_entry

try:
    from pcicheck.results_doc import CONTROL_FIELDS, V1, V2
except ImportError:  # a checkout from before results v2 (PYTHONPATH=... for a before/after): run with --v1
    CONTROL_FIELDS, V1, V2 = ("title", "severity", "domain", "requirements"), "pcicheck/results/v1", ""

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.chromium import chromium, drain_requests, file_url

BUDGET_RENDER_SECONDS = 10.0
BUDGET_MB = 25.0
BUDGET_INTERACTIVE_SECONDS = 3.0
FRAMEWORK = "pci-dss-3.2.1"
ACCOUNTS = tuple(str(100000000000 + i) for i in range(5))
REGIONS = ("us-east-1", "eu-west-2", "eu-west-1", "ap-southeast-2")
NOT_APPLICABLE = ("out of scope: not in the CDE", "out of scope: no tenant", "does not apply (where is false)")


def _status(rng: random.Random) -> Status:
    roll = rng.random()
    if roll < 0.10:
        return Status.FAIL
    if roll < 0.11:
        return Status.ERROR
    if roll < 0.115:
        return Status.WAIVED
    if roll < 0.365:
        return Status.NOT_APPLICABLE
    return Status.PASS


def _value(rng: random.Random, attr: str) -> Any:
    roll = rng.random()
    if roll < 0.4:
        return rng.random() < 0.5
    if roll < 0.6:
        return rng.randrange(0, 400)
    if roll < 0.8:
        return f"{attr}-{rng.randrange(10_000):04d}"
    return [f"sg-{rng.randrange(16**8):08x}" for _ in range(rng.randrange(1, 4))]


def synthetic(n: int, seed: int = 11, tags_per_resource: int = 0, v1: bool = False) -> dict[str, Any]:
    rng = random.Random(seed)
    catalog = load_catalog()
    framework = catalog.framework(FRAMEWORK)
    controls = sorted(catalog.controls, key=lambda c: c.id)
    results: list[Result] = []
    rows: list[dict[str, Any]] = []
    for i in range(n):
        control = controls[i % len(controls)]
        account, region = ACCOUNTS[i % len(ACCOUNTS)], REGIONS[(i // 7) % len(REGIONS)]
        kind = control.resource.split(".")[-1]
        tags = {"Name": f"{kind}-{i:06d}", "owner": f"team-{i % 23}"}
        tags |= {f"org:governance/attribute-{k:02d}": f"value-{(i + k) % 997:04d}" for k in range(tags_per_resource)}
        scope, reason, tenant = "non-cde", "no CDE marker", None
        if i % 5 == 0:
            tags["pci-scope"], scope, reason = "cde", "cde", "tag pci-scope=cde"
        elif i % 7 == 0:
            tenant = tags["tenant"] = f"tenant-{i % 40}"
        resource = {
            "uid": f"arn:aws:{control.resource.split('.')[1]}:{region}:{account}:{kind}/{i:06d}",
            "type": control.resource,
            "name": tags["Name"],
            "account": account,
            "region": region,
            "tags": tags,
            "scope": scope,
            "scope_reason": reason,
            "tenant": tenant,
        }
        status = _status(rng)
        if status is Status.NOT_APPLICABLE:
            message, evidence = rng.choice(NOT_APPLICABLE), {}
        else:
            message = {"pass": "met", "fail": "not met", "waived": "waived", "error": "could not be evaluated"}[
                status.value
            ]
            message = f"{message}: {control.title}"
            evidence = {attr: _value(rng, attr) for attr in control.evidence}
        result = Result(control, resource, status, message, evidence)
        results.append(result)
        row = {
            "id": evidence_id(control.id, resource["uid"]),
            "control": control.id,
            "title": control.title,
            "status": status.value,
            "severity": control.severity.value,
            "domain": control.domain,
            "requirements": {fw: list(ids) for fw, ids in control.requirements.items()},
            "resource": resource,
            "message": message,
            "evidence": evidence,
        }
        if status is Status.WAIVED:
            row["waiver"] = {"reason": "compensating control CC-7", "expires": "2027-03-31", "approved_by": "qsa@corp"}
        rows.append(row)
    requirements = roll_up(framework, controls, results)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    doc = {
        "schema": V1,
        "tool": {"name": "pcicheck", "version": "bench", "catalog_digest": catalog.digest()},
        "framework": {"id": framework.id, "title": framework.title},
        "started_at": "2026-11-25T00:00:00Z",
        "finished_at": "2026-11-25T00:00:09Z",
        "snapshot": {
            "created_at": "2026-11-25T00:00:00Z",
            "tool_version": "bench",
            "identity": {"aws": {"account": ACCOUNTS[0], "arn": f"arn:aws:iam::{ACCOUNTS[0]}:role/audit"}},
            "request": {"providers": ["aws"], "aws": {"regions": list(REGIONS)}},
            "resources": n,
        },
        "scope": {"cde": {"tag": "pci-scope", "value": "cde"}, "tenant": {"tag": "tenant"}},
        "summary": {s.value: counts.get(s.value, 0) for s in Status if s is not Status.MANUAL},
        "results": rows,
        "requirements": [requirement_entry(q) for q in requirements],
        "controls": [control_entry(c) for c in controls],
        "connected_to": [],
        "errors": [
            {
                "provider": "aws",
                "account": ACCOUNTS[1],
                "region": "eu-west-1",
                "service": "kms",
                "operation": "ListKeys",
                "code": "AccessDeniedException",
                "message": "not authorized to perform kms:ListKeys",
                "resource_types": ["aws.kms.key"],
                "resource_uid": f"aws://{ACCOUNTS[1]}/eu-west-1/kms",
                "attributes": [],
            }
        ],
    }
    return doc if v1 else as_v2(doc)


def as_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """The v1 document in results v2's shape: each resource once, results naming it and their control."""
    resources: dict[str, dict[str, Any]] = {}
    results = []
    for r in doc["results"]:
        uid = r["resource"]["uid"]
        resources.setdefault(uid, {k: v for k, v in r["resource"].items() if k != "uid"})
        own = {k: v for k, v in r.items() if k not in CONTROL_FIELDS}
        results.append(own | {"resource": uid})
    head = {k: v for k, v in doc.items() if k != "results"}
    return head | {"schema": V2, "resources": dict(sorted(resources.items())), "results": results}


def interactive_seconds(page: Path) -> tuple[float, float, float, int]:
    """(navigation start → filters wired, same → load event, one status filter applied, requests off the page)."""
    with chromium() as driver:
        drain_requests(driver)
        driver.execute_cdp_cmd("Performance.enable", {})
        driver.get(file_url(page))
        deadline = time.monotonic() + 30
        while not driver.execute_script("return window.__pcicheckReady === true") and time.monotonic() < deadline:
            time.sleep(0.05)
        ready_ms = driver.execute_script("return window.__pcicheckReadyAt")
        load_ms = driver.execute_script("return performance.getEntriesByType('navigation')[0].loadEventEnd")
        filter_ms = driver.execute_script(
            """
            const s = document.querySelector('#filters select[name=status]');
            const t = performance.now();
            s.value = 'fail';
            s.dispatchEvent(new Event('change', {bubbles: true}));
            void document.body.offsetHeight;  // include the style and layout work the change causes
            return performance.now() - t;
            """
        )
        leaving = [r for r in drain_requests(driver) if not r.url.startswith(("file:", "data:"))]
        _print_breakdown(driver)
    return ready_ms / 1000, load_ms / 1000, filter_ms / 1000, len(leaving)


def _print_breakdown(driver: Any) -> None:
    """Where the time to interactive went: when the parser reached report.js (all markup and the data block
    parsed), when the data block was JSON-parsed, when the filters were wired; and Chromium's own totals of
    main-thread work by kind (Performance.getMetrics, since navigation, the filter above included)."""
    marks = driver.execute_script(
        "return [window.__pcicheckStartAt, window.__pcicheckDataAt, window.__pcicheckReadyAt,"
        " document.getElementsByTagName('*').length]"
    )
    metrics = {m["name"]: m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
    at = " ".join(
        f"{name}={ms / 1000:.2f}s" if isinstance(ms, int | float) else f"{name}=?"
        for name, ms in zip(("markup_parsed", "data_parsed", "ready"), marks, strict=False)
    )
    work = " ".join(
        f"{key.removesuffix('Duration').lower()}={metrics.get(key, 0):.2f}s"
        for key in ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
    )
    print(f"chromium breakdown: {at} elements={marks[3]:,} | main-thread work: {work}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=50_000)
    parser.add_argument("--tags", type=int, default=0, help="extra tags on every resource")
    parser.add_argument("--v1", action="store_true", help="write the results document in its v1 shape")
    parser.add_argument("--keep", type=Path, help="write index.html and results.json here instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        document = synthetic(args.results, tags_per_resource=args.tags, v1=args.v1)
        (out / "results.json").write_text(json.dumps(document), encoding="utf-8")
        start = time.perf_counter()
        doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
        parsed = time.perf_counter()
        with (out / "index.html").open("w", encoding="utf-8") as fp:
            render_html(doc, fp)
        rendered = time.perf_counter()
        size_mb = (out / "index.html").stat().st_size / 1e6
        print(
            f"results={len(doc['results'])} controls={len(doc['controls'])} summary={doc['summary']}\n"
            f"results.json={(out / 'results.json').stat().st_size / 1e6:.1f}MB "
            f"parse={parsed - start:.2f}s render={rendered - parsed:.2f}s "
            f"total={rendered - start:.2f}s (budget {BUDGET_RENDER_SECONDS:.0f}s)  "
            f"index.html={size_mb:.1f}MB (budget {BUDGET_MB:.0f}MB)"
        )
        ready, load, filtering, leaving = interactive_seconds(out / "index.html")
    print(
        f"chromium: interactive={ready:.2f}s (budget {BUDGET_INTERACTIVE_SECONDS:.0f}s) load_event={load:.2f}s "
        f"filter(status=fail)={filtering:.2f}s requests_off_page={leaving}"
    )
    ok = (
        rendered - start <= BUDGET_RENDER_SECONDS
        and size_mb <= BUDGET_MB
        and ready <= BUDGET_INTERACTIVE_SECONDS
        and leaving == 0
    )
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

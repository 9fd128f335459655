"""JUnit XML from the results document: one testsuite per control, one testcase per resource that needs
attention, and one testcase for the control's passing resources together.

classname is the control id (GitLab shows it as the suite), name the resource (unique within the
control, since GitLab drops duplicates). fail → <failure>, error → <error> (could not be evaluated
is not a pass), needs_configuration → <error type="needs-configuration"> (a param the site must set:
the scan is incomplete, and a CI that reads skipped as fine must not read it so), waived → <skipped>
with the waiver; not_applicable results are not tests and are left out.

Passes are counted, not listed: CI test reports (GitLab's, Jenkins' JUnit plugin, the GitHub Actions
reporters) show failures and errors by name and passes as a count, and a testcase per passing resource
was a third of a large pack's junit.xml. The control's passing testcase names how many resources
passed (also a suite property, `pcicheck.passed`); which ones, with their evidence ids, is in
evidence.csv and results.json. Every failure, error and waiver keeps its own testcase, so a CI that
tracks a failing test's age across builds still can.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from pcicheck import results_doc
from pcicheck.report.evidence_cell import evidence_cell

_INVALID_XML = {c: None for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}


def _text(value: Any) -> str:
    """XML-safe: control characters XML 1.0 cannot carry are dropped, the rest escaped."""
    return escape(str(value).translate(_INVALID_XML))


def _attr(value: Any) -> str:
    return quoteattr(str(value).translate(_INVALID_XML))


def _body(r: Mapping[str, Any], detail: str) -> str:
    """The testcase's child for a result's status: what CI shows for it."""
    if r["status"] == "fail":
        return f"<failure type={_attr(r['severity'])} message={_attr(r['message'])}>{_text(detail)}</failure>"
    if r["status"] == "error":
        return f'<error type="not-evaluated" message={_attr(r["message"])}>{_text(detail)}</error>'
    if r["status"] == "needs_configuration":
        return f'<error type="needs-configuration" message={_attr(r["message"])}>{_text(detail)}</error>'
    if r["status"] == "waived":
        waiver = r.get("waiver") or {}
        reason = "; ".join(f"{k}: {v}" for k, v in sorted(waiver.items())) or r["message"]
        return f"<skipped message={_attr('waived: ' + reason)}/>"
    return ""


def write_junit(doc: Mapping[str, Any], out: TextIO) -> None:
    framework = doc["framework"]["id"]
    by_control: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results_doc.results(doc):
        if r["status"] != "not_applicable":
            by_control[r["control"]].append(r)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suites: list[str] = []
    for control_id in sorted(by_control):
        results = by_control[control_id]
        passed = sum(r["status"] == "pass" for r in results)
        flagged = [r for r in results if r["status"] != "pass"]
        counts = {
            "tests": len(flagged) + (1 if passed else 0),
            "failures": sum(r["status"] == "fail" for r in results),
            "errors": sum(r["status"] in ("error", "needs_configuration") for r in results),
            "skipped": sum(r["status"] == "waived" for r in results),
        }
        for k, v in counts.items():
            totals[k] += v
        cases = []
        if passed:
            cases.append(
                f"    <testcase classname={_attr(control_id)} name={_attr(f'{passed} resources passed')} "
                'time="0"></testcase>'
            )
        for r in flagged:
            res = r["resource"]
            name = f"{res['name']} [{res['uid']}]" if res["name"] != res["uid"] else res["uid"]
            location = res.get("location")
            file_attr = f" file={_attr(location['file'])}" if location else ""
            head = f'<testcase classname={_attr(control_id)} name={_attr(name)} time="0"{file_attr}>'
            detail = (
                f"{r['id']} {r['title']}\nresource: {res['type']} {res['uid']} (scope {res.get('scope')})\n"
                f"requirements ({framework}): {', '.join(r['requirements'].get(framework, []))}\n"
                f"evidence: {evidence_cell(r['evidence'])}"
            )
            body = _body(r, detail)
            cases.append(f"    {head}{body}</testcase>")
        suites.append(
            f'  <testsuite name={_attr(control_id)} tests="{counts["tests"]}" failures="{counts["failures"]}" '
            f'errors="{counts["errors"]}" skipped="{counts["skipped"]}" time="0" '
            f"timestamp={_attr(doc['finished_at'])}>\n"
            f'    <properties><property name="pcicheck.passed" value="{passed}"/></properties>\n'
            + "\n".join(cases)
            + "\n  </testsuite>"
        )
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        f'<testsuites name={_attr("pcicheck " + doc["framework"]["title"])} tests="{totals["tests"]}" '
        f'failures="{totals["failures"]}" errors="{totals["errors"]}" skipped="{totals["skipped"]}" time="0">\n'
    )
    for s in suites:
        out.write(s + "\n")
    out.write("</testsuites>\n")

"""summary.md: a few dozen lines for a pull-request comment or $GITHUB_STEP_SUMMARY.

Every text that comes from the results document goes through pcicheck.inert (markdown, markdown_code):
a name cannot become a link, an image, a heading, HTML, a table break or an @mention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, TextIO

from pcicheck import results_doc
from pcicheck.evaluate.rollup import RequirementOutcome
from pcicheck.inert import markdown, markdown_code

TOP = 10
_SEVERITIES = ("critical", "high", "medium", "low")


def _cell(value: Any) -> str:
    """Table-safe and inert, at most 120 characters of the text."""
    return markdown(value, limit=120)


_OUTCOMES = tuple(o.value for o in RequirementOutcome)


def _views(doc: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """The report's framework and the others asked for, each with its requirements."""
    others = [(a["framework"], a["requirements"]) for a in doc.get("also", [])]
    return [(doc["framework"], doc["requirements"]), *others]


def _outcome_row(fw: Mapping[str, Any], requirements: list[Mapping[str, Any]]) -> str:
    counts = Counter(q["outcome"] for q in requirements)
    label = _cell(fw["title"]) + (f" (retired {_cell(fw['retired'])})" if fw.get("retired") else "")
    return f"| {label} | " + " | ".join(str(counts.get(o, 0)) for o in _OUTCOMES) + " |"


def _unmapped_failures(snap: Mapping[str, Any]) -> int:
    """Failed Checkov records of checks pcicheck does not map (`pcicheck iac` only)."""
    failed = ((snap.get("request") or {}).get("iac") or {}).get("unmapped", {}).get("failed") or {}
    return sum(n for n in failed.values() if isinstance(n, int))


def render_summary(doc: Mapping[str, Any]) -> str:
    s = doc["summary"]
    failed = [r for r in results_doc.results(doc) if r["status"] == "fail"]
    sev = Counter(r["severity"] for r in failed)
    incomplete = s.get("error") or s.get("needs_configuration")
    verdict = "❌ findings" if failed else ("⚠️ incomplete" if incomplete else "✅ no findings")
    snap = doc["snapshot"]
    lines = [
        f"## pcicheck — {_cell(doc['framework']['title'])}: {verdict}",
        "",
        f"Snapshot {_cell(snap['created_at'])}, {_cell(snap['resources'])} resources, "
        f"pcicheck {_cell(doc['tool']['version'])}.",
        "",
        "| pass | fail | error | waived | not applicable |",
        "|---:|---:|---:|---:|---:|",
        f"| {s.get('pass', 0)} | {s.get('fail', 0)} | {s.get('error', 0)} | {s.get('waived', 0)} "
        f"| {s.get('not_applicable', 0)} |",
        "",
        "Failures by severity: " + ", ".join(f"{k} {sev.get(k, 0)}" for k in _SEVERITIES) + ".",
        "",
        "| requirements | " + " | ".join(o.replace("_", " ") for o in _OUTCOMES) + " |",
        "|---|" + "---:|" * len(_OUTCOMES),
        *(_outcome_row(fw, reqs) for fw, reqs in _views(doc)),
    ]
    if failed:
        per_control = Counter((r["severity"], r["control"], r["title"]) for r in failed)
        order = {k: i for i, k in enumerate(_SEVERITIES)}
        top = sorted(per_control.items(), key=lambda kv: (order[kv[0][0]], -kv[1], kv[0][1]))[:TOP]
        lines += ["", "| severity | control | failing resources |", "|---|---|---:|"]
        lines += [f"| {_cell(sv)} | {markdown_code(cid)} {_cell(title)} | {n} |" for (sv, cid, title), n in top]
        if len(per_control) > TOP:
            lines.append(f"\n…and {len(per_control) - TOP} more failing controls in the full report.")
    base = doc.get("baseline")
    if base is not None:
        new = base["new"]
        lines += [
            "",
            f"**Since the baseline:** {len(new)} new, {len(base['fixed'])} fixed, "
            f"{len(base['unchanged'])} unchanged findings (the gate judges only new ones).",
        ]
        if new:
            lines += ["", "| new | control | resource | evidence id |", "|---|---|---|---|"]
            lines += [
                f"| {_cell(f['severity'])} | {markdown_code(f['control'])} | {_cell(f['resource'])} "
                f"| {_cell(f['id'])} |"
                for f in new[:TOP]
            ]
    failing_reqs = [q["id"] for q in doc["requirements"] if q["outcome"] == "not_in_place" and "." not in q["id"]]
    if failing_reqs:
        named = ", ".join(_cell(q) for q in failing_reqs)
        lines += ["", f"Requirements not in place: {named} (and the requirements below them)."]
    if doc["errors"]:
        lines += ["", f"{len(doc['errors'])} collection errors: what depends on them is `error`, not `pass`."]
    waiting = sorted({r["control"] for r in doc["results"] if r["status"] == "needs_configuration"})
    if waiting:
        named = ", ".join(markdown_code(c) for c in waiting)
        lines += [
            "",
            f"{s.get('needs_configuration', 0)} results need configuration: {named} wait for params only the "
            "site can set (see `pcicheck.yaml`); not judged, and the scan is incomplete until they are set.",
        ]
    connected = results_doc.connected_to(doc)
    if connected:
        untagged = sum(not c.get("scope_tagged") for c in connected)
        lines += [
            "",
            f"{len(connected)} systems outside the CDE are connected to it (in scope, judged by the CDE "
            f"controls); {untagged} carry no scope tag.",
        ]
    unmapped = _unmapped_failures(snap)
    if unmapped:
        lines += [
            "",
            f"{unmapped} failure{'s' if unmapped != 1 else ''} of Checkov checks with no PCI DSS mapping, not judged "
            "against a requirement: listed in results.json (`snapshot.request.iac.unmapped.findings`) and index.html.",
        ]
    return "\n".join(lines) + "\n"


def write_summary(doc: Mapping[str, Any], out: TextIO) -> None:
    out.write(render_summary(doc))

"""SARIF 2.1.0 from the results document, shaped for GitHub code scanning.

Only what needs attention becomes a SARIF result: failures, errors (could not be evaluated) and
waived findings (as suppressed). A control waiting for a site param (needs_configuration) is a problem
of the tool's configuration, not of any resource: one toolConfigurationNotification per control (SARIF
2.1.0 3.20.22), and the run is not a successful execution, as with errors. GitHub rejects a whole file
if any result lacks a physical location, so every result has one: the manifest file and line a
Kubernetes object came from, else the control's own YAML file (a live AWS or cluster finding has no
source file). GitHub also reads only 25,000 results per run, so larger sets are cut by severity and the
cut is stated in the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

from pcicheck import __version__, results_doc

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000
INFORMATION_URI = "https://github.com/pcicheck/pcicheck"

# GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_STATUS_RANK = {"fail": 0, "error": 1, "waived": 2}


def _rule(control: dict[str, Any], framework: str) -> dict[str, Any]:
    requirements = control["requirements"]
    mapping = "; ".join(f"{fw}: {', '.join(ids)}" for fw, ids in sorted(requirements.items()))
    tags = ["security", "pci-dss", control["domain"]]
    tags += [f"{framework}/{rid}" for rid in requirements.get(framework, [])]
    return {
        "id": control["id"],
        "name": "".join(part.title() for part in control["id"].split("-")),
        "shortDescription": {"text": control["title"]},
        "fullDescription": {"text": control["rationale"]},
        "help": {
            "text": f"{control['remediation']}\n\nPCI DSS: {mapping}",
            "markdown": f"**Remediation.** {control['remediation']}\n\n**PCI DSS.** {mapping}\n\n"
            f"Defined in `{control['source']}`.",
        },
        "defaultConfiguration": {"level": LEVEL[control["severity"]]},
        "properties": {
            "tags": tags[:20],
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[control["severity"]],
            "pcicheck/severity": control["severity"],
        },
    }


def _location(result: dict[str, Any], control: dict[str, Any]) -> dict[str, Any]:
    where = result["resource"].get("location")
    if where:
        uri, line = str(where["file"]), int(where["line"])
    else:
        uri, _, line_text = control["source"].rpartition(":")
        line = int(line_text) if line_text.isdigit() else 1
    return {
        "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": max(line, 1)}},
        "logicalLocations": [
            {
                "name": str(result["resource"]["name"])[:255],
                "fullyQualifiedName": str(result["resource"]["uid"]),
                "kind": "resource",
            }
        ],
    }


def _message(result: dict[str, Any]) -> str:
    resource = result["resource"]
    # The title leads only when the message does not already say it ("not met: <title>"): GitHub shows
    # the rule's title beside every alert.
    title = "" if str(result["title"]) in str(result["message"]) else f"{result['title']}: "
    text = f"{title}{resource['name']} ({resource['type']}, {resource['uid']}) — {result['message']}"
    if result["status"] == "error":
        text = "Could not be evaluated, so not proven: " + text
    return text


# The waiver record's fields (pcicheck.waivers.Waiver.record) a suppression carries in its property bag.
_WAIVER_PROPERTIES = {
    "id": "waiverId",
    "kind": "waiverKind",
    "approved_by": "approvedBy",
    "ticket": "ticket",
    "created": "created",
    "expires": "expires",
    "owner": "owner",
    "compensating_control": "compensatingControl",
}


def _suppression(result: Mapping[str, Any]) -> dict[str, Any]:
    """A waived result's suppression (SARIF 2.1.0 3.35). The waiver lives outside the scanned files
    (kind "external") and was approved (status "accepted"); its justification is the waiver's own.
    SARIF has no field for who approved it or whether it is an exception (accepted risk) or a PCI DSS
    compensating control, so those go in the suppression's property bag, with the ticket and dates."""
    waiver = result.get("waiver") or {}
    properties = {name: waiver[key] for key, name in _WAIVER_PROPERTIES.items() if waiver.get(key) is not None}
    properties.setdefault("waiverKind", "exception")  # a waiver without a kind is one (waivers.KINDS)
    justification = waiver.get("justification") or result["message"]
    return {"kind": "external", "status": "accepted", "justification": str(justification), "properties": properties}


def sarif_document(doc: Mapping[str, Any], *, category: str | None = None) -> dict[str, Any]:
    """The SARIF log for one results document (one run)."""
    framework = doc["framework"]["id"]
    controls = {c["id"]: c for c in doc["controls"]}
    ordered = sorted(controls)
    index = {cid: i for i, cid in enumerate(ordered)}
    flagged = []
    unconfigured: dict[str, tuple[str, int]] = {}
    for r in results_doc.results(doc):
        if r["status"] in _STATUS_RANK:
            flagged.append(r)
        elif r["status"] == "needs_configuration":
            message, count = unconfigured.get(r["control"], (str(r["message"]), 0))
            unconfigured[r["control"]] = (message, count + 1)
    flagged.sort(key=lambda r: (_STATUS_RANK[r["status"]], _RANK[r["severity"]], r["control"], r["resource"]["uid"]))
    kept = flagged[:MAX_RESULTS]
    results = []
    for r in kept:
        control = controls[r["control"]]
        item: dict[str, Any] = {
            "ruleId": r["control"],
            "ruleIndex": index[r["control"]],
            "level": LEVEL[r["severity"]] if r["status"] != "error" else "warning",
            "message": {"text": _message(r)},
            "locations": [_location(r, control)],
            # The evidence id is a pure function of control and resource: alerts keep their identity.
            "partialFingerprints": {"pcicheck/evidenceId": r["id"]},
            "properties": {
                "evidenceId": r["id"],
                "status": r["status"],
                "scope": r["resource"].get("scope"),
                "requirements": r["requirements"].get(framework, []),
            },
        }
        if r["status"] == "waived":
            item["suppressions"] = [_suppression(r)]
        results.append(item)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pcicheck",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(controls[cid], framework) for cid in ordered],
            }
        },
        "automationDetails": {"id": f"{category or 'pcicheck/' + framework}/{doc['finished_at']}"},
        "invocations": [
            {
                "executionSuccessful": not doc["errors"] and not unconfigured,
                "startTimeUtc": doc["started_at"],
                "endTimeUtc": doc["finished_at"],
                "toolExecutionNotifications": [
                    {
                        "level": "warning",
                        "message": {
                            "text": f"could not read {e['service']}:{e['operation']} in {e.get('region') or 'global'}"
                            f" ({e['code']}): results that depend on it are errors, not passes"
                        },
                    }
                    for e in doc["errors"]
                ],
            }
        ],
        "results": results,
        "properties": {
            "framework": framework,
            "summary": doc["summary"],
            "catalogDigest": doc["tool"]["catalog_digest"],
            "omittedResults": len(flagged) - len(kept),
        },
    }
    if unconfigured:
        run["invocations"][0]["toolConfigurationNotifications"] = [
            {
                "level": "warning",
                "message": {"text": f"{cid}: {message} ({count} resources not judged)"},
                "associatedRule": {"id": cid, "index": index[cid]},
            }
            for cid, (message, count) in sorted(unconfigured.items())
        ]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def write_sarif(doc: Mapping[str, Any], out: TextIO) -> None:
    """The SARIF log as a file: compact JSON (a tenth of a large log was indentation; GitHub, the SARIF
    viewers and `jq .` read it as well), UTF-8 kept as is."""
    out.write(json.dumps(sarif_document(doc), separators=(",", ":"), ensure_ascii=False) + "\n")

"""OCSF 1.5.0 Compliance Finding events (class_uid 2003, category Findings) from the results document.

One event per result that is a finding (pcicheck.report.finding_parts: every status but not_applicable,
passes included, since a compliance finding carries Pass as well as Fail). The file is a JSON array
of events, as Prowler's `json-ocsf` output is; a data lake loader (Security Lake custom source, a SIEM)
takes the elements. The shape is the one py-ocsf-models (maintained by Prowler) models for OCSF 1.5.0,
which the tests validate every event against.

- finding_info.uid is pcicheck's evidence id, so an event traces back to its result and the pack;
  metadata.event_code is the control id.
- compliance.status_id: pass → Pass, fail and waived → Fail, error and needs_configuration → Warning
  ("did not yield a result due to missing information"); the finding's status_id is Suppressed for a
  waived result (the waiver sits in `unmapped`), New otherwise.
- severity: the control's for what needs attention, Informational for a pass (as Security Hub scores
  passed controls); the control's own severity stays on compliance.checks[0].
- Untrusted text (names, tags, messages) is only ever a JSON string value, and every string goes
  through pcicheck.redact once more: these events leave for other systems.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from pcicheck import __version__
from pcicheck.report.finding_parts import (
    Outbound,
    findings,
    framework_titles,
    qualified_requirements,
    scan_time,
    standards,
    write_json_array,
)

OCSF_VERSION = "1.5.0"
CLASS_UID = 2003  # Compliance Finding
CATEGORY_UID = 2  # Findings
ACTIVITY_CREATE = 1
SEVERITY_ID = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
COMPLIANCE_STATUS = {  # pcicheck status → compliance status_id (OCSF compliance.status_id)
    "pass": 1,
    "fail": 3,
    "waived": 3,
    "error": 2,
    "needs_configuration": 2,
}
_COMPLIANCE_CAPTION = {1: "Pass", 2: "Warning", 3: "Fail", 0: "Unknown"}
_FINDING_STATUS = {"waived": (3, "Suppressed")}  # finding status_id; New (1) otherwise


def _resource(resource: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(resource["type"])
    out: dict[str, Any] = {
        "uid": str(resource["uid"]),
        "name": str(resource["name"]),
        "type": kind,
        "data": {
            key: resource[key]
            for key in ("account", "scope", "scope_reason", "tenant", "source")
            if resource.get(key) not in (None, "", [])
        },
    }
    labels = [f"{k}={v}" for k, v in sorted(dict(resource.get("tags") or {}).items())]
    if labels:
        out["labels"] = labels
    region = str(resource.get("region") or "")
    if kind.startswith("aws.") and region:
        out["region"] = region
        uid = out["uid"]
        if uid.startswith("arn:"):
            out["cloud_partition"] = uid.split(":")[1]
    elif kind.startswith("k8s.") and region:
        out["namespace"] = region  # a Kubernetes resource's "region" is its namespace
    return out


def ocsf_event(
    result: Mapping[str, Any],
    resource: Mapping[str, Any],
    *,
    time_ms: int,
    titles: Mapping[str, str],
    remediation: str | None = None,
) -> dict[str, Any]:
    """One Compliance Finding for one result (before the redaction every event gets on its way out)."""
    status = str(result["status"])
    compliance_id = COMPLIANCE_STATUS.get(status, 0)
    control_severity = str(result["severity"])
    severity = "informational" if status == "pass" else control_severity
    finding_status, finding_caption = _FINDING_STATUS.get(status, (1, "New"))
    frameworks = standards(result, titles)
    unmapped: dict[str, Any] = {"status": status, "domain": result["domain"], "evidence": result.get("evidence") or {}}
    if result.get("waiver"):
        unmapped["waiver"] = result["waiver"]
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": time_ms,
        "severity_id": SEVERITY_ID.get(severity, 0),
        "severity": severity.title(),
        "status_id": finding_status,
        "status": finding_caption,
        "status_code": status,
        "status_detail": str(result["message"]),
        "message": f"{result['title']}: {resource['name']} — {result['message']}",
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "pcicheck", "vendor_name": "pcicheck", "version": __version__},
            "event_code": str(result["control"]),
            "uid": str(result["id"]),
        },
        "finding_info": {
            "uid": str(result["id"]),
            "title": str(result["title"]),
            "desc": str(result["message"]),
            "created_time": time_ms,
            "types": ["Industry and Regulatory Standards/PCI-DSS"],
            "analytic": {"uid": str(result["control"]), "name": str(result["control"]), "type_id": 1, "type": "Rule"},
        },
        "compliance": {
            "standards": frameworks,
            "requirements": qualified_requirements(result, titles),
            "control": str(result["control"]),
            "status_id": compliance_id,
            "checks": [
                {
                    "uid": str(result["control"]),
                    "name": str(result["title"]),
                    "standards": frameworks,
                    "severity": control_severity,
                    "severity_id": SEVERITY_ID.get(control_severity, 0),
                    "status": _COMPLIANCE_CAPTION[compliance_id],
                    "status_id": compliance_id,
                }
            ],
        },
        "resources": [_resource(resource)],
        "unmapped": {"pcicheck": unmapped},
    }
    if remediation and status != "pass":
        event["remediation"] = {"desc": remediation}
    return event


def iter_ocsf_events(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every finding of the document as an OCSF Compliance Finding, in the document's order, one at a
    time (a large document's events are written as they are made, never all held at once)."""
    time_ms = int(scan_time(doc).timestamp() * 1000)
    titles = framework_titles(doc)
    remediation = {str(c["id"]): str(c["remediation"]) for c in doc["controls"]}
    clean = Outbound()
    return (
        clean(ocsf_event(r, res, time_ms=time_ms, titles=titles, remediation=remediation.get(str(r["control"]))))
        for r, res in findings(doc)
    )


def ocsf_events(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(iter_ocsf_events(doc))


def write_ocsf(doc: Mapping[str, Any], out: TextIO) -> None:
    write_json_array(iter_ocsf_events(doc), out)

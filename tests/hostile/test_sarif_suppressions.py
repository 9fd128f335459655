"""SARIF suppressions (issue 14, class 14): a waived result's suppression said "waived" whatever the
waiver said. Now it carries the waiver's justification, and in its property bag the kind (an exception,
accepted risk, or a PCI DSS compensating control), who approved it, the ticket and the dates (SARIF
2.1.0 3.35 has no field of its own for those). The log stays valid against the SARIF 2.1.0 schema."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema

from pcicheck import results_doc
from pcicheck.cli import main
from tests.support.hostile_text import TERMINAL_ATTACK, quoted

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "support" / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)
ESTATE = """apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pci-scope: cde
---
apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: payments
spec:
  containers:
    - name: agent
      image: registry.example.com/agent:1
      securityContext:
        privileged: true
"""


def _waivers(path: Path) -> Path:
    today = dt.date.today()
    path.write_text(
        f"""waivers:
  - id: EXC-1
    control: k8s-workload-no-privileged
    resource: {{match: "*agent*"}}
    justification: {quoted("the node agent needs host access; isolated node pool" + TERMINAL_ATTACK)}
    approved_by: Head of Risk, Jane Roe
    ticket: RISK-12
    created: {today - dt.timedelta(days=1)}
    expires: {today + dt.timedelta(days=90)}
  - id: CCW-1
    kind: compensating-control
    control: k8s-workload-no-privilege-escalation
    resource: {{match: "*agent*"}}
    justification: the agent image cannot drop the capability
    approved_by: QSA, John Doe
    ticket: RISK-20
    created: {today - dt.timedelta(days=1)}
    expires: {today + dt.timedelta(days=90)}
    compensating_control: seccomp profile denying setuid, audited monthly
    worksheet:
      constraints: the vendor image sets allowPrivilegeEscalation
      objective: no process gains more privileges than its parent
      identified_risk: a compromised agent escalates to root
      definition: a seccomp profile denies setuid and setgid
      validation: the assessor reviewed the profile and its audit log
      maintenance: reviewed monthly by the platform team
""",
        encoding="utf-8",
    )
    return path


def test_suppressions_carry_the_waiver(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "pod.yaml").write_text(ESTATE, encoding="utf-8")
    waivers = _waivers(tmp_path / "waivers.yaml")
    out = tmp_path / "out"
    sarif = tmp_path / "results.sarif"
    argv = ["--waivers", str(waivers), "--out", str(out), "--format", "sarif", "--output", str(sarif), "-q"]
    main(["scan", "--manifests", str(tmp_path / "m"), *argv])
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    waived = {r["control"]: r["waiver"] for r in results_doc.results(doc) if r["status"] == "waived"}
    assert waived["k8s-workload-no-privileged"]["justification"].startswith("the node agent needs host access")
    assert waived["k8s-workload-no-privilege-escalation"]["kind"] == "compensating-control"

    log = json.loads(sarif.read_text(encoding="utf-8"))
    jsonschema.validate(log, SCHEMA)
    suppressed = {r["ruleId"]: r["suppressions"] for r in log["runs"][0]["results"] if r.get("suppressions")}
    assert set(suppressed) == set(waived)

    (exception,) = suppressed["k8s-workload-no-privileged"]
    assert exception["kind"] == "external" and exception["status"] == "accepted"
    assert exception["justification"] == waived["k8s-workload-no-privileged"]["justification"] != "waived"
    assert exception["properties"] == {
        "waiverId": "EXC-1",
        "waiverKind": "exception",
        "approvedBy": "Head of Risk, Jane Roe",
        "ticket": "RISK-12",
        "created": waived["k8s-workload-no-privileged"]["created"],
        "expires": waived["k8s-workload-no-privileged"]["expires"],
    }

    (compensating,) = suppressed["k8s-workload-no-privilege-escalation"]
    assert compensating["justification"] == "the agent image cannot drop the capability"
    assert compensating["properties"]["waiverKind"] == "compensating-control"
    assert compensating["properties"]["approvedBy"] == "QSA, John Doe"
    assert compensating["properties"]["compensatingControl"] == "seccomp profile denying setuid, audited monthly"
    # JSON escapes the control characters itself: the SARIF file holds none raw.
    assert "\x1b" not in sarif.read_text(encoding="utf-8")

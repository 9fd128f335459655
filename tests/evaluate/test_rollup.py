"""The outcome rules on hand-built cases: what a requirement claims is what its testing procedures'
evidence shows, never more."""

from __future__ import annotations

import dataclasses

from pcicheck.evaluate.rollup import ProcedureOutcome, RequirementOutcome, RequirementStatus, roll_up
from pcicheck.model import Control, Framework, Requirement, Result, Severity, Status, TestingProcedure

FW = "pci-dss-4.0.1"


def procedure(pid: str, rid: str, *methods: str) -> TestingProcedure:
    return TestingProcedure(pid, rid, methods, f"checks {pid}")


def framework() -> Framework:
    """1 (heading) → 1.1 (documentation + configuration) and 1.2 (configuration only), 1.3 (no control)."""
    reqs = {
        "1": Requirement("1", "Network", False, None, ("1.1", "1.2", "1.3")),
        "1.1": Requirement(
            "1.1",
            "Allowed ports are approved",
            False,
            "1",
            (),
            (procedure("1.1.a", "1.1", "documentation"), procedure("1.1.b", "1.1", "configuration")),
        ),
        "1.2": Requirement(
            "1.2", "Databases are not public", False, "1", (), (procedure("1.2", "1.2", "configuration"),)
        ),
        "1.3": Requirement("1.3", "Diagrams are current", True, "1", (), (procedure("1.3", "1.3", "documentation"),)),
    }
    procs = {p.id: p for r in reqs.values() for p in r.procedures}
    return Framework(FW, "PCI DSS v4.0.1", "4.0.1", reqs, procedures=procs)


def control(cid: str, *procedures: str, resource: str = "aws.rds.instance") -> Control:
    return Control(
        cid,
        cid,
        "segmentation",
        Severity.HIGH,
        resource,
        "all",
        "true",
        "true",
        {},
        {FW: procedures},
        "",
        "",
        (),
        (),
        "",
    )


def result(c: Control, status: Status, uid: str = "db-1", message: str = "", **extra: object) -> Result:
    return Result(c, {"uid": uid, "type": c.resource, "name": uid}, status, message, {}, **extra)  # type: ignore[arg-type]


def assess(controls: list[Control], results: list[Result]) -> dict[str, RequirementStatus]:
    return {q.id: q for q in roll_up(framework(), controls, results, "AWS account 111 (regions eu-west-2)")}


def test_one_narrow_passing_control_never_makes_a_requirement_in_place() -> None:
    """1.1.b passes, but 1.1.a asks for documents: the automated part holds, the rest is the assessor's."""
    ports = control("ports", "1.1.b")
    out = assess([ports], [result(ports, Status.PASS)])
    q = out["1.1"]
    assert q.outcome == RequirementOutcome.AUTOMATED_CHECKS_PASS
    assert [p.outcome for p in q.procedures] == [ProcedureOutcome.NOT_EVIDENCED, ProcedureOutcome.SUPPORTED]
    assert out["1"].outcome == RequirementOutcome.AUTOMATED_CHECKS_PASS  # 1.3 is the assessor's


def test_in_place_automated_needs_every_procedure_automatable_and_supported() -> None:
    public = control("public", "1.2")
    out = assess([public], [result(public, Status.PASS), result(public, Status.NOT_APPLICABLE, "db-2")])
    assert out["1.2"].outcome == RequirementOutcome.IN_PLACE_AUTOMATED
    assert out["1.2"].procedures[0].counts == {"pass": 1, "not_applicable": 1}


def test_an_error_is_never_supported() -> None:
    public = control("public", "1.2")
    out = assess([public], [result(public, Status.PASS), result(public, Status.ERROR, "db-2")])
    assert out["1.2"].procedures[0].outcome == ProcedureOutcome.INCOMPLETE
    assert out["1.2"].outcome == out["1"].outcome == RequirementOutcome.INCOMPLETE


def test_a_failure_is_not_in_place_and_outranks_an_error_above() -> None:
    public, ports = control("public", "1.2"), control("ports", "1.1.b")
    out = assess([public, ports], [result(public, Status.FAIL), result(ports, Status.ERROR)])
    assert out["1.2"].outcome == RequirementOutcome.NOT_IN_PLACE
    assert out["1.1"].outcome == RequirementOutcome.INCOMPLETE
    assert out["1"].outcome == RequirementOutcome.NOT_IN_PLACE


def test_a_waived_failure_is_accepted_risk_not_in_place() -> None:
    public = control("public", "1.2")
    waived = result(public, Status.WAIVED, waiver={"id": "W-7"})
    proc = assess([public], [waived])["1.2"].procedures[0]
    assert proc.outcome == ProcedureOutcome.NOT_IN_PLACE
    assert "W-7" in proc.reason and "not in place" in proc.reason


def test_not_applicable_always_says_why_and_where() -> None:
    """No resource of the type where the scan looked, or none in the control's scope: both say so."""
    public = control("public", "1.2", resource="aws.opensearch.domain")
    absent = assess([public], [])["1.2"]
    assert absent.outcome == RequirementOutcome.NOT_APPLICABLE
    assert absent.reason == (
        "no aws.opensearch.domain resources in AWS account 111 (regions eu-west-2); "
        "the assessor confirms none exist elsewhere"
    )
    out_of_scope = assess([public], [result(public, Status.NOT_APPLICABLE, message="out of scope: not in the CDE")])
    assert (
        "1 aws.opensearch.domain examined, none in its scope (out of scope: not in the CDE)"
        in out_of_scope["1.2"].reason
    )
    # Every not-applicable verdict carries its reason, down to the procedure.
    for q in [absent, out_of_scope["1.2"]]:
        assert all(p.reason for p in q.procedures if p.outcome == ProcedureOutcome.NOT_APPLICABLE)


def test_no_control_is_manual_and_a_control_left_out_evidences_nothing() -> None:
    out = assess([], [])
    assert {q.outcome for q in out.values()} == {RequirementOutcome.MANUAL}
    assert out["1.3"].procedures[0].outcome == ProcedureOutcome.NOT_EVIDENCED


def test_a_compensating_control_reads_in_place_with_it_never_as_automated() -> None:
    public = control("public", "1.2")
    covered = result(public, Status.WAIVED, waiver={"id": "CCW-1", "kind": "compensating-control"})
    out = assess([public], [covered, result(public, Status.PASS, "db-2")])
    proc = out["1.2"].procedures[0]
    assert proc.outcome == ProcedureOutcome.COMPENSATING_CONTROL and "CCW-1" in proc.reason
    assert out["1.2"].outcome == out["1"].outcome == RequirementOutcome.COMPENSATING_CONTROL
    # An exception on the same failure is accepted risk: not in place, whatever else passes.
    excepted = result(public, Status.WAIVED, waiver={"id": "W-1", "kind": "exception"})
    assert assess([public], [excepted])["1.2"].outcome == RequirementOutcome.NOT_IN_PLACE


def test_a_tenant_control_that_saw_no_tenant_leaves_a_multi_tenant_estate_unevidenced_not_na() -> None:
    """No tenant-tagged database does not make tenant separation not applicable when the estate has tenants."""
    isolated = dataclasses.replace(control("isolated", "1.2"), scope="tenant")
    skipped = [result(isolated, Status.NOT_APPLICABLE, uid, "out of scope: no tenant") for uid in ("db-1", "db-2")]
    alone = roll_up(framework(), [isolated], skipped, "AWS account 111 (regions eu-west-2)")
    assert {q.id: q for q in alone}["1.2"].outcome == RequirementOutcome.NOT_APPLICABLE  # truly single-tenant
    shared = {q.id: q for q in roll_up(framework(), [isolated], skipped, "AWS account 111", ["globex", "acme"])}
    (p,) = shared["1.2"].procedures
    assert p.outcome == ProcedureOutcome.NOT_EVIDENCED
    assert p.reason.startswith("the estate has tenants (acme, globex), but none of the 2 aws.rds.instance examined")
    assert shared["1.2"].outcome == RequirementOutcome.MANUAL and not shared["1.2"].reason

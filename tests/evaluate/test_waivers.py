"""Waiver files: every mistake is one error naming file and line; matching by uid, glob and tags;
in force, expired, stale and not yet in force, judged at the snapshot's date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pcicheck.errors import InputError
from pcicheck.evaluate.waiving import apply_waivers, check_controls
from pcicheck.model import Control, Result, Severity, Status
from pcicheck.waivers import load_waivers

GOOD = """\
waivers:
  - id: W-1
    control: k8s-workload-no-privileged
    resource: {uid: "k8s://c/ops/DaemonSet/agent"}
    justification: the node agent needs it; isolated node pool
    approved_by: Head of Risk, Jane Roe
    ticket: RISK-12
    created: 2026-11-01
    expires: 2027-02-01
    compensating_control: dedicated node group with no CDE pods
  - id: W-2
    control: "aws-s3-*"
    resource: {match: "arn:aws:s3:::legacy-*"}
    justification: decommissioned in Q1
    approved_by: CISO
    ticket: RISK-13
    created: 2026-11-01
    expires: 2026-12-01
  - id: W-3
    control: aws-ec2-volume-encrypted
    resource: {tags: {team: batch}}
    justification: scratch volumes, no card data
    approved_by: CISO
    ticket: RISK-14
    created: 2026-11-20
    expires: 2027-01-01
"""


def control(cid: str) -> Control:
    return Control(
        cid, cid, "configuration", Severity.HIGH, "aws.x", "all", "true", "true", {}, {}, "r", "m", (), (), "p"
    )


def result(
    cid: str, uid: str, name: str = "", tags: dict[str, str] | None = None, status: Status = Status.FAIL
) -> Result:
    resource = {"uid": uid, "name": name or uid, "tags": tags or {}}
    return Result(control(cid), resource, status, "not met", {})


def test_apply_in_force_expired_stale(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(GOOD)
    waivers = load_waivers(path)
    results = [
        result("k8s-workload-no-privileged", "k8s://c/ops/DaemonSet/agent"),
        result("k8s-workload-no-privileged", "k8s://c/ops/DaemonSet/other"),
        result("aws-s3-bucket-public-access-block", "arn:aws:s3:::legacy-logs"),
        result("aws-ec2-volume-encrypted", "vol-1", tags={"team": "batch"}, status=Status.ERROR),
    ]
    out, outcomes = apply_waivers(results, waivers, dt.date(2026, 12, 15))
    assert [r.status for r in out] == [Status.WAIVED, Status.FAIL, Status.FAIL, Status.ERROR]
    assert out[0].waiver is not None and out[0].waiver["compensating_control"].startswith("dedicated")
    assert out[0].message.startswith("waived by W-1")
    assert "waiver not in force: W-2 (expired 2026-12-01)" in out[2].message
    assert {o.waiver.id: o.status for o in outcomes} == {"W-1": "applied", "W-2": "expired", "W-3": "stale"}
    # An error is never waived: what could not be judged is not an accepted risk (W-3 stays stale).
    _, early = apply_waivers(results, waivers, dt.date(2026, 11, 10))
    assert {o.waiver.id: o.status for o in early}["W-3"] == "not_yet"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("    ticket: RISK-12\n", ""), "w.yaml:2: waiver is missing ticket"),
        (GOOD.replace("expires: 2027-02-01", "expires: next year"), "w.yaml:9: waiver 'expires' is not a date"),
        (GOOD.replace("expires: 2027-02-01", "expires: 2028-02-01"), "w.yaml:9: waiver runs 457 days; at most 366"),
        (GOOD.replace("expires: 2027-02-01", "expires: 2026-10-01"), "w.yaml:9: waiver expires before it is created"),
        (GOOD.replace("id: W-2", "id: W-1"), "w.yaml:11: waiver id 'W-1' is used twice"),
        (
            GOOD.replace('resource: {uid: "k8s://c/ops/DaemonSet/agent"}', "resource: {uid: a, match: b}"),
            "w.yaml:4: waiver 'resource' must have exactly one of uid, match",
        ),
        (
            GOOD.replace("approved_by: Head of Risk, Jane Roe", "approved_by: ''"),
            "w.yaml:6: waiver 'approved_by' must be",
        ),
        (
            GOOD.replace("    ticket: RISK-12\n", "    ticket: RISK-12\n    approver: x\n"),
            "w.yaml:8: waiver has an unknown field 'approver'",
        ),
        ("exceptions: []\n", "w.yaml:1: a waivers file has one key, 'waivers'"),
    ],
)
def test_bad_waiver_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_waivers(path)
    assert message in str(info.value)


def test_unknown_control_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(GOOD)
    with pytest.raises(InputError, match=r"w.yaml:2: waiver 'W-1' names no known control"):
        check_controls(load_waivers(path), {"aws-s3-bucket-public-access-block", "aws-ec2-volume-encrypted"})


COMPENSATING = """\
waivers:
  - id: CCW-1
    kind: compensating-control
    control: aws-ec2-volume-encrypted
    resource: {uid: "vol-legacy"}
    justification: the legacy appliance cannot boot from an encrypted volume
    approved_by: Head of Risk, Jane Roe
    ticket: RISK-20
    created: 2026-11-01
    expires: 2027-02-01
    worksheet:
      constraints: the vendor appliance image does not support encrypted root volumes
      objective: stored card data is unreadable to anyone who obtains the storage
      identified_risk: a copied snapshot of the volume exposes card data in clear
      definition: the appliance encrypts its database files with its own AES-256 keys held in an HSM
      validation: the assessor examined the appliance configuration and a raw disk image (WP-14)
      maintenance: quarterly review of the appliance encryption settings by the platform team
"""


def test_a_compensating_control_needs_its_whole_worksheet(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(COMPENSATING)
    (waiver,) = load_waivers(path)
    assert waiver.compensating and waiver.worksheet and waiver.worksheet["identified_risk"].startswith("a copied")
    for broken, message in [
        (
            COMPENSATING.replace(
                "      maintenance: quarterly review of the appliance encryption settings by the platform team\n", ""
            ),
            ":12: the worksheet is missing maintenance",
        ),
        (
            COMPENSATING.replace("    kind: compensating-control\n", ""),
            ":10: a worksheet belongs to a compensating control",
        ),
        (
            COMPENSATING.replace("compensating-control", "gentle-reminder"),
            ":3: waiver kind 'gentle-reminder' is not one of",
        ),
        (
            COMPENSATING.split("    worksheet:")[0],
            ":2: a compensating control needs its worksheet (PCI DSS Appendix C)",
        ),
    ]:
        path.write_text(broken)
        with pytest.raises(InputError) as info:
            load_waivers(path)
        assert message in str(info.value), str(info.value)


def test_compensated_results_read_in_place_with_the_control_and_exceptions_do_not(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(COMPENSATING)
    waivers = load_waivers(path)
    today = dt.date(2026, 12, 1)
    (compensated,), _ = apply_waivers([result("aws-ec2-volume-encrypted", "vol-legacy")], waivers, today)
    assert compensated.status == Status.WAIVED
    assert compensated.message == "in place with compensating control CCW-1: not met"
    assert compensated.waiver and compensated.waiver["kind"] == "compensating-control"
    assert compensated.waiver["worksheet"]["definition"].startswith("the appliance encrypts")
    exception = waivers[0].__class__(**{**waivers[0].__dict__, "kind": "exception", "worksheet": None})
    (excepted,), _ = apply_waivers([result("aws-ec2-volume-encrypted", "vol-legacy")], (exception,), today)
    assert excepted.message.startswith("waived by CCW-1 (an exception: accepted risk, not in place)")

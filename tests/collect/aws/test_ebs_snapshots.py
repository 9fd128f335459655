"""EBS snapshot collector against the moto server: an encrypted private snapshot, a plain public one,
other owners' public snapshots left out, and a refused attribute read leaving sharing unknown."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.ebs_snapshots import SHARING, SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def _snapshot(ec2: Any, encrypted: bool, **kwargs: Any) -> str:
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=encrypted)["VolumeId"]
    return str(ec2.create_snapshot(VolumeId=volume, **kwargs)["SnapshotId"])


def test_ebs_snapshots(client: Any, run_service: Any) -> None:
    ec2 = client("ec2", REGION)
    sealed = _snapshot(
        ec2,
        True,
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "pci-scope", "Value": "cde"}]}],
    )
    shared = _snapshot(ec2, False)
    ec2.modify_snapshot_attribute(
        SnapshotId=shared, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    ec2.modify_snapshot_attribute(
        SnapshotId=shared, Attribute="createVolumePermission", OperationType="add", UserIds=["111122223333"]
    )
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    # moto also serves thousands of public AMI snapshots of other owners; only the account's count.
    by_id = {r.attributes["snapshot_id"]: r for r in resources}
    assert set(by_id) == {sealed, shared}
    card = by_id[sealed]
    assert card.uid == f"arn:aws:ec2:{REGION}::snapshot/{sealed}"
    assert card.tags == {"pci-scope": "cde"}
    assert set(card.attributes) == set(resource_types()["aws.ec2.snapshot"].attributes)
    assert violations(card) == []  # kinds and nullability as declared
    assert (card.attributes["encrypted"], card.attributes["public"], card.attributes["shared_with_accounts"]) == (
        True,
        False,
        [],
    )
    plain = by_id[shared].attributes
    assert (plain["encrypted"], plain["public"], plain["shared_with_accounts"]) == (False, True, ["111122223333"])
    assert card.source == ("ec2:DescribeSnapshotAttribute", "ec2:DescribeSnapshots")
    assert set(calls) == set(SPEC.permissions)


def test_ebs_snapshot_attribute_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    sid = _snapshot(client("ec2"), True)
    [snap], ctx = run_with_hooks(
        aws, SPEC, {"before-parameter-build.ec2.DescribeSnapshotAttribute": deny("DescribeSnapshotAttribute")}
    )
    assert snap.attributes["snapshot_id"] == sid
    assert not set(SHARING) & set(snap.attributes)
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (snap.uid, SHARING)

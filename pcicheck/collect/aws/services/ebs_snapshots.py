"""EBS snapshots the account owns (aws.ec2.snapshot): encryption and who may create volumes from them.

DescribeSnapshots, filtered to the account as owner, carries encryption and tags; one
DescribeSnapshotAttribute (createVolumePermission) per snapshot says whether it is shared with
everyone or with other accounts. A failed attribute read leaves the sharing attributes absent.

A module of its own rather than another spec in ec2.py, so the EC2 specs stay exactly as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ResourceReads,
    ServiceSpec,
    iso,
    tag_map,
)
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.ec2.snapshot",
    "EBS snapshot owned by the scanned account; uid = its ARN",
    snapshot_id="string: snap-…",
    volume_id="string?: vol-… it was taken from",
    state="string?: 'pending'|'completed'|'error'|'recoverable'|'recovering'",
    encrypted="bool",
    kms_key_id="string?: KMS key ARN",
    start_time="timestamp?",
    public="bool: createVolumePermission includes the group 'all'",
    shared_with_accounts="list: sorted ids of the accounts allowed to create volumes from it",
)
SHARING = ("public", "shared_with_accounts")


def collect(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    listing = ctx.action(ec2, "describe_snapshots")
    # Without an owner filter the answer includes every public snapshot in the region (many thousands).
    owned = [{"Name": "owner-id", "Values": [ctx.account]}]
    for snap in ctx.pages(ec2, "describe_snapshots", "Snapshots", Filters=owned):
        if str(snap.get("OwnerId", ctx.account)) != ctx.account:
            continue
        sid = str(snap["SnapshotId"])
        arn = f"arn:{ctx.partition}:ec2:{ctx.region}::snapshot/{sid}"
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        answer = reads.get(
            ec2, "describe_snapshot_attribute", SHARING, SnapshotId=sid, Attribute="createVolumePermission"
        )
        attributes: dict[str, Any] = {
            "snapshot_id": sid,
            "volume_id": snap.get("VolumeId"),
            "state": snap.get("State"),
            # AWS always sends Encrypted; a missing flag is unknown and stays absent.
            "encrypted": snap.get("Encrypted", FAILED),
            "kms_key_id": snap.get("KmsKeyId"),
            "start_time": iso(snap.get("StartTime")),
            "public": FAILED,
            "shared_with_accounts": FAILED,
        }
        if answer is not FAILED:
            permissions = answer.get("CreateVolumePermissions") or []
            attributes["public"] = any(p.get("Group") == "all" for p in permissions)
            attributes["shared_with_accounts"] = sorted(str(p["UserId"]) for p in permissions if p.get("UserId"))
        tags = tag_map(snap.get("Tags"))
        yield reads.resource(sid, attributes, tags)


SPEC = ServiceSpec(
    name="ec2.snapshots",
    client="ec2",
    regional=True,
    types=(TYPE,),
    permissions=("ec2:DescribeSnapshotAttribute", "ec2:DescribeSnapshots"),
    collect=collect,
)

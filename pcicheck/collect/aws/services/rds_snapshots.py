"""RDS DB and cluster snapshots the account owns (aws.rds.snapshot): encryption and restore sharing.

DescribeDBSnapshots and DescribeDBClusterSnapshots carry encryption and tags; the snapshot's
`restore` attribute (DescribeDB[Cluster]SnapshotAttributes) lists who may restore it, 'all' meaning
everyone. AWS cannot share automated snapshots, so only other kinds are asked. A failed attribute
read leaves the sharing attributes absent.

A module of its own rather than another spec in rds.py, so the instance collector stays exactly as it is.
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
    "aws.rds.snapshot",
    "RDS DB or cluster snapshot owned by the scanned account; uid = its ARN",
    snapshot_identifier="string",
    arn="string: snapshot ARN",
    kind="string: 'instance'|'cluster'",
    source_identifier="string?: DB instance or cluster identifier it was taken from",
    snapshot_type="string?: 'manual'|'automated'|'awsbackup'|…",
    engine="string?: e.g. 'postgres', 'aurora-mysql'",
    status="string?: e.g. 'available'",
    encrypted="bool",
    kms_key_id="string?: KMS key ARN; null when not encrypted",
    create_time="timestamp?",
    public="bool: the restore attribute includes 'all'; false for automated snapshots, which AWS cannot share",
    shared_with_accounts="list: sorted ids of the accounts allowed to restore it",
)
SHARING = ("public", "shared_with_accounts")


def _sharing(answer: dict[str, Any], result_key: str, list_key: str) -> dict[str, Any]:
    restore: list[str] = []
    for attribute in (answer.get(result_key) or {}).get(list_key) or ():
        if attribute.get("AttributeName") == "restore":
            restore = [str(v) for v in attribute.get("AttributeValues") or ()]
    return {"public": "all" in restore, "shared_with_accounts": sorted(v for v in restore if v != "all")}


def _snapshots(ctx: CollectContext, kind: str) -> Iterator[Resource]:
    rds = ctx.client()
    cluster = kind == "cluster"
    prefix = "db_cluster" if cluster else "db"
    listing = ctx.action(rds, f"describe_{prefix}_snapshots")
    items_key = "DBClusterSnapshots" if cluster else "DBSnapshots"
    for snap in ctx.pages(rds, f"describe_{prefix}_snapshots", items_key):
        ident = str(snap["DBClusterSnapshotIdentifier" if cluster else "DBSnapshotIdentifier"])
        arn = str(snap.get("DBClusterSnapshotArn" if cluster else "DBSnapshotArn") or "")
        if not arn:
            resource = "cluster-snapshot" if cluster else "snapshot"
            arn = f"arn:{ctx.partition}:rds:{ctx.region}:{ctx.account}:{resource}:{ident}"
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        snapshot_type = snap.get("SnapshotType")
        # Cluster snapshots name the flag StorageEncrypted; a missing flag is unknown and stays absent.
        encrypted = snap.get("StorageEncrypted" if cluster else "Encrypted", FAILED)
        attributes: dict[str, Any] = {
            "snapshot_identifier": ident,
            "arn": arn,
            "kind": kind,
            "source_identifier": snap.get("DBClusterIdentifier" if cluster else "DBInstanceIdentifier"),
            "snapshot_type": snapshot_type,
            "engine": snap.get("Engine"),
            "status": snap.get("Status"),
            "encrypted": encrypted,
            "kms_key_id": snap.get("KmsKeyId") if encrypted else None,
            "create_time": iso(snap.get("SnapshotCreateTime")),
            "public": FAILED,
            "shared_with_accounts": FAILED,
        }
        if snapshot_type == "automated":
            attributes.update(public=False, shared_with_accounts=[])
        elif cluster:
            answer = reads.get(
                rds, "describe_db_cluster_snapshot_attributes", SHARING, DBClusterSnapshotIdentifier=ident
            )
            if answer is not FAILED:
                attributes.update(_sharing(answer, "DBClusterSnapshotAttributesResult", "DBClusterSnapshotAttributes"))
        else:
            answer = reads.get(rds, "describe_db_snapshot_attributes", SHARING, DBSnapshotIdentifier=ident)
            if answer is not FAILED:
                attributes.update(_sharing(answer, "DBSnapshotAttributesResult", "DBSnapshotAttributes"))
        tags = tag_map(snap.get("TagList"))
        yield reads.resource(ident, attributes, tags)


def collect(ctx: CollectContext) -> Iterator[Resource]:
    yield from _snapshots(ctx, "instance")
    yield from _snapshots(ctx, "cluster")


SPEC = ServiceSpec(
    name="rds.snapshots",
    client="rds",
    regional=True,
    types=(TYPE,),
    permissions=(
        "rds:DescribeDBClusterSnapshotAttributes",
        "rds:DescribeDBClusterSnapshots",
        "rds:DescribeDBSnapshotAttributes",
        "rds:DescribeDBSnapshots",
    ),
    collect=collect,
)

"""RDS DB instances: one DescribeDBInstances listing carries every attribute, tags included.

Aurora clusters are not a resource of their own here: each Aurora DB instance carries its
cluster's settings that the controls judge (the master user name among them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ServiceSpec, name_from_tags, tag_map
from pcicheck.model import Resource, resource_type

INSTANCE = resource_type(
    "aws.rds.instance",
    "RDS DB instance",
    db_instance_identifier="string",
    engine="string",
    engine_version="string",
    status="string",
    storage_encrypted="bool",
    kms_key_id="string?: ARN",
    publicly_accessible="bool",
    multi_az="bool",
    backup_retention_days="int",
    auto_minor_version_upgrade="bool",
    iam_auth_enabled="bool",
    deletion_protection="bool",
    vpc_id="string?: vpc-…",
    subnet_ids="list: subnet ids (its DB subnet group)",
    security_groups="list: sg ids",
    port="int?",
    ca_certificate_identifier="string?",
    master_username="string: the master (administrator) user name; for Aurora, the cluster's",
)


def _opt(data: dict[str, Any], key: str) -> Any:
    """A field AWS always sends: missing means unknown, so the attribute stays absent."""
    return data.get(key, FAILED)


def _port(db: dict[str, Any]) -> Any:
    # The endpoint appears only once the instance is created; DbInstancePort is 0 when unset. Without
    # either the port it will answer on is unknown: absent, so reachability is unknown (an error), never
    # "answers on nothing" (a null port, which reads as unreachable).
    port = (db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort")
    return int(port) if port else FAILED


def collect(ctx: CollectContext) -> Iterator[Resource]:
    rds = ctx.client()
    instances = list(ctx.pages(rds, "describe_db_instances", "DBInstances"))
    source = [ctx.action(rds, "describe_db_instances")]
    for db in instances:
        ident = db["DBInstanceIdentifier"]
        tags = tag_map(db.get("TagList"))
        subnet_group = db.get("DBSubnetGroup") or {}
        yield ctx.resource(
            type=INSTANCE.name,
            uid=db["DBInstanceArn"],
            name=name_from_tags(tags, ident),
            tags=tags,
            attributes={
                "db_instance_identifier": ident,
                # Absent stays absent: "" would make engine- and status-bound controls not applicable.
                "engine": _opt(db, "Engine"),
                "engine_version": _opt(db, "EngineVersion"),
                "status": _opt(db, "DBInstanceStatus"),
                "storage_encrypted": _opt(db, "StorageEncrypted"),
                "kms_key_id": db.get("KmsKeyId"),
                "publicly_accessible": _opt(db, "PubliclyAccessible"),
                "multi_az": _opt(db, "MultiAZ"),
                "backup_retention_days": _opt(db, "BackupRetentionPeriod"),
                "auto_minor_version_upgrade": _opt(db, "AutoMinorVersionUpgrade"),
                "iam_auth_enabled": _opt(db, "IAMDatabaseAuthenticationEnabled"),
                "deletion_protection": _opt(db, "DeletionProtection"),
                "vpc_id": subnet_group.get("VpcId") or None,
                "subnet_ids": sorted(
                    s["SubnetIdentifier"] for s in subnet_group.get("Subnets") or () if s.get("SubnetIdentifier")
                ),
                "security_groups": [
                    g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups") or () if g.get("VpcSecurityGroupId")
                ],
                "port": _port(db),
                "ca_certificate_identifier": db.get("CACertificateIdentifier"),
                # A user name, not a credential; Aurora members report their cluster's master user.
                "master_username": _opt(db, "MasterUsername"),
            },
            source=source,
        )


SPEC = ServiceSpec(
    name="rds",
    client="rds",
    regional=True,
    types=(INSTANCE,),
    permissions=("rds:DescribeDBInstances",),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)

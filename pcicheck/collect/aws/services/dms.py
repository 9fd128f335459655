"""DMS replication instances (aws.dms.replication_instance): public accessibility, storage KMS key,
placement (VPC, subnets, security groups) and maintenance settings.

DescribeReplicationInstances carries the configuration; ListTagsForResource per instance the tags.
Flags AWS always sends but that are missing from an answer stay absent (unknown), never false.
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
    "aws.dms.replication_instance",
    "DMS replication instance; uid = its ARN",
    replication_instance_identifier="string?: identifier",
    arn="string?: replication instance ARN",
    status="string?: e.g. 'available'",
    instance_class="string?: e.g. 'dms.t3.medium'",
    publicly_accessible="bool",
    kms_key_id="string?: KMS key id/ARN encrypting its storage (always set by AWS)",
    engine_version="string?",
    multi_az="bool",
    auto_minor_version_upgrade="bool",
    vpc_id="string?: vpc-… of its replication subnet group",
    subnet_ids="list: sorted subnet ids of its replication subnet group",
    security_groups="list: sorted VPC sg ids",
    create_time="timestamp?",
)


def _attributes(instance: dict[str, Any]) -> dict[str, Any]:
    subnet_group = instance.get("ReplicationSubnetGroup") or {}
    return {
        "replication_instance_identifier": instance.get("ReplicationInstanceIdentifier"),
        "arn": instance.get("ReplicationInstanceArn"),
        "status": instance.get("ReplicationInstanceStatus"),
        "instance_class": instance.get("ReplicationInstanceClass"),
        "publicly_accessible": instance.get("PubliclyAccessible", FAILED),
        # DMS always encrypts storage; this is the key it uses (the aws/dms key when none was chosen).
        "kms_key_id": instance.get("KmsKeyId") or None,
        "engine_version": instance.get("EngineVersion"),
        "multi_az": instance.get("MultiAZ", FAILED),
        "auto_minor_version_upgrade": instance.get("AutoMinorVersionUpgrade", FAILED),
        # The subnet group places the instance; scope is inherited through vpc_id.
        "vpc_id": subnet_group.get("VpcId") or None,
        "subnet_ids": sorted(
            str(s["SubnetIdentifier"]) for s in subnet_group.get("Subnets") or () if s.get("SubnetIdentifier")
        ),
        "security_groups": sorted(
            str(g["VpcSecurityGroupId"]) for g in instance.get("VpcSecurityGroups") or () if g.get("VpcSecurityGroupId")
        ),
        "create_time": iso(instance.get("InstanceCreateTime")),
    }


def collect(ctx: CollectContext) -> Iterator[Resource]:
    dms = ctx.client()
    listing = ctx.action(dms, "describe_replication_instances")
    for instance in ctx.pages(dms, "describe_replication_instances", "ReplicationInstances"):
        arn = str(instance["ReplicationInstanceArn"])
        identifier = str(instance.get("ReplicationInstanceIdentifier") or arn.rsplit(":", 1)[-1])
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        tagged = reads.get(dms, "list_tags_for_resource", ("tags",), ResourceArn=arn)
        tags = {} if tagged is FAILED else tag_map(tagged.get("TagList"))
        yield reads.resource(identifier, _attributes(instance), tags)


SPEC = ServiceSpec(
    name="dms",
    client="dms",
    regional=True,
    types=(TYPE,),
    permissions=("dms:DescribeReplicationInstances", "dms:ListTagsForResource"),
    collect=collect,
)

"""Redshift provisioned clusters (aws.redshift.cluster): public accessibility, encryption, audit logging.

DescribeClusters carries placement, encryption and tags; DescribeLoggingStatus per cluster says
whether audit logs are delivered. A failed logging read leaves the logging attributes absent, never
false. Redshift Serverless workgroups are not read.
"""

from __future__ import annotations

from collections.abc import Iterator

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
    "aws.redshift.cluster",
    "Redshift provisioned cluster; uid = its ARN",
    cluster_identifier="string",
    arn="string: cluster ARN",
    cluster_status="string?: e.g. 'available'",
    publicly_accessible="bool",
    encrypted="bool",
    kms_key_id="string?: KMS key ARN",
    vpc_id="string?: vpc-…; null for EC2-Classic",
    create_time="timestamp?",
    logging_enabled="bool: audit logging on",
    log_destination_type="string?: 's3'|'cloudwatch'|'s3table'; null when logging is off",
)
LOGGING = ("logging_enabled", "log_destination_type")


def collect(ctx: CollectContext) -> Iterator[Resource]:
    redshift = ctx.client()
    listing = ctx.action(redshift, "describe_clusters")
    for cluster in ctx.pages(redshift, "describe_clusters", "Clusters"):
        cluster_id = str(cluster["ClusterIdentifier"])
        arn = f"arn:{ctx.partition}:redshift:{ctx.region}:{ctx.account}:cluster:{cluster_id}"
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        status = reads.get(redshift, "describe_logging_status", LOGGING, ClusterIdentifier=cluster_id)
        attributes = {
            "cluster_identifier": cluster_id,
            "arn": arn,
            "cluster_status": cluster.get("ClusterStatus"),
            # AWS always sends both flags; a missing one is unknown and stays absent.
            "publicly_accessible": cluster.get("PubliclyAccessible", FAILED),
            "encrypted": cluster.get("Encrypted", FAILED),
            "kms_key_id": cluster.get("KmsKeyId"),
            "vpc_id": cluster.get("VpcId"),
            "create_time": iso(cluster.get("ClusterCreateTime")),
            "logging_enabled": FAILED,
            "log_destination_type": FAILED,
        }
        if status is not FAILED:
            attributes["logging_enabled"] = bool(status.get("LoggingEnabled"))
            # Older clusters report only BucketName: S3 delivery without the destination field.
            attributes["log_destination_type"] = status.get("LogDestinationType") or (
                "s3" if status.get("BucketName") else None
            )
        tags = tag_map(cluster.get("Tags"))
        yield reads.resource(cluster_id, attributes, tags)


SPEC = ServiceSpec(
    name="redshift",
    client="redshift",
    regional=True,
    types=(TYPE,),
    permissions=("redshift:DescribeClusters", "redshift:DescribeLoggingStatus"),
    collect=collect,
)

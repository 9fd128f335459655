"""EFS file systems (aws.efs.file_system): encryption at rest and its KMS key.

DescribeFileSystems carries encryption and tags, so one listing call is the whole read.
"""

from __future__ import annotations

from collections.abc import Iterator

from pcicheck.collect.aws.interface import FAILED, CollectContext, ServiceSpec, iso, name_from_tags, tag_map
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.efs.file_system",
    "EFS file system; uid = its ARN",
    file_system_id="string: fs-…",
    arn="string: file system ARN",
    encrypted="bool",
    kms_key_id="string?: KMS key ARN",
    life_cycle_state="string?: 'creating'|'available'|'updating'|'deleting'|'deleted'|'error'",
    creation_time="timestamp?",
)


def collect(ctx: CollectContext) -> Iterator[Resource]:
    efs = ctx.client()
    listing = ctx.action(efs, "describe_file_systems")
    for fs in ctx.pages(efs, "describe_file_systems", "FileSystems"):
        fs_id = str(fs["FileSystemId"])
        arn = str(
            fs.get("FileSystemArn")
            or f"arn:{ctx.partition}:elasticfilesystem:{ctx.region}:{ctx.account}:file-system/{fs_id}"
        )
        tags = tag_map(fs.get("Tags"))
        yield ctx.resource(
            type=TYPE.name,
            uid=arn,
            name=name_from_tags(tags, fs_id),
            tags=tags,
            attributes={
                "file_system_id": fs_id,
                "arn": arn,
                # AWS always sends Encrypted; missing means unknown, so it stays absent.
                "encrypted": fs.get("Encrypted", FAILED),
                "kms_key_id": fs.get("KmsKeyId"),
                "life_cycle_state": fs.get("LifeCycleState"),
                "creation_time": iso(fs.get("CreationTime")),
            },
            source={listing},
        )


SPEC = ServiceSpec(
    name="efs",
    client="efs",
    regional=True,
    types=(TYPE,),
    permissions=("elasticfilesystem:DescribeFileSystems",),
    collect=collect,
)

"""SageMaker notebook instances (aws.sagemaker.notebook_instance): storage volume KMS key, direct
internet access, placement (subnet, security groups) and root access.

ListNotebookInstances names them; DescribeNotebookInstance per instance carries the configuration,
ListTags the tags. A failed describe leaves the configuration attributes absent, never "disabled".
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
    "aws.sagemaker.notebook_instance",
    "SageMaker notebook instance; uid = its ARN",
    notebook_instance_name="string: notebook instance name",
    arn="string: notebook instance ARN",
    status="string?: 'Pending'|'InService'|'Stopping'|'Stopped'|'Failed'|'Deleting'|'Updating'|"
    "'PendingMaintenance'|'InMaintenance'",
    creation_time="timestamp?",
    kms_key_id="string?: KMS key id/ARN encrypting the ML storage volume; null: AWS-owned key",
    direct_internet_access="string: 'Enabled'|'Disabled' (internet access through the SageMaker service VPC)",
    subnet_id="string?: subnet-…; null without a VPC attachment (runs in the SageMaker service VPC)",
    security_groups="list: sorted sg ids ([] without a VPC attachment)",
    root_access="string: 'Enabled'|'Disabled' (users get root on the notebook instance)",
    instance_type="string?: ML instance type, e.g. 'ml.t3.medium'",
    role_arn="string?: ARN of the IAM role the notebook assumes",
)
CONFIGURATION = (
    "kms_key_id",
    "direct_internet_access",
    "subnet_id",
    "security_groups",
    "root_access",
    "instance_type",
    "role_arn",
)


def _configuration(described: dict[str, Any]) -> dict[str, Any]:
    """The DescribeNotebookInstance answer → attributes. AWS always sends DirectInternetAccess and
    RootAccess; a missing one is unknown and stays FAILED (absent) rather than read as a default."""
    return {
        # Absent when the ML storage volume uses the AWS-owned key.
        "kms_key_id": described.get("KmsKeyId") or None,
        "direct_internet_access": described.get("DirectInternetAccess", FAILED),
        # No subnet: the instance runs in the SageMaker service VPC, which always has internet access.
        "subnet_id": described.get("SubnetId") or None,
        "security_groups": sorted(described.get("SecurityGroups") or ()),
        "root_access": described.get("RootAccess", FAILED),
        "instance_type": described.get("InstanceType"),
        "role_arn": described.get("RoleArn"),
    }


def _tags(reads: ResourceReads, sagemaker: Any, arn: str) -> dict[str, str]:
    """Every tag of the instance ({} when the read failed; that failure is recorded against `tags`)."""
    listed = reads.all_pages(sagemaker, "list_tags", "Tags", ("tags",), ResourceArn=arn)
    return {} if listed is FAILED else tag_map(listed)


def collect(ctx: CollectContext) -> Iterator[Resource]:
    sagemaker = ctx.client()
    listing = ctx.action(sagemaker, "list_notebook_instances")
    for summary in ctx.pages(sagemaker, "list_notebook_instances", "NotebookInstances"):
        name = str(summary["NotebookInstanceName"])
        arn = str(summary["NotebookInstanceArn"])
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        attributes: dict[str, Any] = {
            "notebook_instance_name": name,
            "arn": arn,
            "status": summary.get("NotebookInstanceStatus"),
            "creation_time": iso(summary.get("CreationTime")),
            **dict.fromkeys(CONFIGURATION, FAILED),
        }
        described = reads.get(sagemaker, "describe_notebook_instance", CONFIGURATION, NotebookInstanceName=name)
        if described is not FAILED:
            attributes.update(_configuration(described))
        tags = _tags(reads, sagemaker, arn)
        yield reads.resource(name, attributes, tags)


SPEC = ServiceSpec(
    name="sagemaker",
    client="sagemaker",
    regional=True,
    types=(TYPE,),
    permissions=(
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:ListNotebookInstances",
        "sagemaker:ListTags",
    ),
    collect=collect,
)

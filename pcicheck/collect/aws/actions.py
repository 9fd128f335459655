"""The IAM action prefix of an AWS service, in one place, and the provenance name a snapshot records for
a call (`CollectContext.action`, e.g. "s3:GetBucketEncryption"). The IAM action that authorises a call
(policy.iam_action, e.g. "s3:GetEncryptionConfiguration") starts from the same prefix.
"""

from __future__ import annotations

from typing import Any

# Request-signing name → IAM action prefix, where they differ (CloudWatch signs as "monitoring",
# the Resource Groups Tagging API as "tagging"). Every other service's signing name is its prefix:
# "elasticloadbalancing" for elb/elbv2, "es" for opensearch, "s3" for s3control, ….
_IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}


def iam_prefix(service_model: Any) -> str:
    """The IAM action prefix of a botocore service model (`client.meta.service_model`)."""
    signing = str(service_model.signing_name)
    return _IAM_PREFIX.get(signing, signing)


def provenance_action(client: Any, operation: str) -> str:
    """'get_bucket_encryption' on an s3 client → 's3:GetBucketEncryption': the name a snapshot's
    `calls` and `source` give a call (the API operation, under the service's IAM prefix)."""
    op_name = client.meta.method_to_api_mapping.get(operation, operation)
    return f"{iam_prefix(client.meta.service_model)}:{op_name}"

"""How pcicheck names an AWS API call, in one place: the provenance action a snapshot records for it
(`CollectContext.action`, e.g. "s3:GetBucketEncryption") and the IAM action that authorises it
(`iam_action`, e.g. "s3:GetEncryptionConfiguration"), from which the shipped IAM policy is checked.

Both start from the service's IAM prefix, derived from its request-signing name. A service module
whose operations IAM authorises under other names declares them on its ServiceSpec
(`renamed_actions`); this module only assembles them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

# Request-signing name → IAM action prefix, where they differ (CloudWatch signs as "monitoring",
# the Resource Groups Tagging API as "tagging"). Every other service's signing name is its prefix:
# "elasticloadbalancing" for elb/elbv2, "es" for opensearch, "s3" for s3control, ….
_IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}

# Services whose reads IAM authorises by HTTP verb on the resource path, not per operation.
_BY_HTTP_VERB = {"apigateway": "apigateway:GET", "apigatewayv2": "apigateway:GET"}


def iam_prefix(service_model: Any) -> str:
    """The IAM action prefix of a botocore service model (`client.meta.service_model`)."""
    signing = str(service_model.signing_name)
    return _IAM_PREFIX.get(signing, signing)


def provenance_action(client: Any, operation: str) -> str:
    """'get_bucket_encryption' on an s3 client → 's3:GetBucketEncryption': the name a snapshot's
    `calls` and `source` give a call (the API operation, under the service's IAM prefix)."""
    op_name = client.meta.method_to_api_mapping.get(operation, operation)
    return f"{iam_prefix(client.meta.service_model)}:{op_name}"


def iam_action(service_model: Any, operation: str) -> str:
    """The IAM action a call needs: `operation` is the API operation name ("GetPublicAccessBlock")
    of a botocore service model. S3 and S3 Control share a signing name but not their actions, so
    renames are keyed by the botocore service name."""
    service = str(service_model.service_name)
    if service in _BY_HTTP_VERB:
        return _BY_HTTP_VERB[service]
    return renamed_actions().get((service, operation), f"{iam_prefix(service_model)}:{operation}")


@cache
def renamed_actions() -> Mapping[tuple[str, str], str]:
    """Every rename the service modules declare: (botocore service name, operation) → IAM action."""
    # Imported here: the service modules import interface, which imports this module.
    from pcicheck.collect.aws.runner import service_specs

    renamed: dict[tuple[str, str], str] = {}
    for spec in service_specs():
        for call, action in spec.renamed_actions.items():
            if renamed.setdefault(call, action) != action:
                raise ValueError(f"{call[0]}:{call[1]} is renamed to both {renamed[call]} and {action}")
    return renamed

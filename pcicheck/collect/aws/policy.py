"""The IAM policy pcicheck needs: every action the collectors declare (ServiceSpec.permissions), plus
the region listing. Read-only by construction, and checked in tests against every call a full demo
scan actually makes, each named by `iam_action`: the service's IAM prefix (actions.py), or the name
a service module declares for an operation IAM authorises under another one (`renamed_actions`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from pcicheck.collect.aws.actions import iam_prefix
from pcicheck.collect.aws.runner import service_specs

# Calls the runner makes itself, outside any service (sts:GetCallerIdentity needs no permission);
# ListAccounts only with --org-role.
RUNNER_ACTIONS = ("ec2:DescribeRegions", "organizations:ListAccounts")
# Only with --role-arn, --accounts or --org-role: its own statement, so the read-only statement stays
# Get/List/Describe, and an administrator can narrow its Resource to the audit role's ARNs.
ASSUME_ACTIONS = ("sts:AssumeRole",)
# Never granted: pcicheck reads configuration, not data or secrets.
FORBIDDEN = ("secretsmanager:GetSecretValue", "s3:GetObject", "kms:Decrypt", "ssm:GetParameter", "dynamodb:GetItem")
NO_PERMISSION = ("sts:GetCallerIdentity",)

# Services whose reads IAM authorises by HTTP verb on the resource path, not per operation.
_BY_HTTP_VERB = {"apigateway": "apigateway:GET", "apigatewayv2": "apigateway:GET"}


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
    renamed: dict[tuple[str, str], str] = {}
    for spec in service_specs():
        for call, action in spec.renamed_actions.items():
            if renamed.setdefault(call, action) != action:
                raise ValueError(f"{call[0]}:{call[1]} is renamed to both {renamed[call]} and {action}")
    return renamed


def required_actions() -> list[str]:
    actions = {a for spec in service_specs() for a in spec.permissions} | set(RUNNER_ACTIONS)
    return sorted(actions)


def iam_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PcicheckReadOnlyConfiguration",
                "Effect": "Allow",
                "Action": required_actions(),
                "Resource": "*",
            },
            {
                "Sid": "PcicheckAssumeAuditRoles",
                "Effect": "Allow",
                "Action": list(ASSUME_ACTIONS),
                "Resource": "arn:aws:iam::*:role/*",
            },
        ],
    }


def iam_policy_json() -> str:
    return json.dumps(iam_policy(), indent=2) + "\n"

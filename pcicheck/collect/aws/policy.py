"""The IAM policy pcicheck needs: every action the collectors declare (ServiceSpec.permissions), plus
the region listing. Read-only by construction, and checked in tests against every call a full demo
scan actually makes."""

from __future__ import annotations

import json
from typing import Any

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
